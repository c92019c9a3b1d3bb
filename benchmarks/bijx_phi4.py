"""A phi^4 training step of bijx's lattice flow (the JAX reference).

Runs in its own virtual environment (see `benchmarks/bijx_elementwise.py`):

    /tmp/jaxenv/bin/python benchmarks/bijx_phi4.py [--quick]

`python -m benchmarks.phi4 --bijx-python /tmp/jaxenv/bin/python` starts this
script with `--serve` and interleaves its rounds with its own. It imports only
jax, flax (and optax, which flax installs), bijx, numpy and the standard
library.

The flow is the one of `flows.lattice_flow` built from bijx's own pieces:
`SpectrumScaling` with one learnable factor per rFFT mode, then checkerboard
`GeneralCouplingLayer`s whose conditioner is bijx's periodic `ConvNet` (linear
output, zero final kernel, bias from `extract_init`) and whose per-site
bijection is a `ScanChain` of `CubicRational`s followed by an `AffineLinear`
(or the affine map alone). `--coupling mask` is bijx's convolutional coupling
(as in `realnvp_conv_flow`: the bijection runs on every site and the log-det
is masked); `--coupling split` transforms only the active sites, as ours
does. One `jax.jit` Adam step of the reverse KL `E_q[log q + S]` on a batch of
fresh samples; the median of the timed steps after warm-up.
"""

import argparse
import json
import os
import platform
import sys
import time

import bijx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

FLOWS = ('cubic_rational+affine', 'affine')


def site_bijection(transform, members):
  """`rngs -> bijection` of one site: the analytic stack, then affine."""

  def make(rngs):
    affine = bijx.AffineLinear(rngs=rngs)
    if transform == 'affine':
      return affine
    stack = bijx.stack_bijections(
        lambda rngs: bijx.CubicRational(rngs=rngs), transform=bijx.ScanChain,
        copies=members)(rngs)
    return bijx.Chain(stack, affine)
  return make


class SplitConditioner(nnx.Module):
  """The passive sites back on the lattice, the ConvNet, the active sites."""

  def __init__(self, net, mask):
    self.net = net
    self.mask = mask

  def __call__(self, passive):
    field = self.mask.merge(jnp.zeros_like(passive), passive)
    raw = self.net(field[..., None])
    return raw[self.mask.indices(extra_channel_dims=1)]


def coupling(mask, make, hidden_channels, coupling_kind, rngs):
  """One checkerboard coupling layer with a periodic ConvNet conditioner."""
  template = bijx.ModuleReconstructor(make(rngs))
  initial = bijx.extract_init(make)
  net = bijx.nn.nets.ConvNet(
      1, template.params_total_size, hidden_channels=list(hidden_channels),
      final_activation=lambda x: x,
      final_kernel_init=nnx.initializers.zeros,
      final_bias_init=lambda key, shape, dtype=jnp.float32: initial(
          key).astype(dtype),
      rngs=rngs)
  if coupling_kind == 'split':
    conditioner = SplitConditioner(net, mask)
  else:
    conditioner = nnx.Sequential(lambda passive: passive[..., None], net)
  return bijx.GeneralCouplingLayer(conditioner, mask, template,
                                   bijection_event_rank=0,
                                   split=coupling_kind == 'split')


def lattice_flow(size, transform, members, layers, hidden_channels,
                 coupling_kind, seed=0):
  """The flow as a `bijx.Chain`: Fourier scaling, then the couplings."""
  rngs = nnx.Rngs(seed)
  make = site_bijection(transform, members)
  scaling = bijx.SpectrumScaling(nnx.Param(jnp.ones((size, size // 2 + 1))))
  mask = bijx.checker_mask((size, size), parity=False)
  couplings = []
  for _ in range(layers):
    couplings.append(coupling(mask, make, hidden_channels, coupling_kind,
                              rngs))
    mask = ~mask
  return bijx.Chain(scaling, *couplings)


def reverse_kl_step(model, size, batch, m2, lam, learning_rate):
  """`(step, params, opt_state)`: a jitted Adam step on `E_q[log q + S]`."""
  graph, params, rest = nnx.split(model, nnx.Param, ...)
  optimizer = optax.adam(learning_rate)
  action = jax.vmap(lambda phi: jnp.sum(
      bijx.lattice.scalar.phi4_term(phi, m2, lam)))

  def loss(params, key):
    flow = nnx.merge(graph, params, rest)
    x = jax.random.normal(key, (batch, size, size))
    log_q = -0.5 * jnp.sum(x**2, axis=(1, 2)) - 0.5 * size**2 * np.log(
        2. * np.pi)
    phi, log_q = flow.forward(x, log_q)
    return jnp.mean(log_q + action(phi))

  @jax.jit
  def step(params, opt_state, key):
    value, grads = jax.value_and_grad(loss)(params, key)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, value

  return step, params, optimizer.init(params)


class Runner:
  """A compiled step and its state; `__call__` runs one step and waits."""

  def __init__(self, args, transform):
    model = lattice_flow(args.size, transform, args.members, args.layers,
                         args.hidden_channels, args.coupling)
    self.step, self.params, self.opt_state = reverse_kl_step(
        model, args.size, args.batch_size, args.m2, args.lam, 1e-4)
    self.key = jax.random.key(0)
    self.parameters = int(sum(p.size for p in jax.tree.leaves(self.params)))
    start = time.perf_counter()
    self()  # Trace and compile.
    self.compile_seconds = time.perf_counter() - start
    self()

  def __call__(self):
    self.params, self.opt_state, loss = self.step(self.params, self.opt_state,
                                                  self.key)
    return float(loss.block_until_ready())


def measure_round(runners, repeats):
  """Seconds per step of every flow, `repeats` steps each, alternating."""
  samples = {name: [] for name in runners}
  for _ in range(repeats):
    for name, run in runners.items():
      start = time.perf_counter()
      run()
      samples[name].append(time.perf_counter() - start)
  return samples


def machine():
  """What ran the benchmark."""
  return dict(date=time.strftime('%Y-%m-%d'),
              python=platform.python_version(), jax=jax.__version__,
              bijx=bijx.__version__,
              processor=platform.processor() or platform.machine(),
              cpu_count=os.cpu_count(),
              devices=[d.platform for d in jax.devices()])


def argument_parser():
  parser = argparse.ArgumentParser(prog='python benchmarks/bijx_phi4.py',
                                   description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='L = 4, 2 layers of 2 members, 2 repeats')
  parser.add_argument('--size', type=int, default=20, help='L (default 20)')
  parser.add_argument('--members', type=int, default=8)
  parser.add_argument('--layers', type=int, default=12)
  parser.add_argument('--hidden-channels', type=int, nargs='+',
                      default=[16, 16])
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--m2', type=float, default=-4.)
  parser.add_argument('--lam', type=float, default=5.)
  parser.add_argument('--repeats', type=int, default=10)
  parser.add_argument('--coupling', choices=('mask', 'split'), default='split')
  parser.add_argument('--flows', nargs='+', choices=FLOWS, default=FLOWS)
  parser.add_argument('--serve', action='store_true',
                      help='after compiling, print one JSON line, then for '
                      'each line N on stdin time N steps per flow and print '
                      'the seconds of each step as one JSON line')
  return parser


def main(argv=None):
  args = argument_parser().parse_args(argv)
  if args.quick:
    args.size, args.members, args.layers, args.repeats = 4, 2, 2, 2
    args.hidden_channels = [4]
  runners = {name: Runner(args, name) for name in args.flows}
  header = dict(machine=machine(), settings=vars(args),
                compile_seconds={n: r.compile_seconds
                                 for n, r in runners.items()},
                parameters={n: r.parameters for n, r in runners.items()})
  if args.serve:
    print(json.dumps(header), flush=True)
    for line in sys.stdin:
      print(json.dumps(measure_round(runners, int(line))), flush=True)
    return header
  samples = measure_round(runners, args.repeats)
  header['seconds'] = {n: float(np.median(s)) for n, s in samples.items()}
  print(json.dumps(header))
  return header


if __name__ == '__main__':
  main()

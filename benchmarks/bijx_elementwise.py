"""Elementwise throughput of bijx's analytic bijections (the JAX reference).

Runs in its own virtual environment, which needs only jax and bijx:

    python3 -m venv /tmp/jaxenv
    /tmp/jaxenv/bin/pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8 bijx==1.3.2 numpy==2.4.6
    /tmp/jaxenv/bin/python benchmarks/bijx_elementwise.py [--quick]

`python -m benchmarks.elementwise --bijx-python /tmp/jaxenv/bin/python` runs
this script after its own table and prints the ratios of ours to bijx's. It
imports only jax, bijx, numpy and the standard library (no TensorFlow).

The protocol is that of `benchmarks/elementwise.py`: N = 2^20 inputs drawn
from normal(0, 2), scalar parameters from raw numbers uniform in +-0.5 mapped
through bijx's own default transforms (raw 0 is the identity, as in ours),
every kernel under `jax.jit`, one warm-up call excluded, the median of the
repeats, each call finished with `block_until_ready`. bijx's `forward` and
`reverse` with a zero log-density of the inputs' shape give the per-element
log-det, as `event_ndims=0` does in ours. The trivial `x + 1` is the floor.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import bijx
import jax
import jax.numpy as jnp
import numpy as np

OPERATIONS = {
    'forward': lambda b, x: b.fwd(x),
    'inverse': lambda b, x: b.rev(x),
    'forward+fldj': lambda b, x: b.forward(x, jnp.zeros_like(x)),
    'inverse+ildj': lambda b, x: b.reverse(x, jnp.zeros_like(x)),
}
# bijx's constructor arguments of each family, in the order of the raw numbers.
FAMILIES = {
    'CubicRational': ('loc', 'alpha', 'beta'),
    'SinhConjugation': ('loc', 'alpha', 'beta', 'mu', 'nu'),
    'CubicConjugation': ('loc', 'beta', 'a', 'b'),
}


def median_seconds(fn, *args, repeats=10, min_seconds=0.05):
  """Median wall time of `fn(*args)` after one warm-up call.

  Each repeat runs `fn` as often as needed to last `min_seconds`, as
  `benchmarks/_timing.py` does.

  Args:
    fn: callable returning a pytree of jax arrays; its first leaf is waited
      for after each call.
    *args: arguments of `fn`.
    repeats: Python `int`, number of timed repeats.
    min_seconds: Python `float`, least duration of one repeat.

  Returns:
    Python float, seconds per call.
  """
  def call():
    jax.tree_util.tree_leaves(fn(*args))[0].block_until_ready()

  call()  # Warm-up: tracing and XLA compilation.
  start = time.perf_counter()
  call()
  once = max(time.perf_counter() - start, 1e-9)
  inner = max(1, int(min_seconds / once))
  samples = []
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(inner):
      call()
    samples.append((time.perf_counter() - start) / inner)
  return float(np.median(samples))


def bijections(dtype, seed=0):
  """name -> bijx bijection with random scalar raw parameters in +-0.5."""
  rng = np.random.default_rng(seed)
  return {
      name: getattr(bijx, name)(**{
          arg: jnp.asarray(rng.uniform(-0.5, 0.5), dtype) for arg in args})
      for name, args in FAMILIES.items()}


def measure(size, dtype, repeats, seed=0):
  """Seconds per call of every bijection and operation, plus the floor."""
  x = jnp.asarray(np.random.default_rng(seed).normal(0., 2., size), dtype)
  floor = median_seconds(jax.jit(lambda x: x + 1), x, repeats=repeats)
  seconds = {}
  for name, bijection in bijections(dtype, seed).items():
    seconds[name] = {
        op: median_seconds(jax.jit(lambda x, fn=fn, b=bijection: fn(b, x)),
                           x, repeats=repeats)
        for op, fn in OPERATIONS.items()}
  return floor, seconds


def table(size, floor, seconds):
  """Markdown rows: M elem/s per operation."""
  rate = lambda s: size / s / 1e6
  lines = [f'x + 1 (floor): {rate(floor):.0f} M elem/s', '',
           '| bijx bijection | ' + ' | '.join(OPERATIONS) + ' |',
           '|---' * (len(OPERATIONS) + 1) + '|']
  for name, ops in seconds.items():
    lines.append(f'| {name} | ' +
                 ' | '.join(f'{rate(ops[op]):.0f}' for op in OPERATIONS) + ' |')
  return '\n'.join(lines)


def machine():
  """What ran the benchmark, for the results table."""
  return dict(
      date=time.strftime('%Y-%m-%d'),
      python=platform.python_version(),
      jax=jax.__version__,
      bijx=bijx.__version__,
      processor=platform.processor() or platform.machine(),
      cpu_count=os.cpu_count(),
      devices=[d.platform for d in jax.devices()])


def main(argv=None):
  parser = argparse.ArgumentParser(
      prog='python benchmarks/bijx_elementwise.py',
      description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='N = 2^12, 2 repeats: checks the code runs')
  parser.add_argument('--log2-size', type=int, default=20,
                      help='N = 2^k elements (default 20)')
  parser.add_argument('--repeats', type=int, default=15)
  parser.add_argument('--dtypes', nargs='+', default=['float32'],
                      choices=['float32', 'float64'],
                      help='float64 turns on jax_enable_x64 (default float32)')
  parser.add_argument('--out',
                      default='benchmarks/results/bijx_elementwise.json',
                      help='JSON output (default: %(default)s)')
  args = parser.parse_args(argv)
  if 'float64' in args.dtypes:
    jax.config.update('jax_enable_x64', True)
  size = 2**(12 if args.quick else args.log2_size)
  repeats = 2 if args.quick else args.repeats
  results = dict(machine=machine(), size=size, repeats=repeats)
  for dtype_name in args.dtypes:
    floor, seconds = measure(size, jnp.dtype(dtype_name), repeats)
    print(f'\n## bijx {bijx.__version__}, {dtype_name}, N = {size}\n')
    print(table(size, floor, seconds))
    results[dtype_name] = dict(floor_seconds=floor, seconds=seconds)
  out = Path(args.out)
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(results, indent=2) + '\n')
  print(f'wrote {out}')
  return results


if __name__ == '__main__':
  main()

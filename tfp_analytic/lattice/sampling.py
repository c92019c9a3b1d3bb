"""Samplers of phi^4 fields: Hybrid Monte Carlo as a reference, and an
independence Metropolis chain driven by a flow (docs/math.md#hmc)."""

import collections

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic._seeds import stateless_seed
from tfp_analytic.lattice.action import phi4_action
from tfp_analytic.lattice.observables import field_observables

__all__ = ['HMCResult', 'IMHResult', 'hmc_phi4', 'importance_samples',
           'independence_metropolis', 'independence_metropolis_indices']

HMCResult = collections.namedtuple('HMCResult', [
    'magnetization', 'two_point', 'is_accepted', 'log_accept_ratio',
    'step_size', 'final_state'])
HMCResult.__doc__ = """What `hmc_phi4` returns (NumPy arrays).

`magnetization` `[num_results, num_chains]` and `two_point`
`[num_results, num_chains, D]` (`field_observables` of every state),
`is_accepted` and `log_accept_ratio` (`-dH` of each trajectory) of the same
shape as `magnetization`, `step_size` (after adaptation) and `final_state`
`[num_chains, L1, L2]`.

#### Example

```python
from tfp_analytic import lattice
lattice.HMCResult._fields[0]  # ==> 'magnetization'
```
"""


def _hmc_kernel(m2, lam, step_size, num_leapfrog_steps, num_burnin,
                target_accept_prob):
  """HMC on `exp(-S)`; the step size adapts during the first `num_burnin`."""
  hmc = tfp.mcmc.HamiltonianMonteCarlo(
      target_log_prob_fn=lambda phi: -phi4_action(phi, m2, lam),
      step_size=step_size, num_leapfrog_steps=num_leapfrog_steps)
  return tfp.mcmc.SimpleStepSizeAdaptation(
      hmc, num_adaptation_steps=num_burnin,
      target_accept_prob=target_accept_prob)


def _run_steps(state, results, seeds, kernel_args):
  """`len(seeds)` kernel steps; returns the last state and per-step traces.

  A `tf.while_loop` keeps only the observables of the visited fields, not
  the fields themselves. `kernel_args`: `_hmc_kernel`'s, the step size
  taken from `results`.
  """
  kernel = _hmc_kernel(*kernel_args[:2], results.new_step_size,
                       *kernel_args[2:])
  num_steps = seeds.shape[0]
  names = ('magnetization', 'two_point', 'is_accepted', 'log_accept_ratio')
  arrays = [tf.TensorArray(dtype, size=num_steps)
            for dtype in (state.dtype, state.dtype, tf.bool, state.dtype)]

  def body(k, state, results, arrays):
    state, results = kernel.one_step(state, results, seed=seeds[k])
    inner = results.inner_results
    obs = field_observables(state)
    traces = (obs['magnetization'], obs['two_point'], inner.is_accepted,
              inner.log_accept_ratio)
    return (k + 1, state, results,
            [a.write(k, t) for a, t in zip(arrays, traces)])

  _, state, results, arrays = tf.while_loop(
      lambda k, *_: k < num_steps, body, (0, state, results, arrays))
  return state, results, dict(zip(names, [a.stack() for a in arrays]))


# Module level, so that runs with the same settings share one trace.
_RUN_STEPS = {jit: tf.function(_run_steps, jit_compile=jit)
              for jit in (True, False)}


def _chunks(total, size):
  return [min(size, total - start) for start in range(0, total, size)]


def hmc_phi4(lattice_shape, m2, lam, num_chains=16, num_results=1000,
             num_burnin=500, num_leapfrog_steps=10, step_size=0.1,
             target_accept_prob=0.8, seed=None, dtype=tf.float32,
             chunk_size=500, jit_compile=True, progress=False):
  """Hybrid Monte Carlo for `p ~ exp(-S)`, `S = phi4_action(phi, m2, lam)`.

  `num_chains` independent chains, vectorized, start from `N(0, I)` fields.
  Each step integrates Hamilton's equations for `H = p^2 / 2 + S(phi)` with
  `num_leapfrog_steps` leapfrog steps (`tfp.mcmc.HamiltonianMonteCarlo`)
  and accepts with `min(1, exp(-dH))`. During the `num_burnin` steps the
  step size adapts towards `target_accept_prob` (averaged over chains); it is
  fixed afterwards, so the measured steps satisfy detailed balance. The
  steps run in XLA-compiled chunks of `chunk_size`; only the observables of
  each state (`field_observables`) are kept.

  Args:
    lattice_shape: `(L1, L2)`, Python ints.
    m2: mass term, Python float.
    lam: quartic coupling, Python float.
    num_chains: Python `int`, independent chains.
    num_results: Python `int`, measured steps per chain.
    num_burnin: Python `int`, discarded (adaptation) steps.
    num_leapfrog_steps: Python `int`, leapfrog steps per trajectory.
    step_size: initial leapfrog step size.
    target_accept_prob: acceptance the step size adapts to.
    seed: Python `int` or stateless seed; the same seed gives the same chain.
    dtype: `tf.float32` or `tf.float64`.
    chunk_size: Python `int`, steps per compiled call (and progress update).
    jit_compile: Python `bool`, compile the steps with XLA.
    progress: Python `bool`, show a progress bar.

  Returns:
    `HMCResult`.

  #### Example

  ```python
  from tfp_analytic import lattice
  run = lattice.hmc_phi4([4, 4], m2=1., lam=0., num_chains=2, num_results=20,
                         num_burnin=10, seed=0, jit_compile=False)
  run.magnetization.shape  # ==> (20, 2)
  run.two_point.shape  # ==> (20, 2, 3)
  ```
  """
  for name, value in [('num_chains', num_chains), ('num_results', num_results),
                      ('num_leapfrog_steps', num_leapfrog_steps),
                      ('chunk_size', chunk_size)]:
    if int(value) != value or value < 1:
      raise ValueError(f'`{name}` must be a positive integer; got {value}')
  if num_burnin < 0 or not 0. < target_accept_prob < 1. or step_size <= 0.:
    raise ValueError('need `num_burnin >= 0`, `0 < target_accept_prob < 1` '
                     'and `step_size > 0`')
  init_seed, run_seed = tfp.random.split_seed(stateless_seed(seed))
  state = tf.random.stateless_normal([num_chains, *lattice_shape], init_seed,
                                     dtype=dtype)
  kernel_args = (tf.constant(m2, dtype), tf.constant(lam, dtype),
                 num_leapfrog_steps, num_burnin, target_accept_prob)
  results = _hmc_kernel(*kernel_args[:2], tf.constant(step_size, dtype),
                        *kernel_args[2:]).bootstrap_results(state)
  seeds = tf.random.experimental.stateless_split(
      run_seed, num_burnin + num_results)
  # `train` imports the flows, which import this package: import on use.
  from tfp_analytic.train import _loop  # pylint: disable=g-import-not-at-top
  bar = _loop._progress_bar(progress, num_burnin + num_results, 0, 'HMC')
  traces, start = [], 0
  for size in (_chunks(num_burnin, chunk_size)
               + _chunks(num_results, chunk_size)):
    state, results, trace = _RUN_STEPS[jit_compile](
        state, results, seeds[start:start + size], kernel_args)
    if start >= num_burnin:
      traces.append(trace)
    start += size
    if bar is not None:
      bar.update(size)
  if bar is not None:
    bar.close()
  traces = {name: np.concatenate([t[name].numpy() for t in traces])
            for name in traces[0]}
  return HMCResult(**traces, step_size=float(results.new_step_size),
                   final_state=state.numpy())


def importance_samples(proposal, target_log_prob_fn, num_samples, seed=None,
                       batch_size=1024, map_fn=None):
  """Draws `x ~ q` in batches with `log w = log p~(x) - log q(x)`.

  Args:
    proposal: a `tfd.Distribution` (`experimental_sample_and_log_prob`), e.g.
      a trained flow.
    target_log_prob_fn: callable, the unnormalized target log-density.
    num_samples: Python `int`.
    seed: Python `int` or stateless seed.
    batch_size: Python `int`, samples per traced call.
    map_fn: optional callable applied to each batch of samples (e.g.
      `field_observables`), to keep a summary instead of the samples.

  Returns:
    `(mapped, log_weights)`: `map_fn(x)` (or `x`) and `log w` `[num_samples]`
    as NumPy arrays, concatenated over batches.

  #### Example

  ```python
  import tensorflow_probability as tfp
  from tfp_analytic import lattice
  q = tfp.distributions.Normal(0., 1.)
  x, log_w = lattice.importance_samples(q, q.log_prob, 10, seed=0)
  log_w.tolist()  # ==> [0.] * 10
  ```
  """
  map_fn = map_fn or (lambda x: x)

  @tf.function
  def draw(size, seed):
    x, log_q = proposal.experimental_sample_and_log_prob(size, seed=seed)
    return map_fn(x), target_log_prob_fn(x) - log_q

  sizes = _chunks(num_samples, batch_size)
  seeds = tfp.random.split_seed(stateless_seed(seed), n=len(sizes))
  batches = [draw(size, s) for size, s in zip(sizes, seeds)]
  return tf.nest.map_structure(
      lambda *parts: np.concatenate([p.numpy() for p in parts]), *batches)


@tf.function(jit_compile=True)
def _imh_scan(log_w, log_u):
  def step(previous, proposal):
    index, current, _ = previous
    k, log_w_k, log_u_k = proposal
    accept = log_u_k < log_w_k - current
    return (tf.where(accept, k, index), tf.where(accept, log_w_k, current),
            accept)

  first = (tf.zeros_like(log_w[0], tf.int32), log_w[0],
           tf.ones_like(log_w[0], tf.bool))
  proposals = (tf.range(1, tf.shape(log_w)[0]), log_w[1:], log_u[1:])
  rest = tf.scan(step, proposals, initializer=first)
  return tuple(tf.concat([f[None], r], 0)
               for f, r in zip(first[::2], rest[::2]))


def independence_metropolis_indices(log_weights, seed=None):
  """The states of an independence Metropolis chain over given proposals.

  Proposals `x_k ~ q` with `w_k = p~(x_k) / q(x_k)` are visited in order;
  the chain starts at `x_0` and moves from `x_i` to `x_k` with probability
  `min(1, w_k / w_i)`, else stays. It leaves `p` invariant; with `q = p` it
  accepts every proposal.

  Args:
    log_weights: float array `[n, ...]`; the trailing axes are independent
      chains.
    seed: Python `int` or stateless seed.

  Returns:
    `(indices, is_accepted)`: int32 and bool NumPy arrays shaped like
    `log_weights`; the chain's `k`-th state is proposal `indices[k]`
    (`is_accepted[0]` is True).

  #### Example

  ```python
  from tfp_analytic import lattice
  indices, accepted = lattice.independence_metropolis_indices(
      [0., -1e9, 0., -1e9], seed=0)
  indices.tolist()  # ==> [0, 0, 2, 2]
  ```
  """
  log_w = tf.convert_to_tensor(log_weights)
  if not log_w.dtype.is_floating:
    log_w = tf.cast(log_w, tf.float32)
  log_u = tf.math.log(tf.random.stateless_uniform(
      tf.shape(log_w), stateless_seed(seed), dtype=log_w.dtype))
  indices, accepted = _imh_scan(log_w, log_u)
  return indices.numpy(), accepted.numpy()


IMHResult = collections.namedtuple('IMHResult', [
    'states', 'is_accepted', 'acceptance_rate', 'log_weights'])
IMHResult.__doc__ = """What `independence_metropolis` returns (NumPy).

`states` `[num_steps, ...]`, `is_accepted` `[num_steps]`, the
`acceptance_rate` over steps 1.. and the proposals' `log_weights`.

#### Example

```python
from tfp_analytic import lattice
lattice.IMHResult._fields[2]  # ==> 'acceptance_rate'
```
"""


def independence_metropolis(proposal, target_log_prob_fn, num_steps,
                            seed=None, batch_size=1024):
  """An independence Metropolis chain with proposals from a flow.

  Draws `num_steps` proposals from `proposal` (`importance_samples`) and
  runs `independence_metropolis_indices` over them. Unlike reweighting, the
  chain's states are unweighted samples of the target (correlated: a
  rejected step repeats the state).

  Args:
    proposal: a `tfd.Distribution`, e.g. a trained flow.
    target_log_prob_fn: callable, the unnormalized target log-density.
    num_steps: Python `int`.
    seed: Python `int` or stateless seed.
    batch_size: Python `int`, proposals drawn per call.

  Returns:
    `IMHResult`.

  #### Example

  ```python
  import tensorflow_probability as tfp
  from tfp_analytic import lattice
  q = tfp.distributions.Normal(0., 1.)
  chain = lattice.independence_metropolis(q, q.log_prob, 100, seed=0)
  chain.acceptance_rate  # ==> 1.
  ```
  """
  draw_seed, chain_seed = tfp.random.split_seed(stateless_seed(seed))
  x, log_w = importance_samples(proposal, target_log_prob_fn, num_steps,
                                draw_seed, batch_size)
  indices, accepted = independence_metropolis_indices(log_w, chain_seed)
  return IMHResult(states=x[indices], is_accepted=accepted,
                   acceptance_rate=float(np.mean(accepted[1:])),
                   log_weights=log_w)

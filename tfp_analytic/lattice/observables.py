"""Observables of phi^4 fields and their estimates with error bars
(docs/math.md#observables-and-estimators).

Every observable here is even under `phi -> -phi`, a symmetry of the
action: a sampler that stays in one of the two modes of the broken phase
still estimates them without bias.
"""

import numpy as np
import tensorflow as tf

__all__ = ['estimate_observables', 'compare_observables', 'field_observables',
           'free_field_observables']


def field_observables(phi, max_distance=None):
  """Per-field magnetization and two-point products, averaged over sites.

  For each field, `M = mean_x phi(x)` and, for `d = 0 .. max_distance`,

    C(d) = mean_x phi(x) (phi(x + d e1) + phi(x + d e2)) / 2,

  the product at distance `d` along an axis, averaged over the sites and the
  two axes (periodic). Their means over an ensemble give the observables of
  `estimate_observables`.

  Args:
    phi: float `Tensor` of shape `[..., L1, L2]`.
    max_distance: Python `int`, the largest `d`; default `min(L1, L2) // 2`.

  Returns:
    `dict` with `'magnetization'` (shape `[...]`) and `'two_point'` (shape
    `[..., max_distance + 1]`).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import lattice
  phi = tf.constant([[1., -1.], [-1., 1.]])  # a checkerboard
  obs = lattice.field_observables(phi)
  obs['magnetization']  # ==> 0.
  obs['two_point']  # ==> [1., -1.]
  ```
  """
  phi = tf.convert_to_tensor(phi)
  if max_distance is None:
    max_distance = min(phi.shape[-2:]) // 2
  products = [tf.reduce_mean(phi * (tf.roll(phi, d, axis=-1)
                                    + tf.roll(phi, d, axis=-2)) / 2.,
                             axis=[-2, -1])
              for d in range(max_distance + 1)]
  return dict(magnetization=tf.reduce_mean(phi, axis=[-2, -1]),
              two_point=tf.stack(products, axis=-1))


def _primaries(magnetization, two_point):
  """Per-sample quantities whose (weighted) means define every observable."""
  m = np.asarray(magnetization, np.float64)[..., None]
  return np.concatenate([np.abs(m), m**2, m**4,
                         np.asarray(two_point, np.float64)], axis=-1)


def _derive(means, volume):
  """The observables from the means of `_primaries`."""
  abs_m, m2, m4 = means[..., 0], means[..., 1], means[..., 2]
  return dict(abs_magnetization=abs_m,
              susceptibility=volume * (m2 - abs_m**2),
              binder_cumulant=1. - m4 / (3. * m2**2),
              two_point=means[..., 3:])


def estimate_observables(magnetization, two_point, volume, log_weights=None,
                         num_bins=20):
  """Ensemble averages with jackknife errors over bins of samples.

  Observables, with `<.>` the (weighted) ensemble mean and `V` the volume:

  - `abs_magnetization`: `<|M|>`;
  - `susceptibility`: `chi = V (<M^2> - <|M|>^2)`;
  - `binder_cumulant`: `U = 1 - <M^4> / (3 <M^2>^2)`, 0 for a Gaussian `M`
    and 2/3 for two sharp peaks at `+-M0`;
  - `two_point`: `G(d) = <C(d)>` (`field_observables`). It is the connected
    function: `<phi(x)> = 0` by the `phi -> -phi` symmetry.

  Each chain (axis 1) is cut into `num_bins` contiguous bins; the
  delete-one-bin jackknife over all bins gives the errors, valid for
  correlated chains when a bin is longer than the autocorrelation time.
  With `log_weights` (samples `x ~ q`, `log w = log p~(x) - log q(x)`) the
  means are self-normalized importance-sampling means `sum w O / sum w`; the
  jackknife then also carries the fluctuation of the weights.

  Args:
    magnetization: float array `[n]` or `[n, num_chains]`.
    two_point: float array `[n, D]` or `[n, num_chains, D]`.
    volume: the number of sites `L1 * L2`.
    log_weights: optional float array shaped like `magnetization`.
    num_bins: Python `int` >= 2, bins per chain.

  Returns:
    `dict` of observable name to `{'value': ..., 'error': ...}` (floats;
    lists for `two_point`).

  #### Example

  ```python
  import numpy as np
  from tfp_analytic import lattice
  m = np.random.default_rng(0).normal(0., 0.1, size=4000)
  est = lattice.estimate_observables(m, m[:, None]**2, volume=16)
  round(est['abs_magnetization']['value'], 2)  # ==> 0.08
  est['susceptibility']['error'] < 0.01  # ==> True
  ```
  """
  if num_bins < 2:
    raise ValueError(f'`num_bins` must be >= 2; got {num_bins}')
  values = _primaries(magnetization, two_point)
  if values.ndim == 2:
    values = values[:, None]
  num_samples, num_chains = values.shape[:2]
  if num_samples < num_bins:
    raise ValueError(f'{num_samples} samples per chain cannot fill '
                     f'{num_bins} bins')
  if log_weights is None:
    weights = np.ones([num_samples, num_chains])
  else:
    log_w = np.asarray(log_weights, np.float64).reshape(num_samples, -1)
    weights = np.exp(log_w - log_w.max())
  usable = num_samples // num_bins * num_bins  # drops a remainder at the end
  weights = weights[:usable].reshape(num_bins, -1, num_chains)
  values = values[:usable].reshape(num_bins, -1, *values.shape[1:])
  bin_weights = weights.sum(axis=1).reshape(-1)  # [bins]
  bin_sums = np.einsum('bsc,bsck->bck', weights, values).reshape(
      len(bin_weights), -1)
  full = bin_sums.sum(axis=0) / bin_weights.sum()
  left_out = ((bin_sums.sum(axis=0) - bin_sums)
              / (bin_weights.sum() - bin_weights)[:, None])
  estimate, jackknife = _derive(full, volume), _derive(left_out, volume)
  num_total = len(bin_weights)
  return {name: dict(value=estimate[name].tolist(),
                     error=np.sqrt((num_total - 1) * np.var(
                         jackknife[name], axis=0)).tolist())
          for name in estimate}


def free_field_observables(lattice_shape, m2, max_distance=None):
  """Exact observables of the free field (`lam = 0`, `m2 > 0`).

  With `lam = 0` the action is `phi^T K phi` with `K = -Laplacian + m2`, so
  `phi` is Gaussian with covariance `(2K)^-1`, diagonal in momentum space:
  `<|phi(k)|^2> = 1 / (2 (p(k)^2 + m2))` with
  `p(k)^2 = sum_mu 4 sin^2(pi k_mu / L_mu)`. Then
  `G(d) = (1/V) sum_k <|phi(k)|^2> (cos(2 pi k1 d / L1) + cos(2 pi k2 d /
  L2)) / 2`, `<M^2> = 1 / (2 m2 V)`, `<|M|> = sqrt(2 <M^2> / pi)` and the
  Binder cumulant is 0.

  Args:
    lattice_shape: `(L1, L2)`, Python ints.
    m2: positive Python float.
    max_distance: Python `int`; default `min(L1, L2) // 2`.

  Returns:
    `dict` shaped like `estimate_observables`'s, errors 0.

  #### Example

  ```python
  from tfp_analytic import lattice
  exact = lattice.free_field_observables([8, 8], m2=1.)
  round(exact['two_point']['value'][0], 4)  # ==> 0.1271
  ```
  """
  if m2 <= 0.:
    raise ValueError(f'the free field needs `m2 > 0`; got {m2}')
  size1, size2 = lattice_shape
  volume = size1 * size2
  if max_distance is None:
    max_distance = min(size1, size2) // 2
  k1, k2 = np.indices((size1, size2))
  p2 = 4. * (np.sin(np.pi * k1 / size1)**2 + np.sin(np.pi * k2 / size2)**2)
  power = 1. / (2. * (p2 + m2))
  two_point = [np.sum(power * (np.cos(2. * np.pi * k1 * d / size1)
                               + np.cos(2. * np.pi * k2 * d / size2)) / 2.)
               / volume for d in range(max_distance + 1)]
  m_squared = power[0, 0] / volume
  means = np.array([np.sqrt(2. * m_squared / np.pi), m_squared,
                    3. * m_squared**2, *two_point])
  exact = _derive(means, volume)
  return {name: dict(value=np.asarray(value).tolist(),
                     error=np.zeros_like(value).tolist())
          for name, value in exact.items()}


def compare_observables(estimate, reference, num_sigma=3.):
  """Whether each estimate agrees with a reference within the error bars.

  An observable agrees when `|value - reference| <= num_sigma * sqrt(error^2
  + reference_error^2)` (for `two_point`: at every distance).

  Args:
    estimate: a `dict` as returned by `estimate_observables`.
    reference: the same structure (e.g. from a reference run's
      `metrics.json`); only the names present in both are compared.
    num_sigma: positive float, the tolerance in combined standard errors
      (3: a dozen numbers compared at 2 would flag an exact sampler about a
      third of the time).

  Returns:
    `dict` of name to `{'value', 'error', 'reference', 'reference_error',
    'pull', 'agrees'}`; `pull` is the difference over the combined error.

  #### Example

  ```python
  from tfp_analytic import lattice
  est = {'susceptibility': {'value': 1.1, 'error': 0.1}}
  ref = {'susceptibility': {'value': 1.0, 'error': 0.}}
  lattice.compare_observables(est, ref)['susceptibility']['agrees']  # ==> 1
  ```
  """
  result = {}
  for name in estimate.keys() & reference.keys():
    value, error, ref, ref_error = (
        np.asarray(v, np.float64) for v in (
            estimate[name]['value'], estimate[name]['error'],
            reference[name]['value'], reference[name]['error']))
    pull = (value - ref) / np.maximum(np.hypot(error, ref_error), 1e-300)
    result[name] = dict(
        value=value.tolist(), error=error.tolist(), reference=ref.tolist(),
        reference_error=ref_error.tolist(), pull=pull.tolist(),
        agrees=bool(np.all(np.abs(pull) <= num_sigma)))
  return result

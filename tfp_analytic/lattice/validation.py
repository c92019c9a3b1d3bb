"""A trained phi^4 flow against reference observables
(docs/math.md#observables-and-estimators)."""

import numpy as np
import tensorflow_probability as tfp

from tfp_analytic._seeds import stateless_seed
from tfp_analytic.lattice.action import phi4_action
from tfp_analytic.lattice.observables import compare_observables
from tfp_analytic.lattice.observables import estimate_observables
from tfp_analytic.lattice.observables import field_observables
from tfp_analytic.lattice.sampling import importance_samples
from tfp_analytic.lattice.sampling import independence_metropolis_indices

__all__ = ['compare_with_reference']


def compare_with_reference(flow, m2, lam, reference, num_samples=16384,
                           seed=None, num_sigma=3., num_bins=50,
                           batch_size=1024, return_samples=False):
  """Samples a phi^4 flow and compares its observables with a reference.

  Draws `num_samples` fields `phi ~ q` with `log w = -S(phi) - log q(phi)`
  and estimates the observables of `estimate_observables` twice: reweighted
  (self-normalized importance weights, jackknife over `num_bins` bins) and
  along an independence Metropolis chain over the same proposals (jackknife
  over `num_bins` contiguous bins of the chain). Each is compared with
  `reference` (`compare_observables`).

  Args:
    flow: a `tfd.Distribution` over `[L1, L2]` fields (e.g. from
      `flows.lattice_flow`).
    m2: mass term of the action.
    lam: quartic coupling of the action.
    reference: observables with errors as `estimate_observables` returns
      them, e.g. the `observables` of a reference run's `metrics.json`
      (`python -m tfp_analytic.experiments phi4-reference`).
    num_samples: Python `int`.
    seed: Python `int` or stateless seed.
    num_sigma: tolerance of the agreement, in combined standard errors.
    num_bins: Python `int`, jackknife bins.
    batch_size: Python `int`, fields drawn per call.
    return_samples: Python `bool`, also return the samples' `magnetization`
      and `log_weights` (NumPy arrays, e.g. for a histogram).

  Returns:
    `dict` with `ess` (`train.effective_sample_size`'s normalized ESS),
    `imh_acceptance`, `reweighted` and `imh` (each `compare_observables`'
    result), `agrees` (every reweighted observable agrees) and
    `num_samples` (and the samples, see `return_samples`).

  #### Example

  ```python
    import tensorflow_probability as tfp
  from tfp_analytic import lattice
  # The free field (lam = 0) is Gaussian, nearly independent sites at a large
  # m2: a product of normals with its variance G(0) is a close flow.
  flow = tfp.distributions.Sample(tfp.distributions.Normal(0., 0.145), [4, 4])
  exact = lattice.free_field_observables([4, 4], m2=20.)
  result = lattice.compare_with_reference(flow, 20., 0., exact,
                                          num_samples=2048, seed=0)
  [result['agrees'], result['ess'] > 0.5]  # ==> [True, True]
  ```
  """
  if num_samples < 2 * num_bins:
    raise ValueError(f'`num_samples` ({num_samples}) must be at least twice '
                     f'`num_bins` ({num_bins})')
  draw_seed, chain_seed = tfp.random.split_seed(stateless_seed(seed))
  obs, log_w = importance_samples(
      flow, lambda phi: -phi4_action(phi, m2, lam), num_samples, draw_seed,
      batch_size, field_observables)
  volume = int(np.prod(flow.event_shape))
  reweighted = estimate_observables(obs['magnetization'], obs['two_point'],
                                    volume, log_w, num_bins)
  indices, accepted = independence_metropolis_indices(log_w, chain_seed)
  chain = estimate_observables(obs['magnetization'][indices],
                               obs['two_point'][indices], volume,
                               num_bins=num_bins)
  reweighted = compare_observables(reweighted, reference, num_sigma)
  # `train` imports the flows, which import this package: import on use.
  from tfp_analytic.train import metrics  # pylint: disable=g-import-not-at-top
  ess = metrics.effective_sample_size(log_w, np.zeros_like(log_w))
  result = dict(ess=float(ess), imh_acceptance=float(np.mean(accepted[1:])),
                reweighted=reweighted,
                imh=compare_observables(chain, reference, num_sigma),
                agrees=all(r['agrees'] for r in reweighted.values()),
                num_samples=num_samples)
  if return_samples:
    result.update(magnetization=obs['magnetization'], log_weights=log_w)
  return result

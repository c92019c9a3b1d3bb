"""phi^4 samplers and observables: HMC against the exact free field,
estimators with error bars, independence Metropolis from a flow."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import lattice

tfd = tfp.distributions
tfb = tfp.bijectors

SHAPE = (6, 6)
M2 = 0.5  # a free field (lam = 0) needs m2 > 0


def _free_field_covariance(shape, m2):
  """`(2K)^-1`, with `S = phi^T K phi` read off the action by polarization.

  For a quadratic `S`: `S(e_i + e_j) - S(e_i) - S(e_j) = 2 K_ij`.
  """
  size = int(np.prod(shape))
  basis = np.eye(size).reshape(size, *shape)
  action = lambda phi: lattice.phi4_action(phi, m2, 0.).numpy()
  single = action(basis)
  pairs = action(basis[:, None] + basis[None])
  return np.linalg.inv(pairs - single[:, None] - single[None])


def _gaussian_field(shape, m2, scale=1.):
  """The free field's distribution over `shape` fields (float64), widened by
  `scale` (`scale = 1`: exact)."""
  covariance = _free_field_covariance(shape, m2)
  gaussian = tfd.MultivariateNormalTriL(
      tf.zeros(len(covariance), tf.float64),
      scale * np.linalg.cholesky(covariance))
  return tfd.TransformedDistribution(gaussian, tfb.Reshape(shape))


def test_free_field_values_match_the_inverse_of_the_action():
  covariance = _free_field_covariance(SHAPE, M2)
  exact = lattice.free_field_observables(SHAPE, M2)
  sites = np.arange(36).reshape(SHAPE)
  for d, value in enumerate(exact['two_point']['value']):
    shifted = [np.roll(sites, -d, axis=a).ravel() for a in (0, 1)]
    direct = np.mean([covariance[sites.ravel(), s] for s in shifted])
    np.testing.assert_allclose(value, direct, rtol=1e-10)
  m_squared = covariance.mean()
  np.testing.assert_allclose(
      exact['susceptibility']['value'], 36 * m_squared * (1. - 2. / np.pi),
      rtol=1e-10)
  with pytest.raises(ValueError, match='m2 > 0'):
    lattice.free_field_observables(SHAPE, -1.)


def test_field_observables_match_a_loop():
  phi = np.random.default_rng(0).normal(size=[2, 4, 6])
  obs = lattice.field_observables(phi, max_distance=3)
  for d in range(4):
    expected = np.zeros(2)
    for i in range(4):
      for j in range(6):
        expected += phi[:, i, j] * (phi[:, (i + d) % 4, j]
                                    + phi[:, i, (j + d) % 6]) / 2. / 24.
    np.testing.assert_allclose(obs['two_point'][:, d], expected, rtol=1e-10)
  np.testing.assert_allclose(obs['magnetization'], phi.mean(axis=(1, 2)))


@pytest.fixture(scope='module')
def free_hmc():
  return lattice.hmc_phi4(SHAPE, M2, 0., num_chains=16, num_results=1500,
                          num_burnin=300, seed=1)


def test_hmc_matches_the_free_field(free_hmc):
  est = lattice.estimate_observables(free_hmc.magnetization,
                                     free_hmc.two_point, volume=36)
  exact = lattice.free_field_observables(SHAPE, M2)
  result = lattice.compare_observables(est, exact, num_sigma=3.)
  assert set(result) == {'abs_magnetization', 'susceptibility',
                         'binder_cumulant', 'two_point'}
  for name, row in result.items():
    assert row['agrees'], (name, row)
  # The errors are small enough for the check to mean something.
  assert est['two_point']['error'][0] < 0.01 * exact['two_point']['value'][0]


def test_hmc_acceptance_and_detailed_balance(free_hmc):
  accepted = free_hmc.is_accepted
  assert 0.6 < accepted.mean() < 0.95  # adapted towards 0.8
  # The reported acceptance matches min(1, exp(-dH)) on average.
  accept_prob = np.minimum(1., np.exp(free_hmc.log_accept_ratio))
  assert abs(accept_prob.mean() - accepted.mean()) < 0.02
  # Creutz's identity <exp(-dH)> = 1 holds for a reversible, area-preserving
  # integrator at equilibrium; per-chain means give its error bar.
  per_chain = np.exp(free_hmc.log_accept_ratio).mean(axis=0)
  error = per_chain.std(ddof=1) / np.sqrt(len(per_chain))
  assert abs(per_chain.mean() - 1.) < 4. * error + 1e-3


def test_hmc_is_reproducible_with_a_seed():
  run = lambda seed: lattice.hmc_phi4(
      [4, 4], -4., 5., num_chains=2, num_results=30, num_burnin=10,
      seed=seed, chunk_size=16, jit_compile=False)
  first, again, other = run(3), run(3), run(4)
  np.testing.assert_array_equal(first.magnetization, again.magnetization)
  np.testing.assert_array_equal(first.final_state, again.final_state)
  assert not np.array_equal(first.magnetization, other.magnetization)
  assert first.two_point.shape == (30, 2, 3)
  with pytest.raises(ValueError, match='num_chains'):
    lattice.hmc_phi4([4, 4], -4., 5., num_chains=0)
  with pytest.raises(ValueError, match='step_size'):
    lattice.hmc_phi4([4, 4], -4., 5., step_size=0.)


def test_estimates_unweighted_and_reweighted():
  rng = np.random.default_rng(0)
  m = rng.normal(0., 0.2, size=20000)
  est = lattice.estimate_observables(m, m[:, None]**2, volume=1)
  np.testing.assert_allclose(est['abs_magnetization']['error'],
                             np.std(np.abs(m)) / np.sqrt(len(m)), rtol=0.2)
  same = lattice.estimate_observables(m, m[:, None]**2, 1,
                                      log_weights=np.full(len(m), -3.))
  np.testing.assert_allclose(same['susceptibility']['value'],
                             est['susceptibility']['value'], rtol=1e-12)
  # Self-normalized weights: samples of N(0, 0.3^2) reweighted to N(0, 0.2^2).
  q = rng.normal(0., 0.3, size=20000)
  log_w = -q**2 / (2 * 0.2**2) + q**2 / (2 * 0.3**2)
  weighted = lattice.estimate_observables(q, q[:, None]**2, 1, log_w)
  exact = 0.2 * np.sqrt(2. / np.pi)
  assert abs(weighted['abs_magnetization']['value'] - exact) < 3. * (
      weighted['abs_magnetization']['error'])
  assert weighted['abs_magnetization']['error'] > (
      est['abs_magnetization']['error'])  # weights cost precision
  with pytest.raises(ValueError, match='num_bins'):
    lattice.estimate_observables(m, m[:, None], 1, num_bins=1)
  with pytest.raises(ValueError, match='cannot fill'):
    lattice.estimate_observables(m[:5], m[:5, None], 1, num_bins=10)


def test_independence_metropolis_keeps_the_target():
  target = tfd.Normal(1., 0.5)
  chain = lattice.independence_metropolis(tfd.Normal(0., 1.5),
                                          target.log_prob, 20000, seed=0)
  assert 0.2 < chain.acceptance_rate < 0.8
  states = chain.states.reshape(20, -1)
  error = states.mean(axis=1).std(ddof=1) / np.sqrt(20)
  assert abs(chain.states.mean() - 1.) < 4. * error
  assert abs(chain.states.std() - 0.5) < 0.03
  indices, accepted = lattice.independence_metropolis_indices(
      [0., -1e9, 0., -1e9], seed=0)
  assert indices.tolist() == [0, 0, 2, 2]
  assert accepted.tolist() == [True, False, True, False]


def test_exact_flow_is_always_accepted():
  exact = lattice.free_field_observables([4, 4], M2)
  result = lattice.compare_with_reference(_gaussian_field([4, 4], M2), M2, 0.,
                                          exact, num_samples=2000, seed=0)
  assert result['imh_acceptance'] == 1.
  assert result['ess'] > 1. - 1e-9
  assert result['agrees'] and all(
      row['agrees'] for row in result['imh'].values())


def test_mismatched_gaussian_flow_gives_the_free_field():
  exact = lattice.free_field_observables([4, 4], M2)
  flow = _gaussian_field([4, 4], M2, scale=1.15)
  result = lattice.compare_with_reference(flow, M2, 0., exact,
                                          num_samples=8000, seed=0,
                                          num_sigma=3.)
  assert 0.1 < result['ess'] < 0.9
  assert 0.1 < result['imh_acceptance'] < 0.9
  for kind in ('reweighted', 'imh'):
    for name, row in result[kind].items():
      assert row['agrees'], (kind, name, row)
  # A reference it cannot match is flagged.
  wrong = dict(exact, susceptibility=dict(value=2., error=0.01))
  result = lattice.compare_with_reference(flow, M2, 0., wrong,
                                          num_samples=1000, seed=0)
  assert not result['agrees']
  assert not result['reweighted']['susceptibility']['agrees']
  with pytest.raises(ValueError, match='num_samples'):
    lattice.compare_with_reference(flow, M2, 0., exact, num_samples=10)

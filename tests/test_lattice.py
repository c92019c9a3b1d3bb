"""phi^4 lattice pieces: action, masks, FourierScaling, ZeroModeBijector."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests import autodiff
from tfp_analytic import lattice
from tfp_analytic.bijectors.origin_fixed import OriginFixed

tfb = tfp.bijectors

DTYPES = [tf.float32, tf.float64]
TOL = {tf.float32: 1e-4, tf.float64: 1e-10}
dtypes = pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: d.name)


def _field(shape, dtype, seed=0, scale=1.):
  rng = np.random.default_rng(seed)
  return tf.constant(scale * rng.standard_normal(shape), dtype)


def _scaling(shape, dtype, seed=1):
  scaling = lattice.FourierScaling(shape, dtype=dtype)
  scaling.log_scales.assign(_field([scaling.num_orbits], dtype, seed, 0.5))
  return scaling


def _zero_mode(dtype, seed=2, num_members=2):
  zero_mode = lattice.ZeroModeBijector(num_members=num_members, dtype=dtype,
                                       seed=seed)
  raw = zero_mode.raw_params
  raw.assign_add(_field(raw.shape, dtype, seed, 0.5))
  return zero_mode


def test_phi4_action_matches_a_loop():
  phi = _field([2, 3, 4], tf.float64)
  m2, lam = -4., 3.
  expected = np.zeros(2)
  for b in range(2):
    for i in range(3):
      for j in range(4):
        here = phi[b, i, j].numpy()
        expected[b] += ((phi[b, (i + 1) % 3, j].numpy() - here)**2
                        + (phi[b, i, (j + 1) % 4].numpy() - here)**2
                        + m2 * here**2 + lam * here**4)
  np.testing.assert_allclose(lattice.phi4_action(phi, m2, lam), expected,
                             rtol=1e-12)
  np.testing.assert_allclose(lattice.magnetization(phi),
                             np.mean(phi.numpy(), axis=(-2, -1)), rtol=1e-12)


def test_checkerboard_masks_split_neighbours():
  even = lattice.checkerboard_mask([4, 6], parity=0).numpy()
  odd = lattice.checkerboard_mask([4, 6], parity=1, dtype=tf.float64).numpy()
  np.testing.assert_array_equal(even + odd, np.ones([4, 6]))
  # Every neighbour (periodic, even sizes) of a marked site is unmarked.
  for axis in (0, 1):
    np.testing.assert_array_equal(even * np.roll(even, 1, axis=axis), 0.)
  assert even[0, 0] == 1. and odd[0, 0] == 0.
  with pytest.raises(ValueError, match='parity'):
    lattice.checkerboard_mask([4, 4], parity=2)


@pytest.mark.parametrize('shape', [(4, 4), (5, 5), (4, 6)])
def test_orbits_are_closed_under_the_lattice_symmetries(shape):
  index, sizes = lattice.momentum_orbits(shape)
  assert sizes.sum() == np.prod(shape)
  k1, k2 = np.indices(shape)
  reflected = index[-k1 % shape[0], k2]
  np.testing.assert_array_equal(index, reflected)
  np.testing.assert_array_equal(index, index[k1, -k2 % shape[1]])
  if shape[0] == shape[1]:
    np.testing.assert_array_equal(index, index.T)
  # Distinct orbits: no symmetry maps one into another (orbit sizes 1, 2, 4, 8).
  assert set(sizes) <= {1, 2, 4, 8}
  if shape == (4, 4):
    assert len(sizes) == 6


@dtypes
def test_fourier_scaling_scales_plane_waves_by_their_orbit(dtype):
  shape = (4, 6)
  scaling = _scaling(shape, dtype)
  assert len(scaling.trainable_variables) == 1
  assert scaling.trainable_variables[0].shape == [scaling.num_orbits]
  grid = scaling.log_scale_grid().numpy()
  sites = np.indices(shape)
  waves, factors = [], []
  for k1 in range(shape[0]):
    for k2 in range(shape[1]):
      phase = 2. * np.pi * (k1 * sites[0] / shape[0] + k2 * sites[1] / shape[1])
      waves.append(np.cos(phase))
      factors.append(np.exp(grid[k1, k2]))
  waves = tf.constant(np.stack(waves), dtype)
  # cos(k.x) is an eigenvector with eigenvalue exp(s(k)) because s(-k) = s(k).
  expected = np.array(factors)[:, None, None] * waves.numpy()
  np.testing.assert_allclose(scaling.forward(waves), expected,
                             atol=10 * TOL[dtype])


@dtypes
def test_fourier_scaling_is_real_and_ldj_matches_slogdet(dtype):
  scaling = _scaling((4, 4), dtype)
  phi = _field([3, 4, 4], dtype)
  # The exact map of the orbit-tied scales has no imaginary part.
  modes = np.fft.fft2(phi.numpy()) * np.exp(scaling.log_scale_grid().numpy())
  assert np.abs(np.fft.ifft2(modes).imag).max() < 1e-12
  assert autodiff.log_det_error(scaling, phi, 2) < TOL[dtype]
  ldj = scaling.forward_log_det_jacobian(phi, 2)
  np.testing.assert_allclose(
      ldj, np.sum(scaling.orbit_sizes * scaling.log_scales.numpy()),
      rtol=TOL[dtype])
  y = scaling.forward(phi)
  assert y.dtype == dtype
  np.testing.assert_allclose(scaling.inverse(tf.identity(y)), phi,
                             atol=TOL[dtype])
  np.testing.assert_allclose(scaling.inverse_log_det_jacobian(y, 2), -ldj,
                             rtol=TOL[dtype])


@dtypes
def test_zero_mode_ldj_matches_slogdet_and_round_trip(dtype):
  zero_mode = _zero_mode(dtype)
  phi = tf.concat([_field([4, 4, 4], dtype, 3),
                   tf.zeros([1, 4, 4], dtype)], 0)
  assert autodiff.log_det_error(zero_mode, phi, 2) < TOL[dtype]
  y = zero_mode.forward(phi)
  np.testing.assert_allclose(zero_mode.inverse(tf.identity(y)), phi,
                             atol=TOL[dtype])
  np.testing.assert_allclose(
      zero_mode.inverse_log_det_jacobian(tf.identity(y), 2),
      -zero_mode.forward_log_det_jacobian(phi, 2), atol=TOL[dtype])
  # Only the mean moves: y - phi is constant over the lattice.
  shift = (y - phi).numpy()
  np.testing.assert_allclose(shift, shift[:, :1, :1] * np.ones_like(shift),
                             atol=TOL[dtype])


@dtypes
def test_zero_mode_is_exactly_z2_equivariant(dtype):
  zero_mode = _zero_mode(dtype)
  phi = _field([8, 4, 4], dtype, 4)
  np.testing.assert_array_equal(zero_mode.forward(-phi),
                                -zero_mode.forward(phi))
  np.testing.assert_array_equal(zero_mode.inverse(-phi),
                                -zero_mode.inverse(phi))
  np.testing.assert_array_equal(
      zero_mode.forward_log_det_jacobian(-phi, 2),
      zero_mode.forward_log_det_jacobian(phi, 2))


@dtypes
def test_zero_mode_at_zero_mean_is_finite_with_the_slope(dtype):
  zero_mode = _zero_mode(dtype)
  phi = _field([2, 4, 4], dtype, 5)
  phi = phi - tf.reduce_mean(phi, axis=[-2, -1], keepdims=True)
  phi = tf.concat([phi, tf.zeros([1, 4, 4], dtype)], 0)
  assert np.all(lattice.magnetization(phi)[2] == 0.)
  with tf.GradientTape() as tape:
    tape.watch(phi)
    y = zero_mode.forward(phi)
    ldj = zero_mode.forward_log_det_jacobian(phi, 2)
    total = tf.reduce_sum(y) + tf.reduce_sum(ldj)
  grads = tape.gradient(total, [phi, zero_mode.raw_params])
  assert all(np.all(np.isfinite(g)) for g in grads)
  log_slope_at_0 = zero_mode.magnitude_map().forward_log_det_jacobian(
      tf.zeros([], dtype), 0)
  np.testing.assert_allclose(ldj[2], log_slope_at_0, rtol=1e-6)
  # The zero mode's slope at M = 0 is f'(0), not 0: the Jacobian is regular.
  _, log_det = tf.linalg.slogdet(
      autodiff.batch_jacobian(zero_mode.forward, phi[2:], 2))
  np.testing.assert_allclose(log_det, ldj[2:], atol=TOL[dtype])


def test_zero_mode_maps_the_fft_zero_mode_by_a_given_radial_bijector():
  # The paper's definition: the k = 0 amplitude of the orthonormal FFT,
  # u = sqrt(V) M, goes to sign(u) f(|u|); every other amplitude stays.
  f = OriginFixed(tfb.SinhArcsinh(skewness=np.float64(0.3),
                                  tailweight=np.float64(1.4)))
  zero_mode = lattice.ZeroModeBijector(f)
  assert zero_mode.trainable_variables == ()
  phi = _field([3, 4, 6], tf.float64, 6)
  y = zero_mode.forward(phi)
  phi_k, y_k = (np.fft.fft2(z, norm='ortho') for z in (phi, y))
  u = phi_k[:, 0, 0].real
  np.testing.assert_allclose(y_k[:, 0, 0].real,
                             np.sign(u) * f.forward(np.abs(u)), rtol=1e-12)
  np.testing.assert_allclose(y_k[:, 1:], phi_k[:, 1:], atol=1e-12)
  np.testing.assert_allclose(y_k[:, 0, 1:], phi_k[:, 0, 1:], atol=1e-12)
  assert autodiff.log_det_error(zero_mode, phi, 2) < TOL[tf.float64]
  np.testing.assert_allclose(zero_mode.forward_log_det_jacobian(phi, 2),
                             f.forward_log_det_jacobian(np.abs(u), 0),
                             rtol=1e-12)


@dtypes
def test_lattice_bijectors_match_under_xla_and_stay_z2_equivariant(dtype):
  phi = _field([3, 4, 4], dtype, 7)
  zero_mode = _zero_mode(dtype, num_members=1)
  for bijector in (_scaling((4, 4), dtype), zero_mode):

    def run(x, bijector=bijector):
      return (bijector.forward(x), bijector.inverse(x),
              bijector.forward_log_det_jacobian(x, 2),
              bijector.inverse_log_det_jacobian(x, 2))

    compiled = tf.function(run, jit_compile=True)
    for eager, xla in zip(run(phi), compiled(phi)):
      np.testing.assert_allclose(xla, eager, rtol=TOL[dtype], atol=TOL[dtype])
    # FourierScaling and the zero mode are odd maps, bit for bit.
    for plus, minus in zip(compiled(phi)[:2], compiled(-phi)[:2]):
      np.testing.assert_array_equal(minus, -plus)


def test_variables_are_tracked_and_checkpointed(tmp_path):
  scaling, zero_mode = _scaling((4, 4), tf.float32), _zero_mode(tf.float32)
  flow = tfb.Chain([zero_mode, scaling])
  assert len(flow.trainable_variables) == 2
  phi = _field([2, 4, 4], tf.float32, 8)
  path = tf.train.Checkpoint(scaling=scaling, zero_mode=zero_mode).save(
      str(tmp_path / 'ckpt'))
  fresh = (lattice.FourierScaling((4, 4)),
           lattice.ZeroModeBijector(num_members=2, seed=9))
  tf.train.Checkpoint(scaling=fresh[0], zero_mode=fresh[1]).restore(
      path).assert_consumed()
  np.testing.assert_array_equal(tfb.Chain(list(fresh[::-1])).forward(phi),
                                flow.forward(phi))


def test_constructors_check_arguments():
  with pytest.raises(ValueError, match='lattice_shape'):
    lattice.FourierScaling([4])
  with pytest.raises(ValueError, match='num_members'):
    lattice.ZeroModeBijector(num_members=0)
  with pytest.raises(ValueError, match='scalar'):
    lattice.ZeroModeBijector(tfb.ScaleMatvecDiag([1., 2.]))

"""Tests of OriginFixed and the radial flows (plain, conditional, series)."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests import autodiff
from tests import registry
from tfp_analytic.bijectors.conditional_radial import ConditionalRadial
from tfp_analytic.bijectors.cubic_conjugation import CubicConjugation
from tfp_analytic.bijectors.cubic_rational import CubicRational
from tfp_analytic.bijectors.fourier_radial import FourierRadial
from tfp_analytic.bijectors.fourier_radial import fourier_basis
from tfp_analytic.bijectors.loop import MAX_UNROLLED
from tfp_analytic.bijectors.origin_fixed import OriginFixed
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack
from tfp_analytic.bijectors.radial import RadialFlow
from tfp_analytic.bijectors.radial_chain import RadialChain
from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation
from tfp_analytic.bijectors.spherical_radial import SphericalRadial
from tfp_analytic.bijectors.spherical_radial import real_spherical_harmonics

tfb = tfp.bijectors

DTYPES = [tf.float32, tf.float64]
TOL = {tf.float32: 2e-4, tf.float64: 1e-10}
GRAD_TOL = {tf.float32: 1e-3, tf.float64: 1e-8}
dtypes = pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: d.name)


def _normal(rng, shape, scale, dtype):
  return tf.constant(scale * rng.standard_normal(shape), dtype)


class _Radial(tf.Module):
  """A RadialFlow built from variables at each call (gradients reach them)."""

  def __init__(self, family, dim, num_members, dtype, seed):
    super().__init__()
    rng = np.random.default_rng(seed)
    self.raw = tf.Variable(_normal(
        rng, [num_members * family.num_raw_params], 0.5, dtype))
    self.center = tf.Variable(_normal(rng, [dim], 0.3, dtype))
    self.log_scale = tf.Variable(_normal(rng, [dim], 0.2, dtype))
    self.family = family

  def __call__(self):
    return RadialFlow.from_raw(self.family, self.raw, self.center,
                               self.log_scale)


class _Owner(tf.Module):
  """Holds a flow that owns its variables; calling it returns the flow."""

  def __init__(self, flow):
    super().__init__()
    self.flow = flow

  def __call__(self):
    return self.flow


def _mlp_radial(dtype, seed, dim=3, num_members=2, family=CubicConjugation):
  net = registry.mlp_network(family, num_members, dtype, seed)
  net(tf.zeros([1, dim], dtype))  # Builds the variables eagerly.
  rng = np.random.default_rng(seed)
  return ConditionalRadial(
      family, net, center=tf.Variable(_normal(rng, [dim], 0.3, dtype)),
      log_scale=tf.Variable(_normal(rng, [dim], 0.2, dtype)),
      num_members=num_members)


def _perturbed(flow, seed):
  """Moves every variable of `flow` away from its near-identity start."""
  return registry.perturb(flow, np.random.default_rng(seed))


# Each maker: dtype -> (module whose call returns the flow, event size); the
# module's trainable variables are all the flow's parameters.
MAKERS = {
    'radial_d2_sinh': lambda dtype: (
        _Radial(SinhConjugation, 2, 2, dtype, 0), 2),
    'radial_d3_rational': lambda dtype: (
        _Radial(CubicRational, 3, 1, dtype, 1), 3),
    'radial_d5_cubic': lambda dtype: (
        _Radial(CubicConjugation, 5, 2, dtype, 2), 5),
    'conditional_mlp_d3': lambda dtype: (
        _Owner(_mlp_radial(dtype, 3)), 3),
    'fourier_m2': lambda dtype: (_Owner(_perturbed(
        FourierRadial(2, num_members=2, dtype=dtype, seed=4), 4)), 2),
    'fourier_m1_rational': lambda dtype: (_Owner(_perturbed(
        FourierRadial(1, family=CubicRational, dtype=dtype, seed=6), 6)), 2),
    'spherical_l2': lambda dtype: (_Owner(_perturbed(
        SphericalRadial(2, family=CubicConjugation, num_members=2,
                        dtype=dtype, seed=5), 5)), 3),
}
makers = pytest.mark.parametrize('kind', sorted(MAKERS))


def _inputs(flow, dim, dtype, n=6):
  """Random points, plus points exactly at and very near the center."""
  rng = np.random.default_rng(7)
  center = tf.convert_to_tensor(flow.center)[tf.newaxis]
  near = center + 1e-3 * tf.constant(rng.standard_normal([1, dim]), dtype)
  return tf.concat([_normal(rng, [n, dim], 1.5, dtype), center, near], 0)


@makers
@dtypes
def test_ldj_matches_slogdet_and_round_trip(kind, dtype):
  make, dim = MAKERS[kind](dtype)
  flow = make()
  x = _inputs(flow, dim, dtype)
  assert autodiff.log_det_error(flow, x, 1) < TOL[dtype]
  y = flow.forward(x)
  x_back = flow.inverse(tf.identity(y))
  np.testing.assert_allclose(x_back, x, rtol=TOL[dtype], atol=TOL[dtype])
  np.testing.assert_allclose(
      flow.inverse_log_det_jacobian(tf.identity(y), 1),
      -flow.forward_log_det_jacobian(x, 1), rtol=TOL[dtype], atol=TOL[dtype])


def _center_outputs(make, x):
  """Values, and the gradient of their sum w.r.t. input and every variable.

  One backward pass (a NaN or inf in any part makes the sum non-finite);
  XLA compile time grows quickly with the number of gradient graphs.
  """
  with tf.GradientTape() as tape:
    tape.watch(x)
    flow = make()
    outputs = [flow.forward(x), flow.forward_log_det_jacobian(x, 1),
               flow.inverse(x), flow.inverse_log_det_jacobian(x, 1)]
    total = sum(tf.reduce_sum(out) for out in outputs)
  sources = [x] + list(make.trainable_variables)
  return outputs, [tf.convert_to_tensor(g)
                   for g in tape.gradient(total, sources)]


def _log_slope_at_center(flow, dim, dtype):
  if isinstance(flow, ConditionalRadial):
    f = flow.radial_bijector_at(tf.one_hot([0], dim, dtype=dtype))
  else:
    f = flow.radial_bijector
  return np.reshape(f.forward_log_det_jacobian(tf.zeros([], dtype), 0), [])


@makers
@dtypes
def test_exact_center_is_finite_with_the_limit(kind, dtype):
  make, dim = MAKERS[kind](dtype)
  flow = make()
  center = tf.convert_to_tensor(flow.center)
  x = tf.stack([center, center])
  (y, ldj, x_back, ildj), grads = _center_outputs(make, x)
  for value in [y, ldj, x_back, ildj] + grads:
    assert np.all(np.isfinite(value))
  np.testing.assert_array_equal(y, x)
  np.testing.assert_allclose(x_back, x, atol=TOL[dtype])
  expected = dim * _log_slope_at_center(flow, dim, dtype)
  np.testing.assert_allclose(ldj, [expected] * 2, rtol=1e-6, atol=1e-6)
  np.testing.assert_allclose(ildj, -ldj, rtol=1e-6, atol=1e-6)
  # d y / d x = f'(0) I and d x_back / d x = I / f'(0) at the center; the
  # log-dets are flat there (zero gradient by symmetry).
  slope = np.exp(expected / dim)
  np.testing.assert_allclose(grads[0], np.full([2, dim], slope + 1. / slope),
                             rtol=1e-5)


# XLA compiles of analytic stacks with gradients take seconds per member:
# one small case per code path, each dtype once.
@pytest.mark.parametrize('kind, dtype', [
    ('radial_d3_rational', tf.float32), ('fourier_m1_rational', tf.float64)],
                         ids=['radial_d3_rational-float32',
                              'fourier_m1_rational-float64'])
def test_xla_matches_eager_at_and_off_the_center(kind, dtype):
  make, dim = MAKERS[kind](dtype)
  flow = make()
  center = tf.convert_to_tensor(flow.center)
  x = tf.concat([_inputs(flow, dim, dtype, n=3), center[tf.newaxis]], 0)
  eager = _center_outputs(make, x)
  xla = tf.function(_center_outputs, jit_compile=True)(make, x)
  for expected, actual in zip(eager[0], xla[0]):
    np.testing.assert_allclose(actual, expected, rtol=TOL[dtype],
                               atol=TOL[dtype])
  # Gradients near the center divide rounding errors by r (x[-2] is 1e-3 off).
  for expected, actual in zip(eager[1], xla[1]):
    assert np.all(np.isfinite(actual))
    np.testing.assert_allclose(actual, expected, rtol=GRAD_TOL[dtype],
                               atol=GRAD_TOL[dtype])
  # The center (last row) keeps its exact limit under XLA too.
  (y, ldj, _, _), _ = xla
  np.testing.assert_array_equal(y[-1], center)
  np.testing.assert_allclose(
      ldj[-1], dim * _log_slope_at_center(flow, dim, dtype), rtol=1e-6)


def test_origin_fixed_fixes_zero_and_keeps_the_slope():
  base = tfb.SinhArcsinh(skewness=[0.5, -1.], tailweight=[1.5, 0.7])
  f = OriginFixed(base)
  assert isinstance(f, tf.__internal__.CompositeTensor)
  x = tf.constant([[0.], [0.7], [-2.]])
  np.testing.assert_allclose(f.forward(x)[0], [0., 0.])
  np.testing.assert_allclose(
      f.forward(x), base.forward(x) - base.forward(0.), rtol=1e-6)
  np.testing.assert_allclose(f.forward_log_det_jacobian(x, 0),
                             base.forward_log_det_jacobian(x, 0))
  np.testing.assert_allclose(f.inverse(tf.identity(f.forward(x))),
                             tf.broadcast_to(x, [3, 2]), atol=1e-6)
  assert f.experimental_batch_shape() == [2]
  np.testing.assert_allclose(f[1].forward(x)[:, 0], f.forward(x)[:, 1])



class _PlainSinh(tfb.Bijector):
  """An increasing scalar bijector that is not a CompositeTensor."""

  def __init__(self):
    super().__init__(forward_min_event_ndims=0, name='plain_sinh')

  def _forward(self, x):
    return tf.sinh(x + 0.5)

  def _inverse(self, y):
    return tf.asinh(y) - 0.5

  def _forward_log_det_jacobian(self, x):
    return tf.math.log(tf.cosh(x + 0.5))


def test_origin_fixed_of_a_plain_bijector_is_plain():
  f = OriginFixed(_PlainSinh())
  assert not isinstance(f, tf.__internal__.CompositeTensor)
  np.testing.assert_allclose(f.forward([0., 1.]),
                             [0., np.sinh(1.5) - np.sinh(0.5)], rtol=1e-6)
  np.testing.assert_allclose(f.inverse(tf.constant([0., 1.])),
                             [0., np.arcsinh(1. + np.sinh(0.5)) - 0.5],
                             rtol=1e-6, atol=1e-7)
  flow = RadialFlow(f, [0., 0.], [0., 0.])
  assert not isinstance(flow, tf.__internal__.CompositeTensor)
  assert np.all(np.isfinite(flow.forward([[1., 2.], [0., 0.]])))


def test_origin_fixed_rejects_non_scalar():
  with pytest.raises(ValueError, match='scalar'):
    OriginFixed(tfb.ScaleMatvecDiag([1., 2.]))


@dtypes
def test_raw_zero_is_identity(dtype):
  raw = tf.zeros([3 * SinhConjugation.num_raw_params], dtype)
  flow = RadialFlow.from_raw(SinhConjugation, raw, center=tf.constant(
      [0.3, -1., 2.], dtype), log_scale=tf.constant([0.5, 0., -0.2], dtype))
  x = _normal(np.random.default_rng(0), [5, 3], 1., dtype)
  np.testing.assert_allclose(flow.forward(x), x, rtol=TOL[dtype],
                             atol=TOL[dtype])
  np.testing.assert_allclose(flow.forward_log_det_jacobian(x, 1),
                             np.zeros(5), atol=TOL[dtype])


def test_radial_flow_batch_shapes_broadcast_and_slice():
  rng = np.random.default_rng(1)
  raw = _normal(rng, [4, 2 * CubicConjugation.num_raw_params], 0.5,
                tf.float64)
  center = _normal(rng, [3, 1, 2], 0.5, tf.float64)
  log_scale = _normal(rng, [2], 0.3, tf.float64)
  flow = RadialFlow.from_raw(CubicConjugation, raw, center, log_scale)
  assert flow.experimental_batch_shape() == [3, 4]
  x = _normal(rng, [3, 4, 2], 1., tf.float64)
  y = flow.forward(x)
  assert y.shape == [3, 4, 2]
  one = RadialFlow.from_raw(CubicConjugation, raw[1], center[2, 0], log_scale)
  np.testing.assert_allclose(flow[2, 1].forward(x[2, 1]), y[2, 1], rtol=1e-12)
  np.testing.assert_allclose(one.forward(x[2, 1]), y[2, 1], rtol=1e-12)
  ldj = flow.forward_log_det_jacobian(x, 1)
  assert ldj.shape == [3, 4]


def test_radial_flow_is_composite_and_crosses_tf_function():
  raw = tf.random.stateless_normal([3], [1, 1])
  flow = RadialFlow.from_raw(CubicRational, raw, [0.5, 0.], [0., 0.1])
  assert isinstance(flow, tf.__internal__.CompositeTensor)
  x = tf.random.stateless_normal([4, 2], [2, 2])
  forward = tf.function(lambda b, x: b.forward(x))
  np.testing.assert_allclose(forward(flow, x), flow.forward(x), rtol=1e-6)
  flat = tf.nest.flatten(flow, expand_composites=True)
  rebuilt = tf.nest.pack_sequence_as(flow, flat, expand_composites=True)
  np.testing.assert_allclose(rebuilt.forward(x), flow.forward(x))


def test_constructors_check_arguments():
  stack = origin_fixed_stack(CubicConjugation, tf.zeros([4]))
  with pytest.raises(ValueError, match='same last axis'):
    RadialFlow(stack, [0., 0.], [0., 0., 0.])
  with pytest.raises(ValueError, match='scalar'):
    RadialFlow(tfb.ScaleMatvecDiag([1., 2.]), [0., 0.], [0., 0.])
  with pytest.raises(ValueError, match='num_modes'):
    FourierRadial(-1)
  with pytest.raises(ValueError, match='shape'):
    FourierRadial(1, center=[0., 0., 0.])
  with pytest.raises(tf.errors.InvalidArgumentError, match='center'):
    RadialFlow(stack, [np.nan, 0.], [0., 0.], validate_args=True)
  log_scale = tf.Variable([0., 0.])
  flow = RadialFlow(stack, [0., 0.], log_scale, validate_args=True)
  log_scale.assign([0., np.inf])
  with pytest.raises(tf.errors.InvalidArgumentError, match='log_scale'):
    flow.forward([[1., 1.]])


def _count(module):
  return sum(int(tf.size(v)) for v in module.trainable_variables)


def test_parameter_counts():
  assert _count(FourierRadial(0, num_members=9, seed=0)) == 49
  assert _count(FourierRadial(3, num_members=9, seed=0)) == 319
  for degree in range(3):
    flow = SphericalRadial(degree, family=CubicConjugation, num_members=2,
                           seed=0)
    assert _count(flow) == 2 * 4 * (degree + 1)**2 + 6


@dtypes
def test_fourier_radial_without_modes_is_a_radial_flow(dtype):
  flow = FourierRadial(0, num_members=4, center=[0.2, -0.1],
                       log_scale=[0.1, -0.3], dtype=dtype, seed=3)
  plain = RadialFlow.from_raw(SinhConjugation, flow.coefficients[:, 0],
                              flow.center, flow.log_scale)
  x = _normal(np.random.default_rng(2), [16, 2], 1.5, dtype)
  np.testing.assert_allclose(flow.forward(x), plain.forward(x),
                             rtol=10 * TOL[dtype] ** 1.5)
  np.testing.assert_allclose(flow.forward_log_det_jacobian(x, 1),
                             plain.forward_log_det_jacobian(x, 1),
                             rtol=10 * TOL[dtype] ** 1.5,
                             atol=10 * TOL[dtype] ** 1.5)


def test_fourier_radial_starts_near_identity_with_spread_locs():
  flow = FourierRadial(2, num_members=9, seed=0)
  coefficients = flow.coefficients_by_param()
  assert set(coefficients) == set(SinhConjugation.raw_param_names)
  assert coefficients['loc'].shape == [9, 5]
  assert np.std(coefficients['loc'][:, 0]) > 0.3
  assert np.abs(coefficients['shift']).max() < 0.1
  assert np.abs(coefficients['loc'][:, 1:]).max() < 0.1
  params = flow.params_at_angle(tf.constant([0., 1., 2.]))
  assert params['scale'].shape == [3, 9]
  assert flow.raw_params_at_angle(0.5).shape == [45]


def test_conditional_radial_tracks_keras_variables():
  flow = _mlp_radial(tf.float32, 0)
  flow.forward(tf.ones([2, 3]))
  assert len(flow.trainable_variables) == 6  # 2 kernels, 2 biases, location.
  x = tf.random.stateless_normal([4, 3], [0, 3])
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(flow.forward_log_det_jacobian(x, 1))
  grads = tape.gradient(loss, flow.trainable_variables)
  assert all(g is not None for g in grads)


def test_checkpoint_restores_fourier_radial(tmp_path):
  flow = _perturbed(FourierRadial(1, num_members=2, seed=1), 1)
  x = tf.random.stateless_normal([5, 2], [4, 4])
  path = tf.train.Checkpoint(flow=flow).save(str(tmp_path / 'ckpt'))
  fresh = FourierRadial(1, num_members=2, seed=2)
  assert not np.allclose(fresh.forward(x), flow.forward(x))
  tf.train.Checkpoint(flow=fresh).restore(path).assert_consumed()
  np.testing.assert_array_equal(fresh.forward(x), flow.forward(x))


def test_fourier_basis_is_cos_and_sin_of_multiples():
  theta = tf.constant(np.linspace(-3., 3., 7), tf.float64)
  basis = fourier_basis(tf.stack([tf.cos(theta), tf.sin(theta)], -1), 3)
  expected = [np.ones(7)] + [
      f(m * theta.numpy()) for m in (1, 2, 3) for f in (np.cos, np.sin)]
  np.testing.assert_allclose(basis, np.stack(expected, -1), atol=1e-13)


def test_spherical_harmonics_are_schmidt_orthogonal():
  degree = 4
  nodes, weights = np.polynomial.legendre.leggauss(degree + 2)
  azimuth = 2. * np.pi * np.arange(2 * degree + 2) / (2 * degree + 2)
  z, phi = np.meshgrid(nodes, azimuth, indexing='ij')
  sin_polar = np.sqrt(1. - z**2)
  u = np.stack([sin_polar * np.cos(phi), sin_polar * np.sin(phi), z], -1)
  values = real_spherical_harmonics(tf.constant(u), degree).numpy()
  # Mean over the sphere: Gauss-Legendre in z, uniform in the azimuth.
  w = (weights[:, None] / 2.) / len(azimuth) * np.ones_like(phi)
  gram = np.einsum('ij,ija,ijb->ab', w, values, values)
  degrees = np.floor(np.sqrt(np.arange((degree + 1)**2)))
  np.testing.assert_allclose(gram, np.diag(1. / (2. * degrees + 1.)),
                             atol=1e-12)
  np.testing.assert_allclose(values[..., 1:4], u[..., [1, 2, 0]], atol=1e-15)


def _fourier_chain(num_layers, num_modes, dtype, seed=0):
  family, num_members = CubicConjugation, 2
  rng = np.random.default_rng(seed)
  raw = _normal(rng, [num_layers, num_members * family.num_raw_params
                      * (2 * num_modes + 1)], 0.5, dtype)
  return RadialChain(family, raw, _normal(rng, [num_layers, 2], 0.5, dtype),
                     _normal(rng, [num_layers, 2], 0.2, dtype),
                     num_modes=num_modes)


@pytest.mark.parametrize('num_layers', [3, MAX_UNROLLED + 2])
@dtypes
def test_angular_radial_chain_is_the_chain_of_fourier_layers(num_layers,
                                                             dtype):
  chain = _fourier_chain(num_layers, 2, dtype)
  layers = []
  for k in range(num_layers):
    layer = FourierRadial(2, CubicConjugation, num_members=2,
                          center=chain.center[k],
                          log_scale=chain.log_scale[k], dtype=dtype)
    layer.coefficients.assign(tf.reshape(chain.raw[k], [-1, 5]))
    layers.append(layer)
  unrolled = tfb.Chain(layers[::-1])
  x = _normal(np.random.default_rng(1), [16, 2], 1.5, dtype)
  xla = tf.function(lambda x: (chain.forward(x),
                               chain.forward_log_det_jacobian(x, 1)),
                    jit_compile=True)
  for y, ldj in [(chain.forward(x), chain.forward_log_det_jacobian(x, 1)),
                 xla(x)]:
    np.testing.assert_allclose(y, unrolled.forward(x), rtol=TOL[dtype],
                               atol=TOL[dtype])
    np.testing.assert_allclose(ldj, unrolled.forward_log_det_jacobian(x, 1),
                               rtol=TOL[dtype], atol=TOL[dtype])
  y = tf.identity(chain.forward(x))  # A new tensor: no cache hit.
  np.testing.assert_allclose(chain.inverse(y), x, rtol=TOL[dtype],
                             atol=TOL[dtype])


def test_angular_radial_chain_without_modes_is_the_angle_free_chain():
  chain = _fourier_chain(3, 0, tf.float64)
  plain = RadialChain(CubicConjugation, chain.raw, chain.center,
                      chain.log_scale)
  x = _normal(np.random.default_rng(2), [8, 2], 1.5, tf.float64)
  np.testing.assert_allclose(chain.forward(x), plain.forward(x), rtol=1e-12)
  np.testing.assert_allclose(chain.forward_log_det_jacobian(x, 1),
                             plain.forward_log_det_jacobian(x, 1),
                             rtol=1e-12)


def test_angular_radial_chain_checks_its_shapes():
  with pytest.raises(ValueError, match='d = 2'):
    RadialChain(CubicConjugation, tf.zeros([2, 40]), tf.zeros([2, 3]),
                tf.zeros([2, 3]), num_modes=1)
  with pytest.raises(ValueError, match='numbers per layer'):
    RadialChain(CubicConjugation, tf.zeros([2, 41]), tf.zeros([2, 2]),
                tf.zeros([2, 2]), num_modes=1)
  with pytest.raises(ValueError, match='numbers per layer'):
    RadialChain(CubicConjugation, tf.zeros([2, 24]), tf.zeros([2, 2]),
                tf.zeros([2, 2]), num_members=1, num_modes=0)
  with pytest.raises(ValueError, match='num_modes'):
    RadialChain(CubicConjugation, tf.zeros([2, 8]), tf.zeros([2, 2]),
                tf.zeros([2, 2]), num_modes=-1)


def _bent_flow(magnitude, num_members, dtype):
  """A RadialFlow about (1, 1) whose cubic rationals all sit at radius 0,
  so that the profile bends within a tiny radius: slope 9^N there with
  magnitude raw +30, 1e-3^N with -30."""
  raw = tf.constant([0., magnitude, 0.] * num_members, dtype)
  return RadialFlow.from_raw(CubicRational, raw, tf.ones([2], dtype),
                             tf.zeros([2], dtype))


@pytest.mark.parametrize('family', [CubicRational, SinhConjugation,
                                    CubicConjugation],
                         ids=lambda f: f.__name__)
@dtypes
def test_origin_fixed_log_ratio_is_the_secant_slope(family, dtype):
  rng = np.random.default_rng(3)
  raw = rng.standard_normal([4, family.num_raw_params])
  raw[:, 0] *= 2.  # Locs away from 0: b(r) - b(0) cancels for small r.
  f = OriginFixed(family.from_raw(tf.constant(raw[:, None, :], dtype)))
  t = tf.constant([0., 1e-30, 1e-9, 1e-4, 0.1, 1., 30., 1e30], dtype)
  log_ratio = f.log_ratio(t, f.forward(t)).numpy()
  # Reference: the float64 quotient where it cannot cancel much (t >= 0.1);
  # near 0 the slope at 0 (they differ by O(t) times the curvature).
  f64 = OriginFixed(family.from_raw(tf.constant(raw[:, None, :])))
  t64 = t.numpy().astype(np.float64)
  large = t64 >= 0.1
  quotient = np.log(f64.forward(t64[large]).numpy() / t64[large])
  eps = np.finfo(dtype.as_numpy_dtype).eps
  np.testing.assert_allclose(log_ratio[:, large], quotient, rtol=0,
                             atol=1e3 * eps)
  small = t64 <= (1e-9 if dtype == tf.float64 else 1e-4)
  slope_at_0 = f64.forward_log_det_jacobian(tf.zeros([1], tf.float64), 0)
  np.testing.assert_allclose(
      log_ratio[:, small], np.broadcast_to(slope_at_0, log_ratio[:, small].shape),
      rtol=0, atol=1e-3 if dtype == tf.float32 else 1e-8)
  assert np.all(np.isfinite(log_ratio))


@dtypes
def test_a_sharply_bent_profile_keeps_its_round_trip(dtype):
  # The slope falls from 729 at the center within a radius of about 1e-3.
  # Ratios from the slopes (trapezoid rule) were off by tens of percent
  # there: a float32 round trip error of 0.12. The secant slopes leave only
  # the conditioning: errors up to eps times the largest stretch.
  flow = _bent_flow(30., 3, dtype)
  rng = np.random.default_rng(0)
  x = tf.constant(1. + rng.standard_normal([2000, 2]), dtype)
  back = flow.forward(tf.identity(flow.inverse(x)))
  eps = np.finfo(dtype.as_numpy_dtype).eps
  error = np.max(np.abs(back - x) / np.maximum(1., np.abs(x)))
  assert error <= 64 * eps * 729.


@dtypes
def test_a_radius_squeezed_below_the_smallest_float_keeps_finite_log_dets(
    dtype):
  # f(r) / r is 1e-60 near the center: it underflows in float32, its log
  # (about -138) does not.
  flow = _bent_flow(-30., 20, dtype)
  x = tf.constant([[1., 1.], [1., 1. + 1e-3], [1.5, 1.], [3., -2.]], dtype)
  for values in (flow.forward(x), flow.inverse(x),
                 flow.forward_log_det_jacobian(x, 1),
                 flow.inverse_log_det_jacobian(x, 1)):
    assert np.all(np.isfinite(values))
  np.testing.assert_allclose(flow.forward(x)[0], [1., 1.])
  np.testing.assert_allclose(flow.forward_log_det_jacobian(x[:1], 1),
                             2 * 20 * np.log(1e-3), rtol=1e-3)

"""The accuracy contract (docs/math.md) against a high-precision reference.

Forward values, log-dets and inverses of the scalar families are compared
with mpmath at 60 digits over random valid parameters (edges included,
`registry.FAMILY_CASES`), in float32 and float64; every scalar bijector of
the registry maps every finite input, up to the largest float, to finite
values and log-dets, `+-inf` to `+-inf`, and NaN to NaN.
"""

import mpmath
import numpy as np
import pytest
import tensorflow as tf

from tests import registry
from tfp_analytic import bijectors as tfab

mp = mpmath.mp
mp.dps = 60

TOL = {tf.float32: 1e-4, tf.float64: 1e-10}
BOUND = 64.

dtypes = pytest.mark.parametrize(
    'dtype', [tf.float32, tf.float64], ids=lambda d: d.name)


def _cubic_rational(x, loc, magnitude, width):
  u = x - loc
  t = (u / width) ** 2
  return (x + magnitude * u / (1 + t),
          mpmath.log(1 + magnitude * (1 - t) / (1 + t) ** 2))


def _sinh_conjugation(x, loc, scale, shift, outer_log_scale,
                      inner_log_scale):
  a = (x - loc) / scale
  z = mpmath.exp(outer_log_scale) * (
      mpmath.exp(inner_log_scale) * mpmath.sinh(a) + shift)
  return (loc + scale * mpmath.asinh(z),
          outer_log_scale + inner_log_scale + mpmath.log(mpmath.cosh(a))
          - mpmath.log(1 + z * z) / 2)


def _cubic_conjugation(x, loc, shift, linear, cubic):
  u = x - loc
  w = linear * u + cubic * u ** 3 + shift
  v = 2 * mpmath.sqrt(linear / (3 * cubic)) * mpmath.sinh(mpmath.asinh(
      3 * mpmath.sqrt(3) * w * mpmath.sqrt(cubic) / (2 * linear ** 1.5)) / 3)
  return (loc + v, mpmath.log(linear + 3 * cubic * u * u)
          - mpmath.log(linear + 3 * cubic * v * v))


REFERENCE = {
    tfab.CubicRational: _cubic_rational,
    tfab.SinhConjugation: _sinh_conjugation,
    tfab.CubicConjugation: _cubic_conjugation,
}


def _reference(family, params, x):
  """`(y, log f'(x))` in float64 from 60-digit arithmetic, per element."""
  out = np.array([
      [float(v) for v in REFERENCE[family](
          mpmath.mpf(float(xi)),
          **{k: mpmath.mpf(float(p[i])) for k, p in params.items()})]
      for i, xi in enumerate(x)])
  return out[:, 0], out[:, 1]


def _draw(case, dtype, n, seed):
  """Random valid parameters and inputs, rounded to `dtype`."""
  rng = np.random.default_rng(seed)
  np_dtype = dtype.as_numpy_dtype
  params = {k: v.astype(np_dtype)
            for k, v in case.valid_params(rng, n).items()}
  kind = rng.integers(0, 3, n)
  x = np.where(kind == 0, rng.uniform(-1e4, 1e4, n),
               np.where(kind == 1, rng.choice([-1., 1.], n) * np.exp(
                   rng.uniform(np.log(1e-6), np.log(1e4), n)),
                        params['loc'] + rng.normal(0., 3., n)))
  return params, x.astype(np_dtype)


@pytest.mark.parametrize('case', registry.FAMILY_CASES, ids=lambda c: c.name)
@dtypes
def test_matches_the_high_precision_reference(case, dtype):
  params, x = _draw(case, dtype, 400, seed=21)
  bijector = case.family(**{k: tf.constant(v) for k, v in params.items()})
  y_ref, ldj_ref = _reference(case.family, params, x)
  slope = np.exp(ldj_ref)
  loc = params['loc']
  # Forward: y is f(x + dx) + dy with dx, dy within the backward floor.
  y = bijector.forward(x).numpy().astype(np.float64)
  forward_err = np.abs(y - y_ref) / (
      slope * registry.backward_floor(x, y_ref.astype(x.dtype), loc, slope))
  assert forward_err.max() <= BOUND, forward_err.max()
  # Log-det: relative accuracy, with an absolute allowance near 0.
  ldj = bijector.forward_log_det_jacobian(x, 0).numpy()
  np.testing.assert_allclose(ldj, ldj_ref, rtol=TOL[dtype], atol=TOL[dtype])
  # Inverse of the correctly rounded y: its exact preimage is x moved by the
  # rounding of y over the slope.
  y_in = y_ref.astype(x.dtype)
  x_exact = x + (y_in.astype(np.float64) - y_ref) / slope
  x_back = bijector.inverse(y_in).numpy().astype(np.float64)
  inverse_err = np.abs(x_back - x_exact) / registry.backward_floor(
      x, y_in, loc, slope)
  assert inverse_err.max() <= BOUND, inverse_err.max()


SCALAR_CASES = [c for c in registry.REGISTRY if not c.event_shape]


def _largest(dtype):
  return float(np.finfo(dtype.as_numpy_dtype).max)


@pytest.mark.parametrize('case', SCALAR_CASES, ids=lambda c: c.name)
@dtypes
def test_finite_up_to_the_largest_float(case, dtype):
  bijector = case.make(dtype, np.random.default_rng(22), [])
  big = _largest(dtype)
  x = tf.constant([-big, -big / 3., -1e38, -1e20, 1e20, 1e38, big / 3., big],
                  dtype)
  for direction in ('forward', 'inverse'):
    value = getattr(bijector, direction)(x)
    ldj = getattr(bijector, f'{direction}_log_det_jacobian')(x, 0)
    assert np.all(np.isfinite(value)), (direction, value)
    assert np.all(np.isfinite(ldj)), (direction, ldj)
    # Increasing, also out there.
    assert np.all(np.diff(value.numpy()) >= 0.), (direction, value)


@pytest.mark.parametrize('case', SCALAR_CASES, ids=lambda c: c.name)
@dtypes
def test_infinities_map_to_themselves_and_nan_propagates(case, dtype):
  bijector = case.make(dtype, np.random.default_rng(23), [])
  x = tf.constant([-np.inf, np.inf, np.nan], dtype)
  for direction in ('forward', 'inverse'):
    value = getattr(bijector, direction)(x).numpy()
    assert value[0] == -np.inf and value[1] == np.inf, (direction, value)
    assert np.isnan(value[2]), (direction, value)

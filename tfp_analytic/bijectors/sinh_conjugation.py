"""SinhConjugation: an affine map conjugated by sinh.

Derivations: docs/math.md#sinhconjugation.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties

from tfp_analytic.bijectors import _numerics
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import SelfInverseConjugation
from tfp_analytic.bijectors._base import parameter_assertions
from tfp_analytic.bijectors._base import positive
from tfp_analytic.bijectors._base import stored_property

__all__ = ['SinhConjugation']


# Threshold |a| beyond which the asymptotic tail replaces the core, and the
# largest argument given to `expm1` (keeps it finite).
_TAIL_START = {tf.float32: 40., tf.float64: 350.}
_EXPM1_CAP = {tf.float32: 80., tf.float64: 700.}


def _sign(v):
  """`+-1` with `_sign(0) = 1`, so that `_sign(v) * v` has gradient 1 at 0."""
  return tf.where(v < 0., -tf.ones_like(v), tf.ones_like(v))


def _asinh(z, root_z):
  """`asinh(z) = sign(z) log1p(|z| (1 + |z| / (1 + sqrt(1 + z^2))))`.

  Relative accuracy for small `|z|` and no overflow for large `|z|`.

  Args:
    z: `Tensor`.
    root_z: `Tensor`, `sqrt(1 + z^2)`.

  Returns:
    `Tensor`.
  """
  sign_z = _sign(z)
  abs_z = sign_z * z
  return sign_z * tf.math.log1p(abs_z * (1. + abs_z / (1. + root_z)))


def _conjugate(x, loc, scale, shift, outer_log_scale, inner_log_scale):
  """`y = loc + scale asinh(exp(mu) (exp(nu) sinh(a) + shift))`, `log dy/dx`.

  Both directions run through here (the inverse swaps the parameters).
  The core is the plain formula, and `y == x` exactly where
  `z == sinh(a)` (the identity). For
  `|a| > _TAIL_START` the asymptotic tail
  (`docs/math.md#sinhconjugation`) replaces it:
  with `r = 2 shift exp(-nu - |a|)`, `y = x + scale (sign(a) (mu + nu) + r)`
  and `log dy/dx = -sign(a) r`, exact to working precision there; the core
  then runs at `|a| = _TAIL_START`, which keeps every value and gradient
  finite.

  Args:
    x: float `Tensor`.
    loc, scale, shift, outer_log_scale, inner_log_scale: the parameters.

  Returns:
    `(y, log dy/dx)`, broadcast `Tensor`s.
  """
  dtype = x.dtype
  start = _TAIL_START[dtype]
  m = outer_log_scale + inner_log_scale
  exp_mu = tf.exp(outer_log_scale)
  exp_m = tf.exp(m)
  a = (x - loc) / scale
  sign_a = _sign(a)
  abs_a = sign_a * a
  is_tail = abs_a > start
  # One expm1 serves both: exp(-|a|) = 1 / (1 + expm1|a|) in the tail, and
  # sinh, cosh of |a| (clamped to the start) in the core.
  e = tf.math.expm1(tf.minimum(abs_a, _EXPM1_CAP[dtype]))
  recip = 1. / (1. + e)
  tail_shift = 2. * shift * exp_m / exp_mu * recip
  y_tail = x + scale * (sign_a * m + tail_shift)
  ldj_tail = -sign_a * tail_shift

  e = tf.minimum(e, float(np.expm1(start)))
  recip = tf.where(is_tail, tf.constant(np.exp(-start), dtype), recip)
  sinh_abs = 0.5 * (e + e * recip)
  cosh_a = sinh_abs + recip
  s = sign_a * sinh_abs
  z = exp_m * s + exp_mu * shift
  d = z - s
  # sqrt(1 + z^2) without overflow: k sqrt(1 / k^2 + (z / k)^2) with
  # k = max(|z|, 1).
  k = tf.maximum(tf.abs(z), 1.)
  inv_k = 1. / k
  root_z = k * tf.sqrt(tf.square(inv_k) + tf.square(z * inv_k))
  # loc + scale asinh(z) rounds to ulp(max(|y|, |loc|)), as the contract
  # allows. At the identity (z == sinh(a)) y is x exactly, with the first-
  # order gradient of asinh(z) - a = d / cosh(a) to the parameters.
  y_core = tf.where(tf.equal(d, 0.), x + scale * (d / cosh_a),
                    loc + scale * _asinh(z, root_z))
  # log dy/dx = m + log(cosh a / sqrt(1 + z^2)), the difference being
  # cosh a - sqrt(1 + z^2) = -d (z + s) / (cosh a + sqrt(1 + z^2)).
  ldj_core = m + _numerics.log_ratio(cosh_a, root_z,
                                     -d * ((z + s) / (cosh_a + root_z)))
  return (tf.where(is_tail, y_tail, y_core),
          tf.where(is_tail, ldj_tail, ldj_core))


def _log_cosh(a):
  """`log cosh(a)`, finite for every finite `a`."""
  abs_a = tf.abs(a)
  return abs_a + tf.math.softplus(-2. * abs_a) - np.log(2.)


def _log_sinhc(d):
  """`log(sinh(d) / d)` (0 at `d = 0`), finite for every finite `d`."""
  dtype = d.dtype
  abs_d = tf.abs(d)
  small = abs_d < _TAIL_START[dtype]
  safe = tf.where(small & (abs_d > 0.), abs_d, tf.ones_like(abs_d))
  core = tf.where(abs_d > 0., tf.math.log(tf.sinh(safe) / safe), 0. * d)
  big = tf.where(small, tf.ones_like(abs_d), abs_d)
  return tf.where(small, core, big - tf.math.log(2. * big))


def _log_secant(x0, dx, y0, dy, loc, scale, outer_log_scale,
                inner_log_scale):
  """`log((y1 - y0) / (x1 - x0))` from the points and their images.

  With `a = (x - loc) / scale` and `A = (y - loc) / scale = asinh(z)`, the
  divided difference of `sinh` is `[sinh](a0, a1) = cosh(mean a)
  sinhc(half difference)`, a product of positive factors, and
  `z = exp(mu) (exp(nu) sinh(a) + shift)`, so the secant slope is
  `exp(mu + nu) [sinh](a0, a1) / [sinh](A0, A1)`. The half difference of
  the images, `dy / (2 scale)`, enters only through `sinhc`, whose log
  moves by less than the error of its argument: the cancellation of `dy`
  does not reach the result. At `dx = 0` it is the slope.
  """
  a_mean = (x0 + 0.5 * dx - loc) / scale
  big_a_mean = (y0 + 0.5 * dy - loc) / scale
  return (outer_log_scale + inner_log_scale
          + _log_cosh(a_mean) + _log_sinhc(0.5 * dx / scale)
          - _log_cosh(big_a_mean) - _log_sinhc(0.5 * dy / scale))


class SinhConjugation(SelfInverseConjugation):
  """Affine map in sinh coordinates: `Y = loc + scale * asinh(z)`.

  With `a = (X - loc) / scale`, `mu = outer_log_scale` and
  `nu = inner_log_scale` (`docs/math.md#sinhconjugation`):

  ```none
  z = exp(mu) * (exp(nu) * sinh(a) + shift)
  Y = loc + scale * asinh(z)
  X = loc + scale * asinh(exp(-nu) * (exp(-mu) * sinh(a') - shift))
  a' = (Y - loc) / scale
  ```

  The inverse is the same map with `(shift, mu, nu) -> (-shift, -nu, -mu)`.
  `log dY/dX = mu + nu + log cosh(a) - log1p(z^2) / 2`. Near `loc` the slope
  is about `exp(mu + nu)` (less with a shift); in the tails the slope returns
  to 1 and `Y ~ X + sign(a) * scale * (mu + nu)`, so the map moves and widens
  the bulk of a density while keeping Gaussian-like tails. `shift` makes a
  local, asymmetric deformation. Shift 0 and log scales 0 give the identity.

  Valid parameters: `scale > 0`; `loc`, `shift`, `mu`, `nu` real. The tails
  use asymptotic forms, so values and log-dets are finite for every finite
  `X` and gradients up to `|X| = 1e30` (float32) or `1e300` (float64);
  forward and inverse are backward stable
  (`docs/math.md#accuracy-contract`), and `Y == X` at the identity.

  Raw parametrization (`from_raw`, `docs/math.md#raw-parametrization`), in
  the order
  `raw_param_names = ('loc', 'scale', 'shift', 'outer_log_scale',
  'inner_log_scale')`: `loc = q`, `scale = 0.1 + softplus(q + c)` (1 at
  `q = 0`), `shift = q`, log scales `asinh(q)`. Raw 0 is the identity.

  With `validate_args=True` a non-positive constant `scale` raises at
  construction and a variable one at each call; under
  `tf.function(jit_compile=True)` XLA drops these checks, so validate
  eagerly.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation
  b = SinhConjugation(loc=0.5, scale=2., shift=0.3, outer_log_scale=0.2,
                      inner_log_scale=-0.1)
  x = tf.linspace(-4., 4., 9)
  y = b.forward(x)
  b.inverse(tf.identity(y))  # ==> x
  b.forward_log_det_jacobian(x, event_ndims=0)
  ```
  """

  raw_param_names = ('loc', 'scale', 'shift', 'outer_log_scale',
                     'inner_log_scale')
  num_raw_params = 5
  _conjugate = staticmethod(_conjugate)

  def __init__(self,
               loc=0.,
               scale=1.,
               shift=0.,
               outer_log_scale=0.,
               inner_log_scale=0.,
               validate_args=False,
               name='sinh_conjugation'):
    """Instantiates the `SinhConjugation` bijector.

    Args:
      loc: float `Tensor`, the centre of the map.
      scale: positive float `Tensor`, the width of the sinh coordinates.
      shift: float `Tensor`, added in sinh coordinates.
      outer_log_scale: float `Tensor`, `mu`.
      inner_log_scale: float `Tensor`, `nu`.
      validate_args: Python `bool`, whether to check `scale > 0`.
      name: Python `str`, the name of the ops.
    """
    super().__init__(dict(locals()))

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        loc=parameter_properties.ParameterProperties(),
        scale=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=(
                lambda: tfp.bijectors.Softplus(low=dtype_util.eps(dtype)))),
        shift=parameter_properties.ParameterProperties(),
        outer_log_scale=parameter_properties.ParameterProperties(),
        inner_log_scale=parameter_properties.ParameterProperties())

  @classmethod
  def _params_from_raw(cls, raw_params):
    return dict(
        loc=raw_params['loc'],
        scale=parametrization.positive_from_raw(
            raw_params['scale'], 1., floor=0.1),
        shift=raw_params['shift'],
        outer_log_scale=parametrization.log_scale_from_raw(
            raw_params['outer_log_scale']),
        inner_log_scale=parametrization.log_scale_from_raw(
            raw_params['inner_log_scale']))

  loc = stored_property('loc', 'The centre of the map.')
  scale = stored_property(
      'scale', 'The width of the sinh coordinates, `a = (x - loc) / scale`.')
  shift = stored_property('shift', 'The shift added in sinh coordinates.')
  outer_log_scale = stored_property(
      'outer_log_scale', '`mu`, the log of the scale applied after the shift.')
  inner_log_scale = stored_property(
      'inner_log_scale', '`nu`, the log of the scale applied before the shift.')

  def _inverse_params(self):
    loc, scale, shift, mu, nu = self._forward_params()
    return loc, scale, -shift, -nu, -mu

  def _log_secant(self, x0, dx, y0, dy):
    loc, scale, _, mu, nu = self._forward_params()
    return _log_secant(x0, dx, y0, dy, loc, scale, mu, nu)

  def _parameter_control_dependencies(self, is_init):
    return parameter_assertions(self, is_init, ('scale',), positive)

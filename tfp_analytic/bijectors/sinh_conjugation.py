"""SinhConjugation: an affine map conjugated by sinh (MATH.md §1.2)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors import _numerics
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import AnalyticBijector

__all__ = ['SinhConjugation']


def _tail_start(dtype):
  """`|a|` beyond which the tail forms of `_conjugate` are exact.

  The tail forms drop terms of size `exp(-2 |a|)`, `1 / z^2` and `r^2`, all
  below `exp(-2 start) = eps exp(-4)`, far under an ulp of `|t| >= start`.

  Args:
    dtype: floating `tf.DType`.

  Returns:
    Python float.
  """
  return 2. - 0.5 * float(np.log(dtype_util.eps(dtype)))


def _conjugate(x, loc, scale, shift, outer_log_scale, inner_log_scale):
  """`y = loc + scale asinh(exp(mu) (exp(nu) sinh(a) + shift))`, `log dy/dx`.

  The inverse of the map is the same map with `(shift, mu, nu)` replaced by
  `(-shift, -nu, -mu)`, so both directions run through here.

  Args:
    x: float `Tensor`.
    loc: `Tensor`, `a = (x - loc) / scale`.
    scale: positive `Tensor`.
    shift: `Tensor`.
    outer_log_scale: `Tensor`, `mu`.
    inner_log_scale: `Tensor`, `nu`.

  Returns:
    `(y, log dy/dx)`, broadcast `Tensor`s.
  """
  dtype = x.dtype
  start = _tail_start(dtype)
  one = tf.ones([], dtype)
  a = (x - loc) / scale
  log_slope = outer_log_scale + inner_log_scale  # m = mu + nu
  # sign * a = |a|, written so that d|a|/da = 1 at a = 0 (tf.abs gives 0).
  sign = tf.where(a < 0., -one, one)
  abs_a = sign * a

  # Tail (MATH.md §1.2): with q = exp(-nu - |a|) and r = 2 sign(a) shift q,
  # z = sign(a) exp(m + |a| - log 2) (1 + r - exp(-2 |a|)), so that
  # t = asinh(z) = a + sign(a) (m + r) and log dt/da = log1p(-r) = -r, up to
  # terms below exp(-2 start). Exact once |a| >= start - min(m, 0) (then |z|
  # is large) and |r| <= exp(-start) (then r^2 is negligible).
  tail_start = start + tf.nn.relu(-log_slope)
  shift_q = 2. * shift * tf.exp(
      -inner_log_scale - tf.maximum(abs_a, tail_start))
  is_tail = ((abs_a >= tail_start) &
             (tf.abs(shift_q) <= tf.constant(np.exp(-start), dtype)))
  y_tail = x + scale * (sign * log_slope + shift_q)
  ldj_tail = -sign * shift_q

  # Core, |a| below the tail. One expm1 gives sinh and cosh without
  # cancellation: with e = expm1|a| and h = e / (1 + e) = 1 - exp(-|a|),
  # sinh|a| = (e + h) / 2, cosh a = 1 + e h / 2 and exp|a| = 1 + e.
  abs_a = tf.where(is_tail, tf.zeros([], dtype), abs_a)
  e = tf.math.expm1(abs_a)
  h = e / (1. + e)
  sinh_abs = 0.5 * (e + h)
  cosh = 1. + 0.5 * e * h
  # z and w = z - sinh a = (exp(m) - 1) sinh a + exp(mu) shift (exactly 0 at
  # the identity), both signed in the direction of a.
  shift_s = sign * (tf.exp(outer_log_scale) * shift)
  exp_m = tf.exp(log_slope)
  zs = exp_m * sinh_abs + shift_s
  w = tf.math.expm1(log_slope) * sinh_abs + shift_s
  same = zs >= 0.
  abs_z = tf.where(same, zs, -zs)
  # sqrt(1 + z^2) = 1 + g, g = z^2 / (1 + sqrt(1 + z^2)).
  z2 = tf.square(zs)
  g = z2 / (1. + tf.sqrt(1. + z2))
  slope = exp_m * cosh / (1. + g)
  # The value is one log(num / den) with num - den known without
  # cancellation. y = x + scale (asinh(z) - a) is exactly x at the identity
  # and loses nothing to rounding where y - x is small. Where the map
  # contracts (slope < 1/4) it would cost up to 1 / slope ulp (and its
  # autodiff slope is 1 + (something near -1)), so there y = loc + scale
  # asinh(z), whose rounding is within that of loc.
  # With zp = |z| + sqrt(1 + z^2) = 1 + |z| + g and exp|a| = 1 + e:
  # - asinh(z) = sign(z) log(zp / 1);
  # - asinh(z) - a = sign(a) log(num / den): for z, a of one sign,
  #   num / den = zp / exp|a|, num - den = |z| + g - e, or where that
  #   cancels w (1 + rho), rho = (|z| + |sinh a|) / (sqrt(1 + z^2) + cosh a),
  #   as z^2 - sinh^2 a = w (|z| + |sinh a|); for opposite signs,
  #   num / den = 1 / (zp exp|a|), num - den = -(|z| + g) (1 + e) - e.
  # (Across a = 0 the three agree to the last bit, keeping y monotone.)
  from_loc = slope < 0.25
  zp_minus_one = abs_z + g
  rho = (abs_z + sinh_abs) / (2. + g + 0.5 * e * h)
  shifted_log = _numerics.log_ratio(
      tf.where(same | from_loc, 1. + zp_minus_one, one),
      tf.where(from_loc, one,
               tf.where(same, 1. + e, (1. + zp_minus_one) * (1. + e))),
      tf.where(from_loc, zp_minus_one,
               tf.where(~same, -zp_minus_one * (1. + e) - e,
                        tf.where(e <= 0.5 * zp_minus_one, zp_minus_one - e,
                                 w * (1. + rho)))))
  y_core = tf.where(
      from_loc,
      loc + scale * (tf.where(same, sign, -sign) * shifted_log),
      x + scale * (sign * shifted_log))
  # log dy/dx = m + log(cosh a / sqrt(1 + z^2)), whose difference is
  # cosh a - sqrt(1 + z^2) = -w rho (one sign) or e h / 2 - g (opposite).
  ldj_core = log_slope + _numerics.log_ratio(
      cosh, 1. + g, tf.where(same, -w * rho, 0.5 * e * h - g))

  return (tf.where(is_tail, y_tail, y_core),
          tf.where(is_tail, ldj_tail, ldj_core))


class SinhConjugation(AnalyticBijector):
  """Affine map in sinh coordinates: `Y = loc + scale * asinh(z)`.

  With `a = (X - loc) / scale`, `mu = outer_log_scale` and
  `nu = inner_log_scale` (MATH.md §1.2):

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
  use asymptotic forms, so values and gradients are finite for every finite
  `X`. While `max(mu, -nu, mu + nu, 0) + log1p(|shift|)` stays below about
  30 in float32 (300 in float64), `Y` is exact to a few ulp of `Y` plus
  `dY/dX` ulp of `X` and of `loc`, and `Y == X` at the identity. (Where `X`
  and `Y` are both much smaller than `loc`, the ulp of `loc` is the limit:
  `sinh((X - loc) / scale)` cannot be formed more exactly in working
  precision.)

  Raw parametrization (`from_raw`, MATH.md §1.4), in the order
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
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = dtype_util.common_dtype(
          [loc, scale, shift, outer_log_scale, inner_log_scale],
          dtype_hint=tf.float32)
      self._loc = tensor_util.convert_nonref_to_tensor(
          loc, dtype=dtype, name='loc')
      self._scale = tensor_util.convert_nonref_to_tensor(
          scale, dtype=dtype, name='scale')
      self._shift = tensor_util.convert_nonref_to_tensor(
          shift, dtype=dtype, name='shift')
      self._outer_log_scale = tensor_util.convert_nonref_to_tensor(
          outer_log_scale, dtype=dtype, name='outer_log_scale')
      self._inner_log_scale = tensor_util.convert_nonref_to_tensor(
          inner_log_scale, dtype=dtype, name='inner_log_scale')
      super().__init__(
          forward_min_event_ndims=0,
          validate_args=validate_args,
          parameters=parameters,
          dtype=dtype,
          name=name)

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

  @property
  def loc(self):
    """The centre of the map."""
    return self._loc

  @property
  def scale(self):
    """The width of the sinh coordinates, `a = (x - loc) / scale`."""
    return self._scale

  @property
  def shift(self):
    """The shift added in sinh coordinates."""
    return self._shift

  @property
  def outer_log_scale(self):
    """`mu`, the log of the scale applied after the shift."""
    return self._outer_log_scale

  @property
  def inner_log_scale(self):
    """`nu`, the log of the scale applied before the shift."""
    return self._inner_log_scale

  def _forward_params(self):
    return (tf.convert_to_tensor(self.loc), tf.convert_to_tensor(self.scale),
            tf.convert_to_tensor(self.shift),
            tf.convert_to_tensor(self.outer_log_scale),
            tf.convert_to_tensor(self.inner_log_scale))

  def _inverse_params(self):
    loc, scale, shift, mu, nu = self._forward_params()
    return loc, scale, -shift, -nu, -mu

  def _forward(self, x):
    return _conjugate(x, *self._forward_params())[0]

  def _inverse(self, y):
    return _conjugate(y, *self._inverse_params())[0]

  def _forward_log_det_jacobian(self, x):
    return _conjugate(x, *self._forward_params())[1]

  def _inverse_log_det_jacobian(self, y):
    return _conjugate(y, *self._inverse_params())[1]

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    assertions = []
    if is_init != tensor_util.is_ref(self.scale):
      assertions.append(assert_util.assert_positive(
          self.scale, message='Argument `scale` must be positive (scale > 0)'))
    return assertions

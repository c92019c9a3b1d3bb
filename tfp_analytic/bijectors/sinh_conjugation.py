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


# |a0| up to which the origin's sinh coordinates are formed, and the largest
# argument of `expm1` (both keep every intermediate finite).
_ORIGIN_LIMIT = {tf.float32: 60., tf.float64: 600.}
_EXPM1_CAP = {tf.float32: 80., tf.float64: 700.}


def _tail_start(dtype):
  """`start` with `exp(-2 start) = eps exp(-4)`, for the tail test.

  Args:
    dtype: floating `tf.DType`.

  Returns:
    Python float.
  """
  return 2. - 0.5 * float(np.log(dtype_util.eps(dtype)))


def _origin(loc, scale):
  """The sinh coordinates of `x = 0`: `a0 = -loc / scale` and `sinh(a0)`.

  `sinh(a0)` is a pair `s0 + s0_lo` accurate to about twice the working
  precision (`expm1_dw`; `a0` itself is the pair `a0 + a0_lo` with the exact
  residual of the division), so that points near 0 lose nothing to the
  rounding of `loc`. Where `|a0|` exceeds `_ORIGIN_LIMIT` the origin is
  not used (`usable` is False) and `a0` is replaced by 0.

  Args:
    loc: `Tensor`.
    scale: positive `Tensor`.

  Returns:
    `(a0, s0, s0_lo, c0, usable)`: `c0 = cosh(a0)`; `s0_lo` has no gradient.
  """
  split, product_error, sum_error = (
      _numerics.safe_split, _numerics.product_error, _numerics.sum_error)
  a0 = -loc / scale
  usable = tf.abs(a0) <= _ORIGIN_LIMIT[a0.dtype]
  a0 = tf.where(usable, a0, tf.zeros_like(a0))
  product = a0 * scale  # loc + product is exact (Sterbenz).
  a0_lo = tf.stop_gradient(tf.where(
      usable,
      -((loc + product) + product_error(split(a0), split(scale), product))
      / scale,
      tf.zeros_like(a0)))
  # With e = expm1|a0| and h = e / (1 + e): sinh|a0| = (e + h) / 2 and
  # cosh a0 = sinh|a0| + exp(-|a0|), exp(-|a0|) = 1 / (1 + e); h is carried
  # as a pair through the exact residual e - h (1 + e).
  sign = tf.where(a0 < 0., -tf.ones_like(a0), tf.ones_like(a0))
  e, e_lo = _numerics.expm1_dw(sign * a0)
  one_plus = 1. + e
  recip = 1. / one_plus
  h = e * recip
  h_one_plus = h * one_plus
  h_lo = (((e - h_one_plus)
           - product_error(split(h), split(one_plus), h_one_plus))
          + e_lo - h * (sum_error(1., e, one_plus) + e_lo)) * recip
  sinh_abs = 0.5 * (e + h)
  sinh_abs_lo = tf.stop_gradient(
      0.5 * (sum_error(e, h, e + h) + e_lo + h_lo))
  # At a0 + a0_lo (a0_lo ~ eps |a0|): cosh gains sinh(a0) a0_lo, and
  # sinh gains cosh(a0) a0_lo + sinh(a0) a0_lo^2 / 2.
  c0 = sinh_abs + (recip + tf.stop_gradient(
      sinh_abs_lo + sign * sinh_abs * a0_lo))
  s0 = sign * sinh_abs
  s0_lo = sign * sinh_abs_lo + tf.stop_gradient(
      c0 * a0_lo + 0.5 * s0 * tf.square(a0_lo))
  s0_hi = s0 + s0_lo
  return (a0, s0_hi, tf.stop_gradient(_numerics.sum_error(s0, s0_lo, s0_hi)),
          c0, usable)


def _exp_pair(v, v_lo):
  """`exp(v + v_lo)` as a normalized pair (`hi` carries the gradient).

  Args:
    v: float `Tensor`.
    v_lo: `Tensor`, a small correction to `v` (no gradient).

  Returns:
    `(hi, lo)`; `lo` has no gradient and is at most half an ulp of `hi`.
  """
  e, e_lo = _numerics.exp_dw(v)
  lo = tf.stop_gradient(e_lo + e * v_lo * (1. + 0.5 * v_lo))
  hi = e + lo
  return hi, tf.stop_gradient(_numerics.sum_error(e, lo, hi))


def _conjugate(x, loc, scale, shift, outer_log_scale, inner_log_scale):
  """`y = loc + scale asinh(exp(mu) (exp(nu) sinh(a) + shift))`, `log dy/dx`.

  The inverse of the map is the same map with `(shift, mu, nu)` replaced by
  `(-shift, -nu, -mu)`, so both directions run through here.

  Where `x` and `y` are much smaller than `loc` (in `scale` units), an error
  of `eps` in `sinh(a)`, `exp(mu)` or `loc` moves `y` by many ulps of `y`,
  so the core carries `sinh(a)` and `z` as pairs `hi + lo` (error-free
  transformations, `_numerics`), about twice the working precision, and
  measures `a` from the origin's sinh coordinate `a0` where `|x| < scale`.
  The value is an `asinh` difference formed from `z - c` without
  cancellation, with `c` the origin's `sinh(a0)` (then `y = scale (asinh z -
  a0)` is accurate to a few ulp of `y`) or, where `z - sinh(a) == 0` exactly
  (the identity) or the origin is too far, `c = sinh(a)` (then
  `y = x + scale (asinh z - a)`, exactly `x` at the identity). The low parts
  carry no gradient, so autodiff differentiates the working-precision
  formulas.

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
  split, product_error, sum_error = (
      _numerics.safe_split, _numerics.product_error, _numerics.sum_error)
  start = _tail_start(dtype)
  one = tf.ones([], dtype)
  mu, nu = outer_log_scale, inner_log_scale

  # Parameters. exp(m), m = mu + nu (itself a pair), and exp(mu) shift, both
  # as pairs; the tail coefficient 2 shift exp(-nu); the origin.
  m = mu + nu
  exp_m, exp_m_lo = _exp_pair(m, sum_error(mu, nu, m))
  exp_mu, exp_mu_lo = _exp_pair(mu, tf.zeros([], dtype))
  moved = exp_mu * shift
  moved_lo = tf.stop_gradient(
      product_error(split(exp_mu), split(shift), moved) + exp_mu_lo * shift)
  tail_coef = 2. * shift * tf.exp(-nu)
  a0, s0, s0_lo, c0, usable = _origin(loc, scale)
  inv_scale = 1. / scale

  # Tail (MATH.md §1.2): with r = 2 sign(a) shift exp(-nu - |a|),
  # z = sign(a) exp(m + |a| - log 2) (1 + r - exp(-2 |a|)), so that
  # t - a = asinh(z) - a = sign(a) (m + r) and log dt/da = log1p(-r) = -r,
  # dropping r^2 / 2 and exp(-2 |a|) (exp(-2 m) - 1) (the 1 / (4 z^2) of
  # asinh). Relative to the displacement m + r (y - x is scale times it)
  # these are below eps once |r| <= eps and |a| >= start - min(m, 0).
  a = (x - loc) * inv_scale
  sign_a = tf.where(a < 0., -one, one)
  abs_a = sign_a * a
  is_tail = abs_a >= tf.maximum(
      start + tf.nn.relu(-m),
      tf.math.log(tf.abs(tail_coef)) - float(np.log(dtype_util.eps(dtype))))

  # Core input, a pair arg + arg_lo (the exact residuals of the difference
  # and of the division): a = a0 + delta with delta = x / scale where
  # |x| < scale / 2, else a = (x - loc) / scale itself. An error of eps in
  # sinh(arg) then costs at most about 2 ulp of x: sinh(a) itself errs by
  # scale |delta| eps, sinh(a0 + delta) by (e^|delta| - 1) e^|delta| times
  # that, which balance near |delta| = 1/2.
  # In the tail the core runs at a = 0, which keeps its values and
  # gradients finite there.
  zero = tf.zeros([], dtype)
  origin = (tf.abs(x) < 0.5 * scale) & usable & ~is_tail
  u = x - loc
  numerator = tf.where(is_tail, zero, tf.where(origin, x, u))
  arg = numerator * inv_scale
  product = arg * scale  # numerator - product is exact (Sterbenz).
  arg_lo = tf.stop_gradient(
      ((numerator - product) - product_error(split(arg), split(scale), product)
       + tf.where(origin | is_tail, zero, sum_error(x, -loc, u)))
      * inv_scale)
  sign_arg = tf.where(arg < 0., -one, one)
  # One expm1 serves both branches: e = expm1|arg| in the core, and in the
  # tail exp(-|a|) = 1 / (1 + expm1|a|).
  e = tf.math.expm1(tf.minimum(tf.where(is_tail, abs_a, sign_arg * arg),
                               _EXPM1_CAP[dtype]))
  recip = 1. / (1. + e)
  shift_q = tail_coef * recip
  y_tail = x + scale * (sign_a * m + shift_q)
  ldj_tail = -sign_a * shift_q

  # sinh(arg) = (e + h) / 2 and cosh(arg) - 1 = e h / 2, h = e / (1 + e).
  e = tf.where(is_tail, zero, e)
  h = e * recip
  sinh_arg = sign_arg * 0.5 * (e + h)
  cosh_arg_m1 = 0.5 * e * h
  # sinh(a) = S cosh(arg) + C sinh(arg) with (S, C) = (sinh a0, cosh a0) or
  # (0, 1); the leading S is kept apart, so that s + s_lo is a pair; the
  # input's low part enters to first order, times cosh(a).
  big_s = tf.where(origin, s0, tf.zeros([], dtype))
  big_c = tf.where(origin, c0, one)
  cosh_a = big_c * (1. + cosh_arg_m1) + big_s * sinh_arg
  rest = (big_s * cosh_arg_m1 + big_c * sinh_arg) + tf.where(
      origin, s0_lo, tf.zeros([], dtype)) + cosh_a * arg_lo
  s = big_s + rest
  s_lo = tf.stop_gradient(sum_error(big_s, rest, s))

  # z = exp(m) sinh(a) + exp(mu) shift, a pair.
  z = exp_m * s
  z_lo = product_error(split(exp_m), split(s), z) + exp_m * s_lo + (
      exp_m_lo * s)
  z_hi = z + moved
  z_lo = tf.stop_gradient(sum_error(z, moved, z_hi) + (z_lo + moved_lo))
  # Renormalized: after cancellation z_lo can exceed an ulp of z_hi.
  z = z_hi + z_lo
  z_lo = tf.stop_gradient(sum_error(z_hi, z_lo, z))

  def difference(c, c_lo):
    """`z - c` from the pairs, rounded once."""
    t = z - c
    return t + tf.stop_gradient(sum_error(z, -c, t) + (z_lo - c_lo))

  d_own = difference(s, s_lo)
  use_origin = usable & tf.not_equal(d_own, 0.)
  c = tf.where(use_origin, s0, s)
  big_c = tf.where(use_origin, c0, cosh_a)
  d = tf.where(use_origin, difference(s0, s0_lo), d_own)

  # asinh(z) - asinh(c) with P = |z| + sqrt(1 + z^2), Q = |c| + cosh(asinh c):
  # - for z, c of one sign, sign(d) log1p(|P - Q| / min(P, Q)) with
  #   |P - Q| = |d| (1 + rho), rho = (|z| + |c|) / (sqrt(1 + z^2) + C),
  #   since sqrt(1 + z^2) - C = d (z + c) / (sqrt(1 + z^2) + C);
  # - for opposite signs, sign(z) (log P + asinh|c|), with
  #   P - 1 = |z| (1 + |z| / (1 + sqrt(1 + z^2))).
  # sqrt(1 + z^2) = |z| to working precision beyond 1 / sqrt(eps).
  # Absolute values are written sign * value, with the sign of z for c of
  # one sign (c may be 0), so that their gradients stay right at 0.
  same = tf.equal(z < 0., c < 0.)
  sign_z = tf.where(z < 0., -one, one)
  sign_c = tf.where(same, sign_z, -sign_z)
  sign_d = tf.where(d < 0., -one, one)
  abs_z = sign_z * z
  abs_c = sign_c * c
  big = float(dtype_util.eps(dtype)) ** -0.5
  root_z = tf.where(abs_z < big,
                    tf.sqrt(1. + tf.square(tf.minimum(abs_z, big))), abs_z)
  rho = (abs_z + abs_c) / (root_z + big_c)
  log_arg = tf.where(
      same,
      sign_d * d * (1. + rho) / tf.minimum(abs_z + root_z, abs_c + big_c),
      abs_z * (1. + abs_z / (1. + root_z)))
  log_p = tf.math.log1p(log_arg)
  asinh_c = sign_c * tf.where(use_origin, a0, tf.where(is_tail, zero, a))
  shifted = tf.where(same, sign_d * log_p, sign_z * (log_p + asinh_c))
  # With c = sinh(a0), loc + scale a0 = 0.
  y_core = tf.where(use_origin, tf.zeros([], dtype), x) + scale * shifted
  # log dy/dx = m + log(cosh a / sqrt(1 + z^2)), the difference being
  # cosh a - sqrt(1 + z^2) = -(z - s) (z + s) / (cosh a + sqrt(1 + z^2)).
  ldj_core = m + _numerics.log_ratio(
      cosh_a, root_z, -d_own * ((z + s) / (cosh_a + root_z)))

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

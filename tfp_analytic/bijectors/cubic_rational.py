"""CubicRational: a local bump `x + m u / (1 + (u / w)^2)` (MATH.md §1.1)."""

import collections

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors import _numerics
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import AnalyticBijector

__all__ = ['CubicRational']

tfb = tfp.bijectors

# Newton steps after the closed-form start (see `CubicRational._inverse`).
_NEWTON_STEPS = {tf.float32: 2, tf.float64: 1}


def _far(dtype):
  """`1 / sqrt(eps)`, the distance (in widths) where the bump is `m w^2 / u`.

  Beyond it `f(x) = x + m w^2 / u` to working precision (the next term,
  `m w^4 / u^3`, is below `eps` relative to the bump) and the slope is 1 to
  within `8 eps`.

  Args:
    dtype: floating `tf.DType`.

  Returns:
    Python float.
  """
  return float(dtype_util.eps(dtype)) ** -0.5


def _bump(x, loc, width):
  """`u = x - loc`, `s = u / width`, `t = s^2`, `d = 1 + t` and `r = 1 / d`.

  For huge `|u|`, `t` overflows to `inf` and `r` to 0, the right limit; `r`
  is a reciprocal, so no `inf / inf` or `inf * 0` reaches values or
  gradients.

  Args:
    x: float `Tensor`.
    loc: `Tensor`.
    width: positive `Tensor`.

  Returns:
    `(u, s, t, d, r)`, broadcast `Tensor`s.
  """
  u = x - loc
  s = u / width
  t = tf.square(s)
  d = 1. + t
  return u, s, t, d, tf.math.reciprocal(d)


class _Evaluation(collections.namedtuple(
    '_Evaluation', ['value', 'error', 'bump', 'bump_error', 't', 'r'])):
  """`f(x) = value + error`, `value = x + bump`, `m u r = bump + bump_error`.

  The errors are the rounding errors of `value` and `bump`; they carry no
  gradient. `t` and `r` are as in `_bump`.
  """


def _evaluate(x, loc, magnitude, width):
  """`y = x + m u r` as computed, and its rounding error.

  Where the slope is small (`m` near 8 with `t` near 3, or `m` near -1 with
  `t` near 0) and `|y|` is much smaller than `|x|`, the cancellation in
  `x + m u r` costs up to `log2(1 / slope)` bits, more than the round-trip
  budget. So the exact error of every rounding (error-free transformations,
  `_numerics`) is carried to the end to first order; the neglected products
  of two errors are below `eps^2 |m u r|`. `value + error` is then accurate to
  a few ulp of `y` plus `slope * ulp(x)`, the conditioning floor. The errors
  are dropped (they are negligible) beyond `_far` widths, before anything can
  overflow.

  Args:
    x: float `Tensor`.
    loc: `Tensor`.
    magnitude: `Tensor`, `m`.
    width: positive `Tensor`.

  Returns:
    An `_Evaluation` of broadcast `Tensor`s.
  """
  u, s, t, d, r = _bump(x, loc, width)
  scaled = magnitude * u
  bump = scaled * r
  value = x + bump

  split = _numerics.split
  product_error = _numerics.product_error
  s_parts, r_parts = split(s), split(r)
  u_error = _numerics.sum_error(x, -loc, u)
  sw = s * width
  s_error = ((u - sw) - product_error(s_parts, split(width), sw)
             + u_error) / width
  t_error = product_error(s_parts, s_parts, t) + 2. * s * s_error
  d_error = _numerics.sum_error(1., t, d) + t_error
  rd = r * d  # 1 - rd is exact.
  r_error = r * ((1. - rd) - product_error(r_parts, split(d), rd)
                 - r * d_error)
  scaled_error = (product_error(split(magnitude), split(u), scaled)
                  + magnitude * u_error)
  bump_error = (product_error(split(scaled), r_parts, bump)
                + scaled_error * r + scaled * r_error)
  near = t < _far(x.dtype) ** 2
  bump_error = tf.stop_gradient(
      tf.where(near, bump_error, tf.zeros_like(bump_error)))
  error = tf.stop_gradient(_numerics.sum_error(x, bump, value)) + bump_error
  return _Evaluation(value, error, bump, bump_error, t, r)


def _slope(magnitude, t, r):
  """`dy/dx - 1 = m r (2 r - 1)` and `dy/dx`, each to relative accuracy.

  `dy/dx` is a sum of non-negative terms, so it has no cancellation against
  1 where it is small (MATH.md §1.1): for `m >= 0`,
  `1 + m h' = (1 - m/8) + (m/8) (1 - 4 r)^2` (least, `1 - m/8`, at `t = 3`);
  for `m < 0`, `1 + m h' = (1 + m) - m (1 - r) (1 + 2 r)`, with
  `1 - r = t r` where `t < 1`.

  Args:
    magnitude: `Tensor`, `m`.
    t: `Tensor`, `(u / w)^2`.
    r: `Tensor`, `1 / (1 + t)`.

  Returns:
    `(slope_minus_one, slope)`, broadcast `Tensor`s.
  """
  eighth = magnitude / 8.
  # `t` is clamped so that the unused branch has a finite gradient at t = inf.
  one_minus_r = tf.where(t < 1., tf.minimum(t, 1.) * r, 1. - r)
  slope = tf.where(
      magnitude >= 0.,
      (1. - eighth) + eighth * tf.square(1. - 4. * r),
      (1. + magnitude) - magnitude * one_minus_r * (1. + 2. * r))
  return magnitude * r * (2. * r - 1.), slope


def _initial_inverse(y, loc, magnitude, width):
  """`x` with `f(x) = y` to a few ulp where well conditioned, before polishing.

  With `s = (x - loc) / width` and `z = (y - loc) / width`, `s` is the real
  root of `s^3 - z s^2 + (1 + m) s - z = 0`, i.e. `(1 + s^2) (s - z) + m s`.
  With `s = v + z/3` it becomes `v^3 + p v + q = 0`,
  `p = 1 + m - z^2/3`, `q = -z (2 z^2 + 9 (2 - m)) / 27`, whose discriminant
  `D = q^2/4 + p^3/27` is positive for `-1 < m < 8` (one real root).
  `D` is expanded in `Z = z^2` without the `z^6` cancellation,
  `108 D = 4 Z^2 + (8 - 20 m - m^2) Z + 4 (1 + m)^3`,
  and written as a sum of non-negative terms: with `c = (m^2 + 20 m - 8)/8`,
  `108 D = 4 Z (Z - 2 c) + 4 (1 + m)^3` when `c <= 0` and
  `108 D = 4 (Z - c)^2 + m (8 - m)^3 / 16` when `c > 0`; the second form
  keeps `D` accurate near `m = 8`, `Z = 27`, where the slope nearly vanishes.
  Cardano: `A = -sign(q) cbrt(|q|/2 + sqrt(D))`, `B = -p / (3 A)`,
  `v = A + B`; when `p > 0`, `A` and `B` have opposite signs and
  `v = -q / (A^2 + B^2 + p/3)` avoids the cancellation (`A^3 + B^3 = -q`,
  `A B = -p/3`). Beyond `|z| = 1/sqrt(eps)`, before `z^4` can overflow
  float32, the asymptotic root `s = z - m/z` (relative error below
  `m^2 / z^4`) gives `x = y - m width / z`.

  Args:
    y: float `Tensor`.
    loc: `Tensor`.
    magnitude: `Tensor`, `m`.
    width: positive `Tensor`.

  Returns:
    `Tensor` of the broadcast shape.
  """
  m = magnitude
  zero = tf.zeros_like(m)
  z = (y - loc) / width
  z2 = tf.square(z)
  gap, one_plus_m = 8. - m, 1. + m
  p = one_plus_m - z2 / 3.
  q = -z * (2. * z2 + 9. * (2. - m)) / 27.
  c = (tf.square(m) + 20. * m - 8.) / 8.
  completed = c > 0.
  first_root = tf.where(completed, c, zero)
  second_root = tf.where(completed, c, 2. * c)
  constant = tf.where(completed, m * gap * gap * gap / 16.,
                      4. * one_plus_m * one_plus_m * one_plus_m)
  disc108 = 4. * (z2 - first_root) * (z2 - second_root) + constant
  cube = 0.5 * tf.abs(q) + tf.sqrt(disc108 / 108.)
  a = _numerics.cbrt(tf.where(q < 0., cube, -cube))
  b = -p / (3. * a)
  v = tf.where(p > 0., -q / (tf.square(a) + tf.square(b) + p / 3.), a + b)
  return tf.where(tf.abs(z) > _far(y.dtype), y - m * width / z,
                  loc + width * (v + z / 3.))


class CubicRational(AnalyticBijector):
  """`y = x + magnitude * u / (1 + (u / width)^2)` with `u = x - loc`.

  A smooth local deformation around `loc` (MATH.md §1.1): `y - x` is a
  rational bump of height `magnitude * width / 2` that vanishes as
  `|x| -> inf`, so the tails are untouched. `magnitude > 0` stretches the
  region around `loc` (the slope there is `1 + magnitude`), `magnitude < 0`
  compresses it. The map is the identity when `magnitude = 0`.

  The slope is `1 + m (1 - t) / (1 + t)^2` with `t = (u / width)^2`; it is
  least, `1 - m/8`, at `t = 3`, and largest, `1 + m`, at `t = 0`, so the map
  is an increasing bijection of R exactly for `-1 < magnitude < 8` and
  `width > 0`.

  The inverse solves the scale-free cubic
  `s^3 - z s^2 + (1 + m) s - z = 0` for `s = u / width`,
  `z = (y - loc) / width`, with a cancellation-free Cardano formula (an
  asymptotic root for huge `|z|`), then polishes the root with Newton steps
  on `y = f(x)`. Everything is closed form and runs under XLA. Where the
  slope is small and `y` is a small difference of large terms, `f` is
  evaluated with its rounding errors compensated (in `forward` and in the
  Newton residual), so the round trip stays within a few ulp of the
  conditioning floor `ulp(y) / f'(x) + ulp(x)`. Only for `magnitude`
  within ~2e-4 of 8 in float32 (~1e-9 in float64), near `t = 3`, where the
  least slope `1 - magnitude / 8` nears `eps^(2/3)`, does the inverse lose
  digits beyond that floor (`from_raw` keeps `magnitude <= 7.999`). The inverse
  log-det is the negated forward log-det at the inverse (inverse function
  theorem), and gradients of the inverse flow through the last Newton step
  only, which gives the implicit-function derivative at the root.

  Raw parametrization (`from_raw`, MATH.md §1.4), in the order
  `raw_param_names = ('loc', 'magnitude', 'width')`:
  `loc = q0`, `magnitude = -0.999 + 8.998 sigmoid(q1 + c1)`,
  `width = 0.1 + softplus(q2 + c2)`, with `c1`, `c2` chosen so that raw 0
  gives `magnitude = 0` exactly (the identity) and `width = 1`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.bijectors.cubic_rational import CubicRational
  b = CubicRational(loc=0., magnitude=2., width=0.5)
  b.forward(0.5)  # ==> 1.
  b.inverse(1.)  # ==> 0.5
  b.forward_log_det_jacobian(0., event_ndims=0)  # ==> 1.0986123
  CubicRational.from_raw(tf.zeros([3])).forward(0.7)  # ==> 0.7
  ```
  """

  raw_param_names = ('loc', 'magnitude', 'width')
  num_raw_params = 3

  def __init__(self,
               loc=0.,
               magnitude=0.,
               width=1.,
               validate_args=False,
               name='cubic_rational'):
    """Instantiates the `CubicRational` bijector.

    Args:
      loc: float `Tensor`, the centre of the bump.
      magnitude: float `Tensor` in `(-1, 8)`; `0` is the identity.
      width: positive float `Tensor`, the size of the deformed region.
      validate_args: Python `bool`; checks `magnitude` and `width` when
        `True` (constants at construction, variables at each call).
      name: Python `str` name prefixed to ops created by this class.
    """
    super().__init__(dict(locals()))

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        loc=parameter_properties.ParameterProperties(),
        magnitude=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=lambda: tfb.Sigmoid(
                low=tf.constant(-1., dtype), high=tf.constant(8., dtype))),
        width=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=lambda: tfb.Softplus(
                low=dtype_util.eps(dtype))))

  @classmethod
  def _params_from_raw(cls, raw_params):
    return dict(
        loc=raw_params['loc'],
        magnitude=parametrization.interval_from_raw(
            raw_params['magnitude'], -1. + 1e-3, 8. - 1e-3, 0.),
        width=parametrization.positive_from_raw(
            raw_params['width'], 1., floor=0.1))

  @property
  def loc(self):
    """The centre of the bump."""
    return self._loc

  @property
  def magnitude(self):
    """The slope at `loc` minus 1, in `(-1, 8)`."""
    return self._magnitude

  @property
  def width(self):
    """The size of the deformed region around `loc`."""
    return self._width

  def _params(self):
    return (tf.convert_to_tensor(self.loc),
            tf.convert_to_tensor(self.magnitude),
            tf.convert_to_tensor(self.width))

  def _forward(self, x):
    evaluation = _evaluate(x, *self._params())
    return evaluation.value + evaluation.error

  def _forward_log_det_jacobian(self, x):
    loc, magnitude, width = self._params()
    _, _, t, _, r = _bump(x, loc, width)
    slope_minus_one, slope = _slope(magnitude, t, r)
    # log1p keeps relative accuracy near the identity, log where it is small.
    return tf.where(slope_minus_one > -0.5, tf.math.log1p(slope_minus_one),
                    tf.math.log(slope))

  def _inverse(self, y):
    loc, magnitude, width = self._params()
    x = _initial_inverse(y, loc, magnitude, width)
    # Newton steps on f(x) = y, with the residual `f(x) - y` from
    # `_evaluate`, accurate even where `y` is a small difference of large
    # terms. The step `x - residual / slope` is written as
    # `(y - bump) + residual * (slope - 1) / slope`, which does not lose a
    # tiny `x` to the rounding of a start far from it (and is exactly `y`
    # when `m = 0`). float32 takes two steps: where the slope nearly
    # vanishes, the start can be ~1e-3 widths off, and one step then gains
    # only a factor ~40. Only the last step is differentiated; at the root
    # its gradient is the implicit-function one.
    for _ in range(_NEWTON_STEPS[y.dtype]):
      evaluation = _evaluate(tf.stop_gradient(x), loc, magnitude, width)
      residual = (evaluation.value - y) + evaluation.error
      slope_minus_one, slope = _slope(magnitude, evaluation.t, evaluation.r)
      x = ((y - evaluation.bump) - evaluation.bump_error
           + residual * (slope_minus_one / slope))
    return x

  def _inverse_log_det_jacobian(self, y):
    return -self._forward_log_det_jacobian(self._inverse(y))

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    assertions = []
    if is_init != tensor_util.is_ref(self.magnitude):
      magnitude = tf.convert_to_tensor(self.magnitude)
      message = '`magnitude` must be in (-1, 8)'
      assertions += [
          assert_util.assert_greater(
              magnitude, tf.constant(-1., magnitude.dtype), message=message),
          assert_util.assert_less(
              magnitude, tf.constant(8., magnitude.dtype), message=message)]
    if is_init != tensor_util.is_ref(self.width):
      assertions.append(assert_util.assert_positive(
          self.width, message='`width` must be positive'))
    return assertions

"""CubicRational's arithmetic: the bump, its compensated evaluation, the slope
and the closed-form inverse (MATH.md §1.1). The bijector is in
`cubic_rational.py`.
"""

import collections

import tensorflow as tf

from tensorflow_probability.python.internal import dtype_util

from tfp_analytic.bijectors import _numerics

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


def _errors(x, loc, magnitude, width, u, s, t, d, r, bump, value):
  """The rounding errors of `bump = m u r` and of `value = x + bump`.

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
    x, loc, magnitude, width: as in `evaluate`.
    u, s, t, d, r: `_bump(x, loc, width)`.
    bump: `magnitude * u * r` as computed.
    value: `x + bump` as computed.

  Returns:
    `(error, bump_error)`, broadcast `Tensor`s.
  """
  split = _numerics.split
  product_error = _numerics.product_error
  scaled = magnitude * u
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
  bump_error = tf.where(near, bump_error, tf.zeros_like(bump_error))
  return _numerics.sum_error(x, bump, value) + bump_error, bump_error


def _least_slope_at_least(magnitude, bound):
  """Whether every least slope `min(1 + m, 1 - m/8)` is at least `bound`.

  With least slopes of 1/8 or more, the uncompensated `x + m u r` keeps the
  round trip within ~50 ulp of the conditioning floor (measured: 49 at
  `m = 7`, 19 at `m = -0.9`, for inputs chosen so that `y` cancels). The
  test reads the parameters only: one reduction of them.

  Args:
    magnitude: `Tensor`, `m`.
    bound: Python float in `(0, 1]`.

  Returns:
    scalar boolean `Tensor`.
  """
  return tf.reduce_all((magnitude >= bound - 1.)
                       & (magnitude <= 8. * (1. - bound)))


def evaluate(x, loc, magnitude, width):
  """`y = x + m u r` as computed, and its rounding errors where needed.

  The errors (`_errors`) cost several times the flops of `y` itself, so
  they are computed only when some least slope is below 1/8, and are zero
  otherwise. They carry no gradient, so the `tf.cond` that picks them is
  not differentiated (a differentiated cond would keep the intermediates
  of both branches: slower training steps and more memory under XLA).

  Args:
    x: float `Tensor`.
    loc: `Tensor`.
    magnitude: `Tensor`, `m`.
    width: positive `Tensor`.

  Returns:
    An `_Evaluation` of broadcast `Tensor`s.
  """
  u, s, t, d, r = _bump(x, loc, width)
  bump = magnitude * u * r
  value = x + bump

  def compensated():
    return _errors(*(tf.stop_gradient(v) for v in (
        x, loc, magnitude, width, u, s, t, d, r, bump, value)))

  def plain():
    zero = tf.zeros_like(tf.stop_gradient(value))
    return zero, zero

  error, bump_error = tf.cond(_least_slope_at_least(magnitude, 0.125), plain,
                              compensated)
  return _Evaluation(value, tf.stop_gradient(error),
                     bump, tf.stop_gradient(bump_error), t, r)


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


def _newton(x, y, loc, magnitude, width, steps):
  """`steps` Newton steps on `f(x) = y` from `x`.

  `evaluate` gives the residual `f(x) - y` accurately even where `y` is a
  small difference of large terms. The step
  `x - residual / slope` is written as
  `(y - bump) + residual * (slope - 1) / slope`, which does not lose a tiny
  `x` to the rounding of a start far from it (and is exactly `y` when
  `m = 0`). Where the slope nearly vanishes, the float32 start can be ~1e-3
  widths off and one step gains only a factor ~40, hence `_NEWTON_STEPS`.
  Only the last step is differentiated; at the root its
  gradient is the implicit-function one.

  Args:
    x: `Tensor`, the start.
    y: `Tensor`.
    loc: `Tensor`.
    magnitude: `Tensor`, `m`.
    width: positive `Tensor`.
    steps: Python `int >= 1`.

  Returns:
    `Tensor`, the polished root.
  """
  for _ in range(steps):
    evaluation = evaluate(tf.stop_gradient(x), loc, magnitude, width)
    residual = (evaluation.value - y) + evaluation.error
    slope_minus_one, slope = _slope(magnitude, evaluation.t, evaluation.r)
    x = ((y - evaluation.bump) - evaluation.bump_error
         + residual * (slope_minus_one / slope))
  return x


def log_slope(x, loc, magnitude, width):
  """`log f'(x)`: log1p keeps relative accuracy near the identity, log where
  the slope is small (`_slope` gives both to relative accuracy)."""
  _, _, t, _, r = _bump(x, loc, width)
  slope_minus_one, slope = _slope(magnitude, t, r)
  return tf.where(slope_minus_one > -0.5, tf.math.log1p(slope_minus_one),
                  tf.math.log(slope))


def inverse(y, loc, magnitude, width):
  """`x` with `f(x) = y`: the closed-form start, then Newton steps."""
  x = _initial_inverse(y, loc, magnitude, width)
  return _newton(x, y, loc, magnitude, width, _NEWTON_STEPS[y.dtype])

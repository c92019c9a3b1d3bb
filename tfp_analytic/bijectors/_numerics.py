"""Small numerical kernels shared by the analytic families."""

import numpy as np
import tensorflow as tf

__all__ = ['cbrt', 'exp_dw', 'expm1_dw', 'log_ratio', 'product_error',
           'safe_split', 'split', 'sum_error']


def cbrt(x):
  """Real cube root, exact to a few ulp, finite gradient away from 0.

  TF has no `cbrt` and `pow` is slow under XLA, so take
  `sign(x) * exp(log|x| / 3)` and polish it with one Newton step,
  `c <- c - (c^3 - x) / (3 c^2)`, which restores full precision.

  Args:
    x: float `Tensor`.

  Returns:
    `Tensor` with `cbrt(x)**3 == x` to working precision; `cbrt(0) == 0`.
  """
  x = tf.convert_to_tensor(x)
  nonzero = tf.not_equal(x, 0.)
  safe_x = tf.where(nonzero, x, tf.ones_like(x))
  abs_x = tf.abs(safe_x)
  c = tf.exp(tf.math.log(abs_x) / 3.)
  # Newton on c^3 = |x|, written as c - (c - |x| / c^2) / 3 so that c^3 cannot
  # overflow for |x| near the largest float.
  c = c - (c - abs_x / tf.square(c)) / 3.
  return tf.where(nonzero, tf.sign(safe_x) * c, tf.zeros_like(x))


def log_ratio(numerator, denominator, difference):
  """`log(numerator / denominator)` without cancellation near 1 or 0.

  Given the difference `numerator - denominator` computed without
  cancellation, `+-log1p(|difference| / min(numerator, denominator))` keeps
  full relative precision when the ratio is near 1 and, unlike
  `log1p(difference / denominator)`, when it is near 0. It is exactly 0 when
  `difference` is 0.

  Args:
    numerator: positive float `Tensor`.
    denominator: positive float `Tensor`, broadcastable.
    difference: `numerator - denominator`, broadcastable.

  Returns:
    `Tensor`, the log of the ratio; its gradient is finite at 0.

  #### Example

  ```python
  from tfp_analytic.bijectors import _numerics
  _numerics.log_ratio(1e-30, 1., 1e-30 - 1.)  # ==> -69.07755278982137
  ```
  """
  difference = tf.convert_to_tensor(difference)
  # sign * difference = |difference|, with gradient 1 (not 0) at 0.
  sign = tf.where(difference < 0., -tf.ones_like(difference),
                  tf.ones_like(difference))
  return sign * tf.math.log1p(
      sign * difference / tf.minimum(numerator, denominator))


# Error-free transformations: the exact rounding error of one floating-point
# operation, itself a float. They let a map be evaluated to nearly twice the
# working precision where cancellation calls for it (see cubic_rational.py).


def sum_error(a, b, total):
  """Exact `(a + b) - total` for `total = a + b` rounded (Knuth's TwoSum).

  Args:
    a: float `Tensor`.
    b: float `Tensor`, broadcastable with `a`.
    total: `a + b` as computed.

  Returns:
    `Tensor`, the rounding error of `total`.
  """
  b_virtual = total - a
  a_virtual = total - b_virtual
  return (a - a_virtual) + (b - b_virtual)


# Low bits of the significand cleared by `split`: float32 keeps 12 of 24,
# float64 keeps 26 of 53.
_SPLIT = {tf.float32: (tf.int32, 12), tf.float64: (tf.int64, 27)}


def split(a):
  """`(high, low)` with `a = high + low` exactly, each about half the bits.

  Masks the low bits of the significand instead of Veltkamp's `c * a`
  split, so nothing can overflow and FMA contraction cannot change it.

  Args:
    a: float32 or float64 `Tensor`.

  Returns:
    `(high, low)`, `Tensor`s like `a`; `high` is not differentiable.
  """
  a = tf.convert_to_tensor(a)
  int_dtype, low_bits = _SPLIT[a.dtype]
  mask = tf.constant(~((1 << low_bits) - 1), int_dtype)
  high = tf.bitcast(tf.bitwise.bitwise_and(tf.bitcast(a, int_dtype), mask),
                    a.dtype)
  return high, a - high


def safe_split(a):
  """`split(a)`, also exact where the low half would be subnormal.

  TF flushes subnormal results to zero, so for `|a| < tiny * 2^p` (`p` the
  significand bits) `split` loses its low half and `product_error` can be
  off by `2^-12` (float32) or `2^-27` (float64) of the product. There this
  returns `(a, 0)` instead, and products formed from it keep working
  precision.

  Args:
    a: float32 or float64 `Tensor`.

  Returns:
    `(high, low)`, `Tensor`s like `a`; `high` is not differentiable.
  """
  a = tf.convert_to_tensor(a)
  high, _ = split(a)
  info = np.finfo(a.dtype.as_numpy_dtype)
  high = tf.where(tf.abs(a) < float(info.tiny) * 2. ** (info.nmant + 1),
                  tf.stop_gradient(a), high)
  return high, a - high


def product_error(a, b, product):
  """`a * b - product` for `product = a * b` rounded (Dekker's TwoProduct).

  Exact in float32; in float64 the smallest partial product can round, an
  error below `2^-105 |a b|`.

  Args:
    a: `split(x)` of one factor.
    b: `split(y)` of the other, broadcastable.
    product: `x * y` as computed.

  Returns:
    `Tensor`, the rounding error of `product`.
  """
  a_high, a_low = a
  b_high, b_low = b
  return (((a_high * b_high - product) + a_high * b_low + a_low * b_high)
          + a_low * b_low)


# ln 2 in three parts (fdlibm's split): `k * _LN2[0]` is exact for |k| < 2^20.
_LN2 = (0.6931471803691238, 1.9082149292705877e-10, 1.1612227229362532e-26)
# `_exp_dw64` halves its reduced argument this many times.
_HALVINGS = 16


def _mul_dw(a_hi, a_lo, b_hi, b_lo):
  """`(a_hi + a_lo) * (b_hi + b_lo)` as an unnormalized pair, to ~eps^2."""
  product = a_hi * b_hi
  return product, (product_error(safe_split(a_hi), safe_split(b_hi), product)
                   + a_hi * b_lo + a_lo * b_hi)


def _normalize(hi, lo):
  """The pair `(hi + lo, error)` (Dekker's FastTwoSum, `|hi| >= |lo|`)."""
  total = hi + lo
  return total, lo - (total - hi)


# A graph of any shape, traced once: eager callers run its ~500 ops as one
# call instead of dispatching each (10x faster), and XLA inlines it.
@tf.function(input_signature=[tf.TensorSpec(None, tf.float64)],
             autograph=False)
def _exp_dw64(v):
  """`exp(v)` and `expm1(v)` of float64 `v` as pairs, to about `2^-89`.

  `v = k ln 2 + r` (Cody and Waite; `r` kept as a pair), then
  `expm1(r 2^-16)` from five Taylor terms (the sixth is below `2^-110`
  relative) and 16 doublings `expm1(2 t) = expm1(t) (2 + expm1(t))`, all in
  pair arithmetic; `exp(v) = 2^k (1 + expm1(r))` and `expm1(v)` is that
  minus 1, or `expm1(r)` itself when `k = 0` (so that small `v` keep their
  relative precision). `v` is clipped to `+-708`.

  Args:
    v: float64 `Tensor`.

  Returns:
    `((exp, exp_lo), (expm1, expm1_lo))`.
  """
  v = tf.clip_by_value(v, -708., 708.)
  k = tf.round(v * (1. / _LN2[0]))
  t = v - k * _LN2[0]
  p = k * _LN2[1]
  r = t - p
  r_lo = (sum_error(t, -p, r) - product_error(safe_split(k), safe_split(
      tf.constant(_LN2[1], tf.float64)), p)) - k * _LN2[2]
  r, r_lo = r * 2. ** -_HALVINGS, r_lo * 2. ** -_HALVINGS
  r2 = tf.square(r)
  r2_lo = product_error(safe_split(r), safe_split(r), r2) + 2. * r * r_lo
  half_r2 = 0.5 * r2
  e = r + half_r2
  e, e_lo = _normalize(e, sum_error(r, half_r2, e) + (
      r_lo + 0.5 * r2_lo + r * r2 * (1. / 6. + r * (1. / 24. + r / 120.))))
  def double(e, e_lo):
    two = 2. + e
    return _normalize(*_mul_dw(e, e_lo, two, sum_error(2., e, two) + e_lo))

  # A loop, not 16 unrolled copies: XLA compiles the body once.
  e, e_lo = tf.while_loop(
      lambda *_: True, double, (e, e_lo), maximum_iterations=_HALVINGS)
  # 2^k (1 + e), with 2^k built from its exponent bits.
  power = tf.bitcast(tf.bitwise.left_shift(
      tf.cast(k, tf.int64) + 1023, tf.constant(52, tf.int64)), tf.float64)
  one_plus = 1. + e
  one_plus_lo = (sum_error(1., e, one_plus) + e_lo) * power
  one_plus = one_plus * power
  big = one_plus - 1.
  big, big_lo = _normalize(big, sum_error(one_plus, -1., big) + one_plus_lo)
  small = tf.equal(k, 0.)
  return ((one_plus, one_plus_lo),
          (tf.where(small, e, big), tf.where(small, e_lo, big_lo)))


def _pair(v, fn, index):
  """`fn(v)` (`tf.exp` or `tf.math.expm1`) as a pair; see `exp_dw`."""
  v = tf.convert_to_tensor(v)
  hi = fn(v)
  if v.dtype == tf.float64:
    # The graph is shape-agnostic: give its results `v`'s static shape back.
    exact, exact_lo = (tf.ensure_shape(part, v.shape)
                       for part in _exp_dw64(tf.stop_gradient(v))[index])
    lo = (exact - hi) + exact_lo
  else:
    exact = fn(tf.cast(tf.stop_gradient(v), tf.float64))
    lo = tf.cast(exact - tf.cast(hi, tf.float64), v.dtype)
  return hi, tf.stop_gradient(lo)


def exp_dw(v):
  """`exp(v)` as a pair `hi + lo` to about twice the working precision.

  `hi` is `tf.exp(v)` and carries the gradient; `lo` (no gradient) corrects
  it. float32 works in float64 (53 bits cover the 48 of a float32 pair);
  float64 uses pair arithmetic (`_exp_dw64`, for `|v| <= 708`).

  Args:
    v: float32 or float64 `Tensor`.

  Returns:
    `(hi, lo)`, `Tensor`s like `v`.
  """
  return _pair(v, tf.exp, 0)


def expm1_dw(v):
  """`expm1(v)` as a pair, like `exp_dw` (`hi` is `tf.math.expm1(v)`).

  Args:
    v: float32 or float64 `Tensor`.

  Returns:
    `(hi, lo)`, `Tensor`s like `v`.
  """
  return _pair(v, tf.math.expm1, 1)

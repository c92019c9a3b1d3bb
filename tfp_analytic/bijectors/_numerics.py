"""Small numerical kernels shared by the analytic families."""

import tensorflow as tf

__all__ = ['cbrt', 'log_ratio']


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

"""Small numerical kernels shared by the analytic families."""

import tensorflow as tf

__all__ = ['cbrt']


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

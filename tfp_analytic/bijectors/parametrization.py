"""Maps from unconstrained raw numbers to valid parameters
(docs/math.md#raw-parametrization).

Every map sends raw `0` to a chosen neutral value, so that a conditioner whose
last layer starts at zero starts a flow at the identity. Each function takes a
raw tensor `q` and returns a tensor of the same shape and dtype.
"""

import math

import tensorflow as tf

__all__ = [
    'interval_from_raw',
    'positive_from_raw',
    'bounded_log_from_raw',
    'log_scale_from_raw',
]


def interval_from_raw(q, low, high, at_zero):
  """`low + (high - low) * sigmoid(q + c)`, `c` such that raw 0 gives `at_zero`.

  With `a = sigmoid(c)`, the fraction of the interval below `at_zero`,
  `sigmoid(q + c) - a = a (1 - a) E / (1 + a E)` where `E = expm1(q)`. The
  value is `at_zero + (high - low)` times that: exactly `at_zero` at
  `q = 0` (in every dtype), to relative accuracy near it, and one
  `expm1` and one division per element. `q` is capped at 80, where the
  fraction is 1 to below `eps`, so that `E` stays finite.

  Args:
    q: raw float `Tensor`.
    low: Python float, lower end of the open interval.
    high: Python float, upper end of the open interval.
    at_zero: Python float in `(low, high)`, the value at `q = 0`.

  Returns:
    `Tensor` in `(low, high)`, same shape and dtype as `q`.

  #### Example

  ```python
  from tfp_analytic.bijectors import parametrization
  parametrization.interval_from_raw(0., -1., 8., 0.)  # ==> 0.
  ```
  """
  a = (at_zero - low) / (high - low)
  scaled = a * tf.math.expm1(tf.minimum(tf.convert_to_tensor(q), 80.))
  return at_zero + ((high - low) * (1. - a)) * (scaled / (1. + scaled))


def positive_from_raw(q, at_zero, floor=0.):
  """`floor + softplus(q + c)` with `c` so that raw 0 gives `at_zero`.

  Args:
    q: raw float `Tensor`.
    at_zero: Python float `> floor`, the value at `q = 0`.
    floor: Python float, the (excluded) lower bound.

  Returns:
    `Tensor` in `(floor, inf)`, same shape and dtype as `q`.

  #### Example

  ```python
  from tfp_analytic.bijectors import parametrization
  parametrization.positive_from_raw(0., 1., floor=0.1)  # ==> 1.
  ```
  """
  # softplus^{-1}(v) = v + log(-expm1(-v)), in Python double precision so
  # that float64 gets the offset to full precision.
  gap = at_zero - floor
  offset = gap + math.log(-math.expm1(-gap))
  return floor + tf.math.softplus(q + offset)


def bounded_log_from_raw(q, at_zero, log_bound=2.):
  """`exp(log_bound * tanh((q + c) / 2))`, with raw 0 giving `at_zero`.

  The value stays within `[exp(-log_bound), exp(log_bound)]`, which keeps
  cubic coefficients from collapsing or exploding during training.

  Args:
    q: raw float `Tensor`.
    at_zero: Python float in `(exp(-log_bound), exp(log_bound))`.
    log_bound: Python float, the bound on the log of the value.

  Returns:
    Positive `Tensor`, same shape and dtype as `q`.

  #### Example

  ```python
  from tfp_analytic.bijectors import parametrization
  parametrization.bounded_log_from_raw(0., 0.3)  # ==> 0.3
  ```
  """
  offset = 2. * math.atanh(math.log(at_zero) / log_bound)
  return tf.exp(log_bound * tf.math.tanh((q + offset) / 2.))


def log_scale_from_raw(q):
  """`asinh(q)`: a log-scale that grows only logarithmically in the raw number.

  #### Example

  ```python
  from tfp_analytic.bijectors import parametrization
  parametrization.log_scale_from_raw(0.)  # ==> 0.
  ```
  """
  return tf.math.asinh(q)

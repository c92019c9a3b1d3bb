"""Sample-based diagnostics of a flow against a target
(docs/math.md#metrics)."""

import numpy as np
import tensorflow as tf

__all__ = ['effective_sample_size', 'mean_nll', 'reverse_kl',
           'round_trip_error']


def effective_sample_size(log_p, log_q):
  """Normalized ESS of importance weights `p~/q`, computed in log space.

  `ESS = (sum w)^2 / (n sum w^2)` in `(0, 1]` with `w = exp(log_p - log_q)`;
  the unnormalized target's constant cancels.

  Args:
    log_p: float `Tensor` `[n]`, unnormalized target log-density at `x ~ q`.
    log_q: float `Tensor` `[n]`, the flow's log-density at the same `x`.

  Returns:
    Scalar `Tensor`.

  #### Example

  ```python
  from tfp_analytic.train import effective_sample_size
  effective_sample_size([0., 0., 0.], [1., 1., 1.])  # ==> 1.
  effective_sample_size([0., -1e4], [0., 0.])  # ==> 0.5
  ```
  """
  log_w = tf.convert_to_tensor(log_p) - tf.convert_to_tensor(log_q)
  n = tf.cast(tf.size(log_w), log_w.dtype)
  return tf.exp(2. * tf.reduce_logsumexp(log_w)
                - tf.reduce_logsumexp(2. * log_w) - tf.math.log(n))


def reverse_kl(log_p, log_q, log_normalizer=0.):
  """Monte Carlo `KL(q || p) = E_q[log q - log p~] + log Z`.

  Args:
    log_p: float `Tensor` `[n]`, unnormalized target log-density at `x ~ q`.
    log_q: float `Tensor` `[n]`, the flow's log-density at the same `x`.
    log_normalizer: `log Z` of the target where known; 0 gives the training
      loss (the KL up to `log Z`).

  Returns:
    Scalar `Tensor`.

  #### Example

  ```python
  from tfp_analytic.train import reverse_kl
  reverse_kl([-1., -2.], [-1., -1.])  # ==> 0.5
  ```
  """
  log_q = tf.convert_to_tensor(log_q)
  return (tf.reduce_mean(log_q - tf.convert_to_tensor(log_p, log_q.dtype))
          + log_normalizer)


def mean_nll(log_prob, data, batch_size=4096):
  """`-mean(log q(x))` over the rows of `data`, in batches of `batch_size`.

  Args:
    log_prob: callable from a batch of `data` to log-densities, e.g. a
      flow's `log_prob` (trace it with `tf.function` once and pass the same
      function to every call: eagerly, every op of a deep flow is dispatched
      from Python).
    data: array `[n, ...]`, already of the flow's dtype; or a tuple of
      such arrays (a conditional flow's `(x, context)`), whose rows go to
      `log_prob` as separate arguments.
    batch_size: rows per call of `log_prob`.

  Returns:
    Python float.

  #### Example

  ```python
  import numpy as np
  from tfp_analytic.train import metrics
  metrics.mean_nll(lambda x: -x, np.arange(5.), batch_size=2)  # ==> 2.
  ```
  """
  arrays = data if isinstance(data, tuple) else (data,)
  total, size = 0., len(arrays[0])
  for start in range(0, size, batch_size):
    total -= float(np.sum(log_prob(
        *(array[start:start + batch_size] for array in arrays))))
  return total / size


def round_trip_error(flow, x):
  """Per-example error of `forward(inverse(x))`, relative to `max(1, |x|)`.

  A flow is a bijection in exact arithmetic, but a deep one can be so badly
  conditioned in floating point (a layer squeezes a region below the
  resolution of the numbers, a later one blows it up again) that the
  computed inverse lands far from the true pre-image: its `log_prob` is then
  no density at all, and NLL training can drive it below the target's
  entropy. This measures that: the largest absolute error over the event,
  divided by `max(1, max |x|)`. A well-conditioned float32 flow stays near
  its round-off, about 1e-6.

  Args:
    flow: a `tfd.TransformedDistribution` (for a conditional flow, pass
      `flow(context)`).
    x: float `Tensor` `[..., *event_shape]`.

  Returns:
    float `Tensor` `[...]`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import flows
  from tfp_analytic.train import metrics
  flow = flows.radial_flow(2, num_centers=3, seed=0)
  x = tf.random.stateless_normal([4, 2], seed=(0, 1))
  bool(tf.reduce_all(metrics.round_trip_error(flow, x) < 1e-5))  # ==> True
  ```
  """
  x = tf.convert_to_tensor(x, flow.dtype)
  # A new tensor (stop_gradient), so that no bijector cache maps it back.
  x_back = flow.bijector.forward(tf.stop_gradient(flow.bijector.inverse(x)))
  event_axes = tf.range(-tf.size(flow.event_shape_tensor()), 0)
  scale = tf.maximum(tf.reduce_max(tf.abs(x), axis=event_axes),
                     tf.ones([], x.dtype))
  return tf.reduce_max(tf.abs(x_back - x), axis=event_axes) / scale

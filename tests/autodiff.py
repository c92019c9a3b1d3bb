"""Autodiff Jacobians for log-det checks of bijectors with small events."""

import tensorflow as tf


def batch_jacobian(fn, x, event_ndims=1):
  """`J[b, i, j] = d fn(x)[b, i] / d x[b, j]` over flattened events.

  One gradient per output coordinate, which for events of a few dozen
  numbers is much cheaper than `tape.batch_jacobian` (its pfor retraces on
  every call).

  Args:
    fn: map from `x` to an output of the same shape.
    x: float `Tensor` of shape `[batch, *event]` with `len(event) ==
      event_ndims`.
    event_ndims: Python `int`.

  Returns:
    `Tensor` of shape `[batch, size, size]`, `size` the number of event
    elements.
  """
  batch = x.shape[0]
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    # A fresh tensor: a bijector's cache would answer for an `x` it has seen
    # outside the tape, with no gradient.
    outputs = tf.unstack(tf.reshape(fn(tf.identity(x)), [batch, -1]), axis=-1)
  rows = [tf.reshape(tape.gradient(out, x), [batch, -1]) for out in outputs]
  return tf.stack(rows, axis=1)


def log_det_error(bijector, x, event_ndims):
  """Max `|fldj(x) - log|det J(x)||` over the batch, J by autodiff."""
  _, log_det = tf.linalg.slogdet(
      batch_jacobian(bijector.forward, x, event_ndims))
  fldj = bijector.forward_log_det_jacobian(x, event_ndims)
  return float(tf.reduce_max(tf.abs(fldj - log_det)))

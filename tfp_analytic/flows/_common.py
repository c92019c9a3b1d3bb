"""Pieces every flow factory shares."""

import numbers

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic.bijectors.event_shape_guard import EventShapeGuard

tfb = tfp.bijectors
tfd = tfp.distributions


def standard_normal(event_shape, dtype, batch_shape=()):
  """`N(0, I)` over `event_shape` as a `tfd.Sample` (event_ndims = rank)."""
  return tfd.Sample(tfd.Normal(tf.zeros(batch_shape, dtype),
                               tf.ones([], dtype)),
                    sample_shape=list(event_shape), name='standard_normal')


def make_flow(layers, event_shape, dtype, name, batch_shape=None):
  """`TransformedDistribution` of a standard normal through `layers`.

  Args:
    layers: list of bijectors; `layers[0]` acts first on a base sample.
    event_shape: list of Python `int`.
    dtype: float dtype of the base.
    name: Python `str`.
    batch_shape: optional batch shape (a conditional flow's, that of its
      context): the base gets it, and inputs are broadcast to it first.

  Returns:
    A `tfd.TransformedDistribution` that tracks every variable of `layers`.
    Its bijector starts and ends with an `EventShapeGuard`, so a call on
    inputs of the wrong event shape fails before any layer runs.
  """
  guard = EventShapeGuard(event_shape, dtype, batch_shape=batch_shape,
                          name=f'{name}_event_shape')
  return tfd.TransformedDistribution(
      standard_normal(event_shape, dtype,
                      () if batch_shape is None else batch_shape),
      # Chain: right first. The guard acts first in both directions.
      tfb.Chain([guard, *layers[::-1], guard], name=f'{name}_bijector'),
      name=name)


def check_size(name, value, minimum=1):
  """Raises `ValueError` unless `value` is a Python `int >= minimum`.

  Args:
    name: Python `str`, the argument's name for the message.
    value: the argument.
    minimum: Python `int`.

  Returns:
    `value`.
  """
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
      or value < minimum):
    raise ValueError(f'need an integer `{name} >= {minimum}`, got {value!r}')
  return value


def check_sizes(name, values, minimum=1):
  """`check_size` on every item of a sequence, e.g. hidden layer widths."""
  values = tuple(values)
  for value in values:
    check_size(name, value, minimum)
  return values


def apply_flat(network, inputs, event_rank):
  """Calls `network` on `inputs` with all batch axes folded into one.

  Keras models take one batch axis; flows see any number of them (sample and
  batch shapes). The outputs get the batch axes of `inputs` back.

  Args:
    network: callable from `[batch, *event]` to `[batch, *out]`.
    inputs: `Tensor` of shape `[..., *event]`, `event_rank` axes of event.
    event_rank: Python `int`.

  Returns:
    `Tensor` of shape `inputs.shape[:-event_rank] + out`.
  """
  batch_shape = tf.shape(inputs)[:tf.rank(inputs) - event_rank]
  event_shape = inputs.shape[-event_rank:]
  outputs = network(tf.reshape(inputs, [-1, *event_shape]))
  return tf.reshape(outputs, tf.concat(
      [batch_shape, tf.shape(outputs)[1:]], axis=0))


def broadcast_batch(inputs, context):
  """`inputs [..., n]` and `context [..., c]` broadcast over their batch axes.

  Args:
    inputs: float `Tensor` of shape `[..., n]`.
    context: float `Tensor` of shape `[..., c]`, of the same dtype.

  Returns:
    `(inputs, context)` with the broadcast batch shape, static where known.
  """
  # Adding zeros broadcasts and keeps every static dimension.
  return (inputs + tf.zeros_like(context[..., :1]),
          context + tf.zeros_like(inputs[..., :1]))

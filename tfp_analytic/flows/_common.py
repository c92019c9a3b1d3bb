"""Pieces every flow factory shares."""

import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors
tfd = tfp.distributions


def standard_normal(event_shape, dtype):
  """`N(0, I)` over `event_shape` as a `tfd.Sample` (event_ndims = rank)."""
  return tfd.Sample(tfd.Normal(tf.zeros([], dtype), tf.ones([], dtype)),
                    sample_shape=list(event_shape), name='standard_normal')


def make_flow(layers, event_shape, dtype, name):
  """`TransformedDistribution` of a standard normal through `layers`.

  Args:
    layers: list of bijectors; `layers[0]` acts first on a base sample.
    event_shape: list of Python `int`.
    dtype: float dtype of the base.
    name: Python `str`.

  Returns:
    A `tfd.TransformedDistribution` that tracks every variable of `layers`.
  """
  return tfd.TransformedDistribution(
      standard_normal(event_shape, dtype),
      tfb.Chain(layers[::-1], name=f'{name}_bijector'),  # Chain: right first.
      name=name)


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

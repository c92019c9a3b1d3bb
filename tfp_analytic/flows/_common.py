"""Pieces every flow factory shares."""

import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import cache_util

tfb = tfp.bijectors
tfd = tfp.distributions


class FreshAttrsCache(cache_util.BijectorCacheWithGreedyAttrs):
  """A greedy-attribute cache that forgets the attributes of dead results.

  TFP keys a result and its attributes (the log-det) by the input tensor and
  drops the result once nothing refers to it, but keeps the attributes for
  as long as the input lives. A log-det read from them after an optimizer
  step belongs to the old weights: `log_prob(x)` of one `x` before and after
  an update mixed old and new values (an IAF, whose forward pass stores no
  log-det of its own; any layer for a bare log-det call). Attributes whose
  result has died are cleared here, so the next call computes them anew with
  the current weights; while the result lives (within one `log_prob`) they
  are reused as before, one conditioner pass per layer.
  """

  def _get_or_create_edge(self, input, forward_name, kwargs):  # pylint: disable=redefined-builtin
    edge = super()._get_or_create_edge(input, forward_name, kwargs)
    if edge.output_ref is not None and not edge.output_ref.alive:
      edge.attributes.clear()
    return edge


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

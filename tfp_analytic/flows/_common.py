"""Pieces every flow factory shares."""

import numbers

import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import cache_util

from tfp_analytic.bijectors._repr import ImportablePathRepr

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
    Its bijector starts and ends with an `EventShapeGuard`, so a call on
    inputs of the wrong event shape fails before any layer runs.
  """
  guard = EventShapeGuard(event_shape, dtype, name=f'{name}_event_shape')
  return tfd.TransformedDistribution(
      standard_normal(event_shape, dtype),
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


def _shape_str(dims):
  return '[..., ' + ', '.join(str(d) for d in dims) + ']'


class EventShapeGuard(ImportablePathRepr, tfb.Bijector):
  """The identity, which rejects inputs whose event shape is not its own.

  A flow's layers may keep state from their first call (TFP's `RealNVP`
  memoizes the input depth) or broadcast a wrong shape silently (a radial
  layer's center). This check compares the static trailing axes of every
  input with `event_shape` and raises before any other layer sees it.

  Args:
    event_shape: list of Python `int`.
    dtype: the float dtype of the flow.
    name: Python `str`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import _common
  guard = _common.EventShapeGuard([2], tf.float32)
  guard.forward(tf.ones([5, 2]))  # ==> tf.ones([5, 2])
  # guard.inverse(tf.ones([5, 3])) raises ValueError: expected [..., 2], ...
  ```
  """

  def __init__(self, event_shape, dtype, name='event_shape_guard'):
    parameters = dict(locals())
    self._event_shape = tuple(int(d) for d in event_shape)
    super().__init__(forward_min_event_ndims=len(self._event_shape),
                     is_constant_jacobian=True, dtype=dtype,
                     parameters=parameters, name=name)

  def _check(self, x):
    shape = tf.TensorShape(x.shape)
    rank = len(self._event_shape)
    if shape.rank is None:
      return x
    got = shape.as_list()[max(shape.rank - rank, 0):]
    if len(got) < rank or any(
        g is not None and g != e for g, e in zip(got, self._event_shape)):
      raise ValueError(
          f'{self.name}: expected inputs of shape '
          f'{_shape_str(self._event_shape)}, got {_shape_str(got)} '
          f'(input shape {shape.as_list()})')
    return x

  def _forward(self, x):
    return self._check(x)

  def _inverse(self, y):
    return self._check(y)

  def _forward_log_det_jacobian(self, x):
    self._check(x)
    return tf.zeros([], dtype=self.dtype)

  def _inverse_log_det_jacobian(self, y):
    self._check(y)
    return tf.zeros([], dtype=self.dtype)


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

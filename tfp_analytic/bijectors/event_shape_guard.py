"""EventShapeGuard: the identity, which checks the event shape of its inputs."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_analytic.bijectors._repr import ImportablePathRepr

__all__ = ['EventShapeGuard']

tfb = tfp.bijectors


def _shape_str(dims):
  return '[..., ' + ', '.join(str(d) for d in dims) + ']'


class EventShapeGuard(ImportablePathRepr, tfb.Bijector):
  """The identity, which rejects inputs whose event shape is not its own.

  A flow's layers may keep state from their first call (TFP's `RealNVP`
  memoizes the input depth) or broadcast a wrong shape silently (a radial
  layer's center). This check compares the static trailing axes of every
  input with `event_shape` and raises before any other layer sees it.
  With `batch_shape` (a conditional flow's), inputs are also broadcast to
  it, so that every layer sees the full batch: one event for many contexts.

  Args:
    event_shape: list of Python `int`.
    dtype: the float dtype of the flow.
    batch_shape: optional batch shape (list, or `int32` `Tensor`).
    name: Python `str`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  guard = tfab.EventShapeGuard([2], tf.float32)
  guard.forward(tf.ones([5, 2]))  # ==> tf.ones([5, 2])
  # guard.inverse(tf.ones([5, 3])) raises ValueError: expected [..., 2], ...
  ```
  """

  def __init__(self, event_shape, dtype, batch_shape=None,
               name='event_shape_guard'):
    parameters = dict(locals())
    self._event_shape = tuple(int(d) for d in event_shape)
    self._broadcast_shape = batch_shape
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
    if self._broadcast_shape is None:
      return x
    # Adding zeros broadcasts; a static `batch_shape` keeps shapes static.
    return x + tf.zeros(ps.concat(
        [self._broadcast_shape, np.ones([rank], np.int32)], axis=0), x.dtype)

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

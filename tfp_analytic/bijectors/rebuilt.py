"""RebuiltBijector: a bijector built anew by a function on every call."""

import tensorflow as tf

from tfp_analytic.bijectors._base import BijectorBase
from tfp_analytic.bijectors._cache import FreshAttrsCache

__all__ = ['RebuiltBijector']


class RebuiltBijector(BijectorBase):
  """The bijector `bijector_fn()`, rebuilt in every forward or inverse call.

  For a bijector whose parameters are computed from variables, e.g. the
  radial layers of a conditional flow, whose center, scale and stack come
  from a network of the context: building it inside each call keeps the
  computation (and its gradients) in the `GradientTape` or `tf.function`
  that calls it, as TFP's `RealNVP` and `MaskedAutoregressiveFlow` do with
  their `bijector_fn`. The map returns its log-det as a greedy cache
  attribute (the pattern of `tfb.FFJORD`), so `log_prob` builds it once.

  Args:
    bijector_fn: callable with no arguments returning a bijector with
      `forward_min_event_ndims` equal to `event_ndims`; a `tf.Module` is
      tracked.
    event_ndims: Python `int`, the event rank.
    dtype: the float dtype.
    validate_args: Python `bool`, unused (`bijector_fn` checks its own).
    name: Python `str`.

  #### Example

  ```python
  import tensorflow as tf
  import tensorflow_probability as tfp
  from tfp_analytic import bijectors as tfab
  shift = tf.Variable([1., 2.])
  b = tfab.RebuiltBijector(lambda: tfp.bijectors.Shift(shift), 1, tf.float32)
  shift.assign([0., 0.])
  b.forward(tf.ones([2]))  # ==> [1., 1.]
  ```
  """

  _cache = FreshAttrsCache(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, bijector_fn, event_ndims, dtype, validate_args=False,
               name='rebuilt_bijector'):
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      self._bijector_fn = bijector_fn
      super().__init__(parameters, event_ndims, dtype, name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def bijector_fn(self):
    """The callable that builds the bijector."""
    return self._bijector_fn

  def _augmented_forward(self, x):
    bijector = self._bijector_fn()
    # The map first: a bijector with a greedy cache then reads its log-det.
    y = bijector.forward(x)
    fldj = bijector.forward_log_det_jacobian(
        x, event_ndims=self.forward_min_event_ndims)
    return y, {'fldj': fldj, 'ildj': -fldj}

  def _augmented_inverse(self, y):
    bijector = self._bijector_fn()
    x = bijector.inverse(y)
    ildj = bijector.inverse_log_det_jacobian(
        y, event_ndims=self.forward_min_event_ndims)
    return x, {'ildj': ildj, 'fldj': -ildj}

  def _forward(self, x):
    return self._augmented_forward(x)[0]

  def _inverse(self, y):
    return self._augmented_inverse(y)[0]

  def _forward_log_det_jacobian(self, x):
    return self._augmented_forward(x)[1]['fldj']

  def _inverse_log_det_jacobian(self, y):
    return self._augmented_inverse(y)[1]['ildj']

"""OriginFixed: an increasing scalar bijection shifted so that it fixes 0."""

import tensorflow as tf
from tensorflow_probability.python.internal import parameter_properties

from tfp_analytic.bijectors._base import BijectorBase
from tfp_analytic.bijectors._base import CompositeIfWrapped
from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.stack import Stack

__all__ = ['OriginFixed', 'origin_fixed_stack']


class _OriginFixed(BijectorBase):
  """`f(r) = b(r) - b(0)`: the bijection `b` moved so that `f(0) = 0`.

  docs/math.md#originfixed. For an increasing bijection `b` of R, `f` is an
  increasing bijection of R that maps `[0, inf)` onto `[0, inf)`, as the radial
  map of a
  radial flow must. Subtracting a constant leaves the slope alone:

    f(r) = b(r) - b(0),   f^{-1}(rho) = b^{-1}(rho + b(0)),   f' = b'.

  `b` may carry a batch shape (one bijection per batch member); `b(0)` then has
  that batch shape. Note that `b(r) - b(0)` loses the absolute precision
  `eps * |b(0)|` for small `r`; `log_ratio` gives `log(f(r) / r)` without
  that loss when `b` is an analytic family (from its secant slope), and
  radial flows take their ratios from it.

  #### Example

  ```python
  import tensorflow_probability as tfp
  from tfp_analytic import bijectors as tfab
  b = tfp.bijectors.SinhArcsinh(skewness=0.5, tailweight=1.5)
  f = tfab.OriginFixed(b)
  f.forward(0.)  # ==> 0.
  f.forward(1.) - (b.forward(1.) - b.forward(0.))  # ==> 0.
  ```
  """

  def __init__(self, bijector, validate_args=False, name='origin_fixed'):
    """Wraps `bijector` so that it fixes the origin.

    Args:
      bijector: an increasing scalar `tfb.Bijector` (`forward_min_event_ndims`
        0), e.g. an analytic family or a `tfb.Chain` of them.
      validate_args: Python `bool`, checks arguments when `True`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `bijector` is not scalar.
    """
    parameters = dict(locals())
    if bijector.forward_min_event_ndims != 0:
      raise ValueError(
          '`bijector` must be scalar (forward_min_event_ndims 0); got '
          f'{bijector.forward_min_event_ndims}')
    with tf.name_scope(name) as name:
      self._bijector = bijector
      super().__init__(parameters, 0, bijector.dtype, name,
                       is_constant_jacobian=bijector.is_constant_jacobian)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        bijector=parameter_properties.BatchedComponentProperties(
            event_ndims=lambda self, x_event_ndims: x_event_ndims))

  bijector = stored_property('bijector', 'The wrapped bijection `b`.')

  def _internal_is_increasing(self, **kwargs):
    # pylint: disable-next=protected-access
    return self.bijector._internal_is_increasing(**kwargs)

  def _offset(self, dtype):
    """`b(0)`, with the batch shape of `b`."""
    return self.bijector.forward(tf.zeros([], dtype))

  def _forward(self, x):
    return self.bijector.forward(x) - self._offset(x.dtype)

  def _inverse(self, y):
    return self.bijector.inverse(y + self._offset(y.dtype))

  def _forward_log_det_jacobian(self, x):
    return self.bijector.forward_log_det_jacobian(x, event_ndims=0)

  def _inverse_log_det_jacobian(self, y):
    return self.bijector.inverse_log_det_jacobian(
        y + self._offset(y.dtype), event_ndims=0)

  def log_ratio(self, x, y):
    """`log(f(x) / x)` for `x >= 0` and `y = f(x)`; `log f'(0)` at `x = 0`.

    An analytic family gives it from its secant slope between 0 and `x`,
    to relative accuracy however small `x` is and however much `f` bends
    there (`y` is used only where the secant formula is insensitive to its
    rounding); another `b` gives the plain quotient.
    """
    return self._log_ratio(x, y, self._offset(x.dtype))

  def _log_ratio(self, x, y, offset):
    """`log_ratio`, given the offset `b(0)`."""
    secant = getattr(self.bijector, '_log_secant', None)
    if secant is not None:
      return secant(tf.zeros_like(x), x, offset, y)
    positive = x > 0.
    one = tf.ones_like(x)
    return tf.where(positive,
                    tf.math.log(tf.where(positive, y, one) /
                                tf.where(positive, x, one)),
                    self.forward_log_det_jacobian(0. * x, event_ndims=0))

  def radial_step(self, t, inverse=False):
    """`(f(t), log f'(t), log(f(t) / t))` for a radius `t >= 0`; with
    `inverse`, `(f^{-1}(t), -log f'(f^{-1}(t)), log(t / f^{-1}(t)))`.

    The new radius is the plain one (`b(t) - b(0)`, or `b^{-1}(t + b(0))`)
    where that cannot cancel much, the larger of the two radii being at
    least `|b(0)|`; nearer 0 it is `t` times (divided by) the ratio, which
    keeps relative accuracy however small `t` is.
    """
    offset = self._offset(t.dtype)
    if inverse:
      shifted = t + offset
      new = self.bijector.inverse(shifted)
      log_det = self.bijector.inverse_log_det_jacobian(shifted, 0)
      log_ratio = self._log_ratio(new, t, offset)
      scaled = t * tf.exp(-log_ratio)
    else:
      new = self.bijector.forward(t) - offset
      log_det = self.bijector.forward_log_det_jacobian(t, 0)
      log_ratio = self._log_ratio(t, new, offset)
      scaled = t * tf.exp(log_ratio)
    plain = tf.maximum(t, new) >= tf.abs(offset)
    return tf.where(plain, new, scaled), log_det, log_ratio


class OriginFixed(_OriginFixed, CompositeIfWrapped):
  _wrapped_argument = 'bijector'


def origin_fixed_stack(family, raw, num_members=None, validate_args=False,
                       name=None):
  """N members of `family`, each wrapped in `OriginFixed`, composed.

  The paper fixes the origin member by member (docs/math.md#originfixed): each
  member maps `[0, inf)` onto itself, hence so does the composition. Raw 0 is
  the identity.

  Args:
    family: an analytic bijector class (`CubicRational`, ...).
    raw: float `Tensor` of shape `[..., num_members * family.num_raw_params]`;
      the leading axes become the batch shape.
    num_members: Python `int`; inferred from the last axis when `None`.
    validate_args: Python `bool`, passed to every member.
    name: name of the returned bijector.

  Returns:
    A `Stack` of `OriginFixed` members (member 0 applied first), `f(0) = 0`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  raw = tf.random.normal([3 * tfab.CubicConjugation.num_raw_params])
  f = tfab.origin_fixed_stack(tfab.CubicConjugation, raw)
  f.forward(0.)  # ==> 0.
  ```
  """
  return Stack(family, raw, num_members, wrapper=OriginFixed,
               validate_args=validate_args,
               name=name or f'origin_fixed_{family.__name__}_stack')

"""The radial map machinery of RadialFlow and ConditionalRadial.

The formulas are in docs/math.md#radial-flows.
"""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import cache_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._base import BijectorBase
from tfp_analytic.bijectors._base import parameter_assertions
from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.stack import Stack

__all__ = ['RadialBase']


def _radius(w):
  """`|w|` over the last axis; 0 (with zero gradient) below the tiniest normal.

  The double `where` keeps `sqrt` away from 0, whose gradient is infinite.
  """
  r2 = tf.reduce_sum(tf.square(w), axis=-1)
  positive = r2 > np.finfo(w.dtype.as_numpy_dtype).tiny
  one = tf.ones([], w.dtype)
  return tf.where(positive, tf.sqrt(tf.where(positive, r2, one)), 0. * one)


def _event_size(w):
  return tf.cast(tf.shape(w)[-1], w.dtype)


def _radial_terms(f, t, inverse):
  """`(f(t), log f'(t), log(f(t) / t))`; with `inverse`, `t` is the image:
  `(r, -log f'(r), log(t / r))` with `r = f^{-1}(t)`.

  Stacks of members that fix 0 and `OriginFixed` itself take the ratio from
  the secant slopes (`OriginFixed.log_ratio`); any other `f` from the
  quotient, or near 0 from the slopes (`_slope_and_ratio`).
  """
  if isinstance(f, Stack) and hasattr(f.wrapper, 'radial_step'):
    return f.radial_terms(t, inverse)
  if hasattr(f, 'radial_step'):
    return f.radial_step(t, inverse)
  if inverse:
    r = f.inverse(t)
    log_slope, log_ratio = _slope_and_ratio(f, r, t)
    return r, -log_slope, log_ratio
  rho = f.forward(t)
  return (rho,) + _slope_and_ratio(f, t, rho)


def _gain(new_radius, radius, log_gain):
  """`new_radius / radius`, and at radius 0 its limit `exp(log_gain)`, shaped
  to scale `w` (`[..., 1]`).

  The quotient of the two radii keeps the output on the radius the scalar
  map gave, also where `exp(log_gain)` would overflow or underflow; at the
  center, where `w = 0`, the limit is capped at the largest float so that
  the output is the center (never `inf * 0`) with the slope as gradient.
  """
  positive = radius > 0.
  largest = np.log(np.finfo(radius.dtype.as_numpy_dtype).max) - 1.
  gain = tf.where(positive,
                  new_radius / tf.where(positive, radius, tf.ones_like(radius)),
                  tf.exp(tf.minimum(log_gain, largest)))
  return gain[..., tf.newaxis]


def _slope_and_ratio(f, r, rho):
  """`log f'(r)` and `log(f(r) / r)`, exact in the limit `r -> 0`.

  For small `r`, `f(r) = b(r) - b(0)` (OriginFixed) cancels, and `f(r) / r`
  is 0 / 0 at the center. Below `r = eps^(1/3)` take the ratio from the slopes
  instead, by the trapezoid rule on `f(r) / r = (1/r) int_0^r f'`:

    f(r) / r = (f'(0) + f'(r)) / 2 + O(r^2 f''') ,

  whose error (about `eps^(2/3)`) balances the cancellation of the direct
  quotient (about `eps / r = eps^(2/3)`) at the switch. At `r = 0` it gives
  `f'(0)` exactly, so that the log-det is `d log f'(0)`
  (docs/math.md#radial-flows). Every branch that is not selected sees a harmless
  input (double `where`), so that gradients stay finite.

  Args:
    f: scalar bijector with `f(0) = 0`, batch shape broadcasting with `r`.
    r: radii, float `Tensor`, `>= 0`.
    rho: `f(r)`.

  Returns:
    `(log_slope, log_ratio)`, each broadcast to the batch shape.
  """
  threshold = np.finfo(r.dtype.as_numpy_dtype).eps ** (1. / 3.)
  one = tf.ones([], r.dtype)
  log_slope = f.forward_log_det_jacobian(r, event_ndims=0)
  log_slope_at_0 = f.forward_log_det_jacobian(0. * one, event_ndims=0)
  small = r < threshold
  # log((f'(0) + f'(r)) / 2), written so that it is exactly log f'(0) at r = 0.
  delta = tf.where(small, log_slope - log_slope_at_0, 0. * one)
  log_ratio_small = log_slope_at_0 + tf.math.log1p(0.5 * tf.math.expm1(delta))
  ratio_large = tf.where(small, one, rho) / tf.where(small, one, r)
  log_ratio = tf.where(small, log_ratio_small, tf.math.log(ratio_large))
  return log_slope, log_ratio


class RadialBase(BijectorBase):
  """The radial map for a radial bijection chosen per point.

  Subclasses store their own state inside `tf.name_scope(name)`, end their
  constructor with `super().__init__(center, log_scale, parameters, name)`,
  and implement `_radial_bijector_for(w, r)`, the scalar bijector `f` (with
  `f(0) = 0`) that acts on the radius `r = |w|` of the scaled offset `w`; its
  batch shape must broadcast with that of `r`.
  """

  def __init__(self, center, log_scale, parameters, name):
    """Stores `center` and `log_scale` (Variables kept), then the bijector.

    Shapes are checked here, eagerly: XLA drops runtime assertions.

    Args:
      center: float `Tensor` of shape `[..., d]`.
      log_scale: float `Tensor` of shape `[..., d]`.
      parameters: the constructor's `dict(locals())`.
      name: the name, as the constructor's `tf.name_scope` gave it.

    Raises:
      ValueError: if `center` or `log_scale` is a scalar, or their last axes
        differ.
    """
    dtype = dtype_util.common_dtype([center, log_scale], tf.float32)
    self._center = tensor_util.convert_nonref_to_tensor(
        center, dtype=dtype, name='center')
    self._log_scale = tensor_util.convert_nonref_to_tensor(
        log_scale, dtype=dtype, name='log_scale')
    for key in ('center', 'log_scale'):
      if getattr(self, key).shape.rank == 0:
        raise ValueError(f'`{key}` must have an event axis (rank >= 1)')
    size_c = tf.compat.dimension_value(self._center.shape[-1])
    size_s = tf.compat.dimension_value(self._log_scale.shape[-1])
    if size_c is not None and size_s is not None and size_c != size_s:
      raise ValueError(
          f'`center` and `log_scale` must have the same last axis; got '
          f'{size_c} and {size_s}')
    super().__init__(parameters, 1, dtype, name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        center=parameter_properties.ParameterProperties(event_ndims=1),
        log_scale=parameter_properties.ParameterProperties(event_ndims=1))

  center = stored_property('center', 'The center `c`, shape `[..., d]`.')
  log_scale = stored_property(
      'log_scale', 'The log of the per-axis scaling `s`, shape `[..., d]`.')

  def _radial_bijector_for(self, w, r):
    raise NotImplementedError

  def _scaled(self, x):
    center = tf.convert_to_tensor(self.center)
    log_scale = tf.convert_to_tensor(self.log_scale)
    return center, log_scale, tf.exp(log_scale) * (x - center)

  # forward (inverse) computes the log-det on the way; this cache stores it
  # with the output, so `forward` followed by `forward_log_det_jacobian` (and
  # `log_prob`, which calls `inverse` and its log-det) costs one pass. As with
  # every bijector cache, call both inside the same `GradientTape`.
  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_forward_and_log_det', inverse_name='_inverse_and_log_det')

  def _forward_and_log_det(self, x):
    """`(y, {'ildj': -log|det J(x)|})` (docs/math.md#radial-flows)."""
    center, log_scale, w = self._scaled(x)
    r = _radius(w)
    f = self._radial_bijector_for(w, r)
    rho, log_slope, log_ratio = _radial_terms(f, r, inverse=False)
    y = center + tf.exp(-log_scale) * _gain(rho, r, log_ratio) * w
    # The scaling by exp(s) cancels against exp(-s).
    log_det = log_slope + (_event_size(w) - 1.) * log_ratio
    return y, {'ildj': -log_det}

  def _inverse_and_log_det(self, y):
    """`(x, {'ildj': -log|det J(x)|})`; `r = f^{-1}(rho)`, `rho = |w(y)|`."""
    center, log_scale, w = self._scaled(y)
    rho = _radius(w)
    f = self._radial_bijector_for(w, rho)
    r, inverse_log_slope, log_ratio = _radial_terms(f, rho, inverse=True)
    x = center + tf.exp(-log_scale) * _gain(r, rho, -log_ratio) * w
    log_det = (_event_size(w) - 1.) * log_ratio - inverse_log_slope
    return x, {'ildj': -log_det}

  def _forward(self, x):
    return self._forward_and_log_det(x)[0]

  def _inverse(self, y):
    return self._inverse_and_log_det(y)[0]

  def _forward_log_det_jacobian(self, x):
    return -self._forward_and_log_det(x)[1]['ildj']

  def _inverse_log_det_jacobian(self, y):
    return self._inverse_and_log_det(y)[1]['ildj']

  def _parameter_control_dependencies(self, is_init):
    return parameter_assertions(self, is_init, ('center', 'log_scale'),
                                _finite)


def _finite(value, name):
  return [assert_util.assert_equal(
      tf.reduce_all(tf.math.is_finite(value)), True,
      message=f'Argument `{name}` must be finite')]

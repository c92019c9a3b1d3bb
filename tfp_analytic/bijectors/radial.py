"""RadialFlow: a scalar bijection of the radius about a learnable center."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import cache_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._repr import ImportablePathRepr
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack

__all__ = ['RadialFlow']

tfb = tfp.bijectors


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


def _slope_and_ratio(f, r, rho):
  """`log f'(r)`, `f(r) / r` and `log(f(r) / r)`, exact in the limit `r -> 0`.

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
    `(log_slope, ratio, log_ratio)`, each broadcast to the batch shape.
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
  ratio = tf.where(small, tf.exp(log_ratio_small), ratio_large)
  return log_slope, ratio, log_ratio


class _RadialBase(ImportablePathRepr, tfb.Bijector):
  """The radial map for a radial bijection chosen per point.

  The formulas are in docs/math.md#radial-flows.

  Subclasses call `_store_location(center, log_scale)` in `__init__` and
  implement `_radial_bijector_for(w, r)`, the scalar bijector `f` (with `f(0) = 0`) that
  acts on the radius `r = |w|` of the scaled offset `w`; its batch shape must
  broadcast with that of `r`.
  """

  @property
  def center(self):
    """The center `c`, shape `[..., d]`."""
    return self._center

  @property
  def log_scale(self):
    """The log of the per-axis scaling `s`, shape `[..., d]`."""
    return self._log_scale

  def _radial_bijector_for(self, w, r):
    raise NotImplementedError

  def _store_location(self, center, log_scale):
    """Stores `center` and `log_scale` (Variables kept) and returns the dtype.

    Shapes are checked here, eagerly: XLA drops runtime assertions.
    """
    dtype = dtype_util.common_dtype([center, log_scale], tf.float32)
    self._center = tensor_util.convert_nonref_to_tensor(
        center, dtype=dtype, name='center')
    self._log_scale = tensor_util.convert_nonref_to_tensor(
        log_scale, dtype=dtype, name='log_scale')
    for name in ('center', 'log_scale'):
      if getattr(self, name).shape.rank == 0:
        raise ValueError(f'`{name}` must have an event axis (rank >= 1)')
    size_c = tf.compat.dimension_value(self._center.shape[-1])
    size_s = tf.compat.dimension_value(self._log_scale.shape[-1])
    if size_c is not None and size_s is not None and size_c != size_s:
      raise ValueError(
          f'`center` and `log_scale` must have the same last axis; got '
          f'{size_c} and {size_s}')
    return dtype

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
    log_slope, ratio, log_ratio = _slope_and_ratio(f, r, f.forward(r))
    y = center + tf.exp(-log_scale) * ratio[..., tf.newaxis] * w
    # The scaling by exp(s) cancels against exp(-s).
    log_det = log_slope + (_event_size(w) - 1.) * log_ratio
    return y, {'ildj': -log_det}

  def _inverse_and_log_det(self, y):
    """`(x, {'ildj': -log|det J(x)|})`; `r = f^{-1}(rho)`, `rho = |w(y)|`."""
    center, log_scale, w = self._scaled(y)
    rho = _radius(w)
    f = self._radial_bijector_for(w, rho)
    log_slope, ratio, log_ratio = _slope_and_ratio(f, f.inverse(rho), rho)
    x = center + tf.exp(-log_scale) * w / ratio[..., tf.newaxis]
    log_det = log_slope + (_event_size(w) - 1.) * log_ratio
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
    if not self.validate_args:
      return []
    assertions = []
    for name in ('center', 'log_scale'):
      value = getattr(self, name)
      if is_init != tensor_util.is_ref(value):
        assertions.append(assert_util.assert_equal(
            tf.reduce_all(tf.math.is_finite(value)), True,
            message=f'Argument `{name}` must be finite'))
    return assertions


class _RadialFlow(_RadialBase):
  """Radial flow about a center: `y = c + exp(-s) (f(r) / r) w`.

  docs/math.md#radial-flows. With `w = exp(s) * (x - c)` (elementwise) and
  `r = |w|`,

    y = c + exp(-s) * (f(r) / r) * w,
    log|det J| = log f'(r) + (d - 1) * log(f(r) / r),

  where `f` is an increasing bijection of `[0, inf)` with `f(0) = 0` (wrap any
  increasing scalar bijector in `OriginFixed`). Rays from the center are
  preserved; only the radius moves. At the center `f(r) / r -> f'(0)`, so
  `y = c` and the log-det is `d log f'(0)`: values and gradients are finite
  there. The inverse applies `f^{-1}` to the radius of `exp(s) (y - c)`.
  Events are the last axis (any dimension `d`); `center`, `log_scale`, the
  batch shape of `f` and the input broadcast. `RadialFlow.from_raw` builds the
  usual stack of N members of an analytic family.

  `forward` computes the log-det on the way and the bijector cache keeps it,
  so `forward` then `forward_log_det_jacobian` (or `inverse` then its log-det,
  as in `log_prob`) costs one pass; as with every cached bijector, make both
  calls inside the same `GradientTape` (or pass `tf.identity(y)`). The radius
  is `sqrt(sum w^2)`: offsets beyond `sqrt` of the largest float (about 1e19
  in float32) overflow.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  raw = tfab.spread_raw_init(tfab.SinhConjugation, 4, seed=(0, 1))
  flow = tfab.RadialFlow.from_raw(tfab.SinhConjugation, raw,
                                  center=[0.5, -1.], log_scale=[0., 0.2])
  x = tf.random.stateless_normal([8, 2], seed=(1, 2))
  y = flow.forward(x)
  flow.inverse(tf.identity(y))  # ==> x
  flow.forward_log_det_jacobian(x, event_ndims=1)  # shape [8]
  ```
  """

  def __init__(self, radial_bijector, center, log_scale, validate_args=False,
               name='radial_flow'):
    """Builds the radial flow.

    Args:
      radial_bijector: scalar increasing bijector `f` with `f(0) = 0`, acting
        on the radius; its batch shape broadcasts with the flow's batch shape.
      center: float `Tensor` of shape `[..., d]`, the center `c`.
      log_scale: float `Tensor` of shape `[..., d]`, the per-axis log scaling
        `s` applied before the radius is taken.
      validate_args: Python `bool`, checks that `center` and `log_scale` are
        finite when `True`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `radial_bijector` is not scalar, or the shapes of
        `center` and `log_scale` do not fit.
    """
    parameters = dict(locals())
    if radial_bijector.forward_min_event_ndims != 0:
      raise ValueError('`radial_bijector` must be scalar '
                       '(forward_min_event_ndims 0)')
    with tf.name_scope(name) as name:
      dtype = self._store_location(center, log_scale)
      self._radial_bijector = radial_bijector
      super().__init__(
          forward_min_event_ndims=1,
          dtype=dtype,
          validate_args=validate_args,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        radial_bijector=parameter_properties.BatchedComponentProperties(
            event_ndims=lambda self, x_event_ndims: x_event_ndims - 1),
        center=parameter_properties.ParameterProperties(event_ndims=1),
        log_scale=parameter_properties.ParameterProperties(event_ndims=1))

  @property
  def radial_bijector(self):
    """The scalar map `f` of the radius."""
    return self._radial_bijector

  def _radial_bijector_for(self, w, r):
    return self.radial_bijector

  @classmethod
  def from_raw(cls, family, raw, center, log_scale, num_members=None,
               validate_args=False, name='radial_flow'):
    """Radial flow whose `f` is a stack of N OriginFixed members of `family`.

    Each member is wrapped in `OriginFixed` (as the paper does), so raw 0 is
    the identity whatever `center` and `log_scale` are.

    Args:
      family: an analytic bijector class (`SinhConjugation`, ...).
      raw: float `Tensor` of shape `[..., num_members * P]`; leading axes are
        batch axes of `f`.
      center: float `Tensor` of shape `[..., d]`.
      log_scale: float `Tensor` of shape `[..., d]`.
      num_members: Python `int`; inferred from the last axis of `raw` if `None`.
      validate_args: Python `bool`.
      name: Python `str`, the name of the bijector.

    Returns:
      A `RadialFlow`.
    """
    stack = origin_fixed_stack(family, raw, num_members, validate_args)
    return cls(stack, center, log_scale, validate_args=validate_args,
               name=name)


class RadialFlow(_RadialFlow, tfb.AutoCompositeTensorBijector):

  def __new__(cls, *args, **kwargs):
    """A `_RadialFlow` (not a `CompositeTensor`) if `radial_bijector` is not."""
    if cls is RadialFlow:
      bijector = args[0] if args else kwargs.get('radial_bijector')
      if not isinstance(bijector, tf.__internal__.CompositeTensor):
        return _RadialFlow(*args, **kwargs)
    return super().__new__(cls)


RadialFlow.__doc__ = _RadialFlow.__doc__ + (
    '\n  `RadialFlow` is a `CompositeTensor` (it can cross `tf.function`\n'
    '  boundaries) when `radial_bijector` is one, as stacks of the analytic\n'
    '  families are; otherwise the constructor returns a `_RadialFlow`.\n')

"""RadialFlow: a scalar bijection of the radius about a learnable center."""

import tensorflow as tf
from tensorflow_probability.python.internal import parameter_properties

from tfp_analytic.bijectors._base import CompositeIfWrapped
from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors._radial import RadialBase
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack

__all__ = ['RadialFlow']


class _RadialFlow(RadialBase):
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
      self._radial_bijector = radial_bijector
      super().__init__(center, log_scale, parameters, name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        super()._parameter_properties(dtype),
        radial_bijector=parameter_properties.BatchedComponentProperties(
            event_ndims=lambda self, x_event_ndims: x_event_ndims - 1))

  radial_bijector = stored_property(
      'radial_bijector', 'The scalar map `f` of the radius.')

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


class RadialFlow(_RadialFlow, CompositeIfWrapped):
  _wrapped_argument = 'radial_bijector'

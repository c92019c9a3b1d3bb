"""ConditionalRadial: radial flows whose radial map depends on the direction."""

import tensorflow as tf

from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors._radial import RadialBase
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack

__all__ = ['ConditionalRadial']


def _unit_direction(w, r):
  """`w / r` for `r > 0`, and the first axis `e_1` where `r == 0`.

  Args:
    w: float `Tensor` of shape `[..., d]`.
    r: its radius `|w|`, shape `[...]`, exactly 0 where there is no direction.

  Returns:
    Unit vectors of shape `[..., d]`, with finite gradients everywhere.
  """
  positive = (r > 0.)[..., tf.newaxis]
  safe_r = tf.where(positive, r[..., tf.newaxis], tf.ones([], r.dtype))
  first_axis = tf.one_hot(0, tf.shape(w)[-1], dtype=w.dtype)
  return tf.where(positive, w / safe_r, first_axis)


class ConditionalRadial(RadialBase):
  """Radial flow whose radial map depends on the direction
  (docs/math.md#conditionalradial).

  As `RadialFlow`, with `w = exp(s) (x - c)`, `r = |w|`:

    y = c + exp(-s) * (f_u(r) / r) * w,   u = w / r,
    log|det J| = log f_u'(r) + (d - 1) * log(f_u(r) / r).

  `f_u` is a stack of `num_members` members of `family`, each wrapped in
  `OriginFixed`, whose raw parameters are `raw_fn(u)`. The direction is
  preserved, so the inverse reads it from the output and inverts `f_u`
  there. The log-det formula is that of the angle-independent flow, because
  `u` is constant along the ray (the Jacobian is triangular in polar
  coordinates). At the center (`r = 0`) the direction `e_1` is used, so that
  `y = c`, the log-det is `d log f_{e_1}'(0)`, and nothing is NaN.

  `raw_fn` may be any callable; a `tf.Module` (a `tf_keras` model, the
  `AngularSeries` of `FourierRadial`) is tracked, so the bijector's
  `trainable_variables` include its variables.

  #### Example

  ```python
  import tensorflow as tf
  import tf_keras
  from tfp_analytic import bijectors as tfab
  family = tfab.CubicConjugation
  net = tf_keras.Sequential([
      tf_keras.layers.Dense(16, activation='tanh'),
      tf_keras.layers.Dense(2 * family.num_raw_params,
                            kernel_initializer='zeros')])
  flow = tfab.ConditionalRadial(family, net, center=[0., 0.],
                                log_scale=[0., 0.], num_members=2)
  x = tf.random.stateless_normal([8, 2], seed=(1, 2))
  y = flow.forward(x)  # the identity, as the last layer starts at zero
  len(flow.trainable_variables)  # ==> 4
  ```
  """

  def __init__(self, family, raw_fn, center, log_scale, num_members=1,
               validate_args=False, parameters=None,
               name='conditional_radial'):
    """Builds the direction-conditioned radial flow.

    Args:
      family: an analytic bijector class (`SinhConjugation`, ...).
      raw_fn: callable mapping unit vectors `[..., d]` to raw numbers
        `[..., num_members * family.num_raw_params]`, in the layout of
        `stack_from_raw`.
      center: float `Tensor` of shape `[..., d]`, the center `c`.
      log_scale: float `Tensor` of shape `[..., d]`, the per-axis log scaling.
      num_members: Python `int`, the number of members of the stack.
      validate_args: Python `bool`, checks that `center` and `log_scale` are
        finite when `True`.
      parameters: the constructor arguments of a subclass, for `copy()`;
        leave as `None`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `num_members < 1` or the shapes of `center` and
        `log_scale` do not fit.
    """
    parameters = dict(locals()) if parameters is None else parameters
    if num_members < 1:
      raise ValueError(f'`num_members` must be >= 1; got {num_members}')
    with tf.name_scope(name) as name:
      self._family = family
      self._raw_fn = raw_fn
      self._num_members = num_members
      super().__init__(center, log_scale, parameters, name)

  family = stored_property(
      'family', 'The analytic family of the members of the radial stack.')
  raw_fn = stored_property(
      'raw_fn', 'The callable from unit directions to raw numbers.')
  num_members = stored_property(
      'num_members', 'The number of members of the radial stack.')

  def radial_bijector_at(self, direction):
    """The radial map `f_u` for the unit vectors `direction`.

    Args:
      direction: float `Tensor` of unit vectors, shape `[..., d]`.

    Returns:
      A scalar bijector (an OriginFixed stack) with batch shape `[...]`;
      `radial_bijector_at(u).forward(r)` is `f_u(r)`, as plotted in the
      paper's interpretability figures.
    """
    return origin_fixed_stack(self.family, self.raw_fn(direction),
                              self.num_members, self.validate_args)

  def _radial_bijector_for(self, w, r):
    return self.radial_bijector_at(_unit_direction(w, r))

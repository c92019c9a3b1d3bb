"""FourierRadial: a 2-D radial flow with Fourier series in the angle."""

import functools

import tensorflow as tf

from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.angular_series import SeriesRadial
from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation

__all__ = ['FourierRadial', 'fourier_basis']


def fourier_basis(direction, num_modes):
  """`[1, cos t, sin t, cos 2t, sin 2t, ..., cos Mt, sin Mt]` of unit vectors.

  `t` is the angle of `direction = (cos t, sin t)`. The harmonics come from the
  powers `(cos t + i sin t)^m = cos mt + i sin mt`, by complex multiplication
  (products and sums only: `atan2` followed by `cos`/`sin` is several times
  slower under XLA on CPU).

  Args:
    direction: float `Tensor` of unit vectors, shape `[..., 2]`.
    num_modes: Python `int` `M >= 0`.

  Returns:
    `Tensor` of shape `[..., 2 M + 1]`.

  #### Example

  ```python
  import math
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  t = 0.3
  basis = tfab.fourier_basis(tf.constant([math.cos(t), math.sin(t)]), 2)
  basis  # ==> [1., math.cos(t), math.sin(t), math.cos(2 * t), math.sin(2 * t)]
  ```
  """
  direction = tf.convert_to_tensor(direction)
  cos1, sin1 = tf.unstack(direction, num=2, axis=-1)
  cos_m, sin_m = cos1, sin1
  terms = [tf.ones_like(cos1)]
  for _ in range(num_modes):
    terms += [cos_m, sin_m]
    cos_m, sin_m = cos_m * cos1 - sin_m * sin1, sin_m * cos1 + cos_m * sin1
  return tf.stack(terms, axis=-1)


def _direction_of_angle(theta):
  theta = tf.convert_to_tensor(theta)
  return tf.stack([tf.cos(theta), tf.sin(theta)], axis=-1)


class FourierRadial(SeriesRadial):
  """2-D radial flow with angle-dependent radial map
  (docs/math.md#fourierradial).

  A `ConditionalRadial` (d = 2) whose raw parameters are truncated Fourier
  series in the angle `t` of the scaled direction `w / |w|`,

    q_k(t) = A_k0 + sum_{m=1..M} (A_km cos(m t) + B_km sin(m t)),

  with the coefficients learned directly. The trainable variables live in the
  bijector: the coefficients (`coefficients`, shape `[P, 2M + 1]`, columns in
  the order of `fourier_basis`), `center` and `log_scale` (shape `[2]`): in all
  `P (2M + 1) + 4` numbers, `P = num_members * family.num_raw_params`; with 9
  `SinhConjugation` members, 49 for `M = 0` and 319 for `M = 3`. With `M = 0`
  it is the angle-independent `RadialFlow.from_raw(family, coefficients[:, 0],
  center, log_scale)`.

  Initialisation is near the identity with spread members
  (docs/math.md#spread-initialisation): the constant terms of the `loc` raws
  `~ N(0, 1)`, everything else `~ N(0, 0.01^2)`; `center` and `log_scale`
  default to 0.

  For plots: `coefficients_by_param()` gives the coefficients of every raw
  number, `params_at_angle(t)` the valid parameters at angles `t`, and
  `radial_bijector_at(u)` the radial map `f(r; t)`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  flow = tfab.FourierRadial(num_modes=3, num_members=9, seed=0)
  sum(int(tf.size(v)) for v in flow.trainable_variables)  # ==> 319
  x = tf.random.stateless_normal([16, 2], seed=(1, 2))
  y = flow.forward(x)
  flow.inverse(tf.identity(y))  # ==> x
  flow.params_at_angle([0., 1.5])['shift']  # shape [2, 9]
  ```
  """

  def __init__(self, num_modes, family=SinhConjugation, num_members=1,
               center=None, log_scale=None, dtype=tf.float32, seed=None,
               validate_args=False, name='fourier_radial'):
    """Builds the flow and its variables.

    Args:
      num_modes: Python `int` `M >= 0`, the highest harmonic.
      family: an analytic bijector class; `SinhConjugation` as in the paper.
      num_members: Python `int`, the number of members of the radial stack.
      center: initial center, shape `[2]` (a `tf.Variable` is used as is);
        the origin when `None`.
      log_scale: initial log scaling, shape `[2]` (a `tf.Variable` is used as
        is); 0 when `None`.
      dtype: float `tf.DType` of the variables.
      seed: stateless seed, Python `int`, or `None`, for the initialisation.
      validate_args: Python `bool`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `num_modes < 0` or `num_members < 1`.
    """
    parameters = dict(locals())
    if num_modes < 0:
      raise ValueError(f'`num_modes` must be >= 0; got {num_modes}')
    self._num_modes = num_modes
    super().__init__(
        functools.partial(fourier_basis, num_modes=num_modes),
        2 * num_modes + 1, 2, family, num_members, center, log_scale, dtype,
        seed, validate_args, parameters, name)

  num_modes = stored_property('num_modes', 'The highest harmonic `M`.')

  def raw_params_at_angle(self, theta):
    """Raw numbers at angles: `[...]` to `[..., num_members * P]`."""
    return self.raw_params_at(_direction_of_angle(theta))

  def params_at_angle(self, theta):
    """Valid parameters at the angles `theta`: name to `[..., num_members]`."""
    return self.params_at(_direction_of_angle(theta))

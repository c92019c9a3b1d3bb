"""SphericalRadial: a 3-D radial flow with spherical-harmonic parameters."""

import functools
import math

import tensorflow as tf

from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.angular_series import SeriesRadial
from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation

__all__ = ['SphericalRadial', 'real_spherical_harmonics']


def real_spherical_harmonics(direction, degree):
  """Real spherical harmonics up to `degree`, Schmidt semi-normalised.

  For a unit vector `(x, y, z) = (sin a cos b, sin a sin b, cos a)` and
  `0 <= m <= l <= degree`:

    Y_l^m  = N_lm P_l^m(z) cos(m b),   Y_l^-m = N_lm P_l^m(z) sin(m b),
    N_lm = sqrt((2 - [m = 0]) (l - m)! / (l + m)!),

  (no Condon-Shortley phase), in the order `l^2 + l + m`, so index 0 is the
  constant 1 and indices 1..3 are `y, z, x`. The normalisation makes every
  function bounded by 1 with mean square `1 / (2l + 1)` over the sphere, the
  analogue of `cos(m t)` in `fourier_basis`.

  Everything is a polynomial in `x, y, z` (no trigonometry):
  `P_l^m(z) cos(m b) = Q_l^m(z) C_m` with `C_m + i S_m = (x + i y)^m` and
  `Q_l^m = P_l^m / sin^m a`, which obeys the associated-Legendre recurrences
  `Q_m^m = (2m - 1)!!`, `Q_{m+1}^m = (2m + 1) z Q_m^m`,
  `(l - m) Q_l^m = (2l - 1) z Q_{l-1}^m - (l + m - 1) Q_{l-2}^m`.
  Meant for small degrees (the unnormalised `Q` grow like `(2l)!`).

  Args:
    direction: float `Tensor` of unit vectors, shape `[..., 3]`.
    degree: Python `int` `L >= 0`.

  Returns:
    `Tensor` of shape `[..., (L + 1)^2]`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  north = tf.constant([0., 0., 1.])
  tfab.real_spherical_harmonics(north, degree=1)  # ==> [1., 0., 1., 0.]
  ```
  """
  direction = tf.convert_to_tensor(direction)
  x, y, z = tf.unstack(direction, num=3, axis=-1)
  harmonics = {}
  cos_m, sin_m = tf.ones_like(x), tf.zeros_like(x)  # (x + i y)^m
  for m in range(degree + 1):
    q_previous = None
    q_current = tf.fill(tf.shape(z), tf.constant(
        math.prod(range(1, 2 * m, 2)), z.dtype))  # (2m - 1)!!
    for l in range(m, degree + 1):
      if l == m + 1:
        q_previous, q_current = q_current, (2 * m + 1) * z * q_current
      elif l > m + 1:
        q_previous, q_current = q_current, (
            (2 * l - 1) * z * q_current - (l + m - 1) * q_previous) / (l - m)
      norm = math.sqrt((2. - (m == 0)) * math.factorial(l - m)
                       / math.factorial(l + m))
      harmonics[l * l + l + m] = norm * q_current * cos_m
      if m > 0:
        harmonics[l * l + l - m] = norm * q_current * sin_m
    cos_m, sin_m = cos_m * x - sin_m * y, sin_m * x + cos_m * y
  return tf.stack([harmonics[i] for i in range((degree + 1) ** 2)], axis=-1)


class SphericalRadial(SeriesRadial):
  """3-D radial flow whose raw parameters are spherical-harmonic series.

  The extension of `FourierRadial` to d = 3 that the paper names and does not
  build: a `ConditionalRadial` whose raw parameters are

    q_k(u) = sum_{l <= L, |m| <= l} C_klm Y_l^m(u),

  with `Y_l^m` the real, Schmidt semi-normalised harmonics of
  `real_spherical_harmonics` and `u` the scaled direction. The coefficients
  (`coefficients`, shape `[P, (L + 1)^2]`), `center` and `log_scale` (shape
  `[3]`) are trainable variables of the bijector: `P (L + 1)^2 + 6` numbers,
  `P = num_members * family.num_raw_params`. Degree 0 is the
  angle-independent `RadialFlow`. Initialisation as in `FourierRadial`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  flow = tfab.SphericalRadial(degree=2, num_members=3, seed=0)
  sum(int(tf.size(v)) for v in flow.trainable_variables)  # ==> 15 * 9 + 6
  x = tf.random.stateless_normal([16, 3], seed=(1, 2))
  flow.inverse(tf.identity(flow.forward(x)))  # ==> x
  ```
  """

  def __init__(self, degree, family=SinhConjugation, num_members=1,
               center=None, log_scale=None, dtype=tf.float32, seed=None,
               validate_args=False, name='spherical_radial'):
    """Builds the flow and its variables.

    Args:
      degree: Python `int` `L >= 0`, the highest degree of the harmonics.
      family: an analytic bijector class.
      num_members: Python `int`, the number of members of the radial stack.
      center: initial center, shape `[3]` (a `tf.Variable` is used as is);
        the origin when `None`.
      log_scale: initial log scaling, shape `[3]` (a `tf.Variable` is used as
        is); 0 when `None`.
      dtype: float `tf.DType` of the variables.
      seed: stateless seed, Python `int`, or `None`, for the initialisation.
      validate_args: Python `bool`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `degree < 0` or `num_members < 1`.
    """
    parameters = dict(locals())
    if degree < 0:
      raise ValueError(f'`degree` must be >= 0; got {degree}')
    self._degree = degree
    super().__init__(
        functools.partial(real_spherical_harmonics, degree=degree),
        (degree + 1) ** 2, 3, family, num_members, center, log_scale, dtype,
        seed, validate_args, parameters, name)

  degree = stored_property('degree', 'The highest degree `L` of the harmonics.')

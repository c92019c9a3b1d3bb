"""ZeroModeBijector: a Z2-symmetric bijection of the mean of a lattice field."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import _seeds
from tfp_analytic.bijectors._repr import ImportablePathRepr
from tfp_analytic.bijectors.cubic_conjugation import CubicConjugation
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack
from tfp_analytic.bijectors.stack import spread_raw_init

__all__ = ['ZeroModeBijector']

tfb = tfp.bijectors


class ZeroModeBijector(ImportablePathRepr, tfb.Bijector):
  """Moves the mean `M` of a lattice field by an odd bijection `h`.

  docs/math.md#lattice: with `M = mean_x phi(x)` and `h(M) = sign(M) f(|M|)`,
  where `f` is an increasing bijection of `[0, inf)` with `f(0) = 0` (an
  OriginFixed stack),

    y = phi + (h(M) - M)      (the same constant added to every site).

  Only the zero mode changes: in an orthonormal basis whose first vector is
  the constant field `1 / sqrt(V)`, the coordinate `u = sqrt(V) M` maps to
  `sqrt(V) h(u / sqrt(V))`, whose slope is `h'(M) = f'(|M|)`, and every other
  coordinate is untouched; so `log|det J| = log f'(|M|)` (the sqrt(V) scalings
  cancel). The mean of `y` is `h(M)`, so the inverse reads `h(M)` from `y`,
  applies `h^{-1}(m) = sign(m) f^{-1}(|m|)` and subtracts the difference.

  The map is exactly Z2-equivariant, `forward(-phi) == -forward(phi)` bit for
  bit: `h` is evaluated as `t * f(t * M)` with `t = +-1` the sign of `M` (so
  `t * M = |M|` exactly and the slope at `M = 0` is `f'(0)`, not 0).

  With `radial_bijector=None` the bijector owns a trainable stack of
  `num_members` `family` members (CubicConjugation, as in the paper), each
  wrapped in `OriginFixed`, with raw numbers in the `tf.Variable`
  `raw_params`, initialised near the identity with spread locs
  (docs/math.md#spread-initialisation).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  zero_mode = tfab.ZeroModeBijector(num_members=4, seed=0)
  phi = tf.random.stateless_normal([3, 4, 4], seed=(1, 2))
  y = zero_mode.forward(phi)
  zero_mode.forward(-phi) + y  # ==> tf.zeros([3, 4, 4])
  zero_mode.inverse(tf.identity(y)) - phi  # ==> tf.zeros([3, 4, 4])
  len(zero_mode.trainable_variables)  # ==> 1
  ```
  """

  def __init__(self, radial_bijector=None, num_members=8,
               family=CubicConjugation, dtype=tf.float32, seed=None,
               validate_args=False, name='zero_mode'):
    """Builds the bijector.

    Args:
      radial_bijector: scalar increasing bijector `f` with `f(0) = 0` (e.g. an
        `OriginFixed` stack), or `None` for a trainable stack owned by this
        bijector.
      num_members: Python `int`, members of the trainable stack (used when
        `radial_bijector` is `None`).
      family: analytic family of the trainable stack.
      dtype: float `tf.DType` of the trainable stack and the field.
      seed: stateless seed, Python `int`, or `None`, for the initialisation.
      validate_args: Python `bool`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `radial_bijector` is not scalar or `num_members < 1`.
    """
    parameters = dict(locals())
    if radial_bijector is not None:
      if radial_bijector.forward_min_event_ndims != 0:
        raise ValueError('`radial_bijector` must be scalar '
                         '(forward_min_event_ndims 0)')
      dtype = radial_bijector.dtype or dtype
    elif num_members < 1:
      raise ValueError(f'`num_members` must be >= 1; got {num_members}')
    with tf.name_scope(name) as name:
      self._radial_bijector = radial_bijector
      self._family = family
      self._num_members = num_members
      self._raw_params = None
      if radial_bijector is None:
        self._raw_params = tf.Variable(
            spread_raw_init(family, num_members,
                            _seeds.stateless_seed(seed), dtype=dtype),
            name='raw_params')
      super().__init__(
          forward_min_event_ndims=2,
          dtype=dtype,
          validate_args=validate_args,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def radial_bijector(self):
    """The bijector passed to the constructor (`None` for the owned stack)."""
    return self._radial_bijector

  @property
  def raw_params(self):
    """The `tf.Variable` of raw numbers of the owned stack, or `None`."""
    return self._raw_params

  def magnitude_map(self):
    """The current map `f` of `|M|` (an owned stack is built from its variable).

    Returns:
      A scalar bijector with `f(0) = 0`.
    """
    if self._radial_bijector is not None:
      return self._radial_bijector
    return origin_fixed_stack(self._family, self._raw_params,
                              self._num_members, self.validate_args)

  @staticmethod
  def _mean_and_sign(field):
    mean = tf.reduce_mean(field, axis=[-2, -1])
    sign = tf.where(mean < 0., -tf.ones_like(mean), tf.ones_like(mean))
    return mean, sign

  def _forward(self, x):
    mean, sign = self._mean_and_sign(x)
    moved = sign * self.magnitude_map().forward(sign * mean)
    return x + (moved - mean)[..., tf.newaxis, tf.newaxis]

  def _inverse(self, y):
    moved, sign = self._mean_and_sign(y)
    mean = sign * self.magnitude_map().inverse(sign * moved)
    return y + (mean - moved)[..., tf.newaxis, tf.newaxis]

  def _forward_log_det_jacobian(self, x):
    mean, sign = self._mean_and_sign(x)
    return self.magnitude_map().forward_log_det_jacobian(sign * mean, 0)

  def _inverse_log_det_jacobian(self, y):
    moved, sign = self._mean_and_sign(y)
    return self.magnitude_map().inverse_log_det_jacobian(sign * moved, 0)

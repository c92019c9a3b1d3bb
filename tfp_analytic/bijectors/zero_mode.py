"""ZeroModeBijector: a Z2-symmetric bijection of a lattice field's zero mode."""

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
  """Maps the zero mode `u = sqrt(V) M` of a lattice field by an odd bijection.

  docs/math.md#lattice, as the paper defines it: `u` is the `k = 0` amplitude
  of the orthonormal Fourier transform of a field on `V` sites (`M` its mean,
  the magnetization), and with `F` an increasing bijection of R,

    h(u) = sign(u) (F(|u|) - F(0)),    y = phi + (h(u) - u) / sqrt(V),

  i.e. the same constant is added to every site. `f = F - F(0)` is an
  OriginFixed stack. Only the zero mode changes: in an orthonormal basis whose
  first vector is the constant field `1 / sqrt(V)`, the coordinate `u` maps to
  `h(u)` and every other coordinate is untouched, so `log|det J| = log
  F'(|u|)`. The zero mode of `y` is `h(u)`, so the inverse reads it from `y`,
  applies `h^{-1}(v) = sign(v) f^{-1}(|v|)` and subtracts the difference.
  Working on `u` rather than on `M` keeps the members' scale: under a
  standard normal field `u` is standard normal at every lattice size, while
  `M` has standard deviation `1 / sqrt(V)`.

  The map is exactly Z2-equivariant, `forward(-phi) == -forward(phi)` bit for
  bit: `h` is evaluated as `t * f(t * u)` with `t = +-1` the sign of `u` (so
  `t * u = |u|` exactly and the slope at `u = 0` is `F'(0)`, not 0).

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
        `OriginFixed` stack), applied to `|u|`, or `None` for a trainable
        stack owned by this bijector.
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
    """The current map `f` of `|u|` (an owned stack is built from its variable).

    Returns:
      A scalar bijector with `f(0) = 0`.
    """
    if self._radial_bijector is not None:
      return self._radial_bijector
    return origin_fixed_stack(self._family, self._raw_params,
                              self._num_members, self.validate_args)

  @staticmethod
  def _zero_mode_and_sign(field):
    """`u = sqrt(V) M`, its sign `+-1` and `sqrt(V)`, in the field's dtype."""
    root_v = tf.sqrt(tf.cast(tf.reduce_prod(tf.shape(field)[-2:]),
                             field.dtype))
    u = tf.reduce_mean(field, axis=[-2, -1]) * root_v
    sign = tf.where(u < 0., -tf.ones_like(u), tf.ones_like(u))
    return u, sign, root_v

  def _forward(self, x):
    u, sign, root_v = self._zero_mode_and_sign(x)
    moved = sign * self.magnitude_map().forward(sign * u)
    return x + ((moved - u) / root_v)[..., tf.newaxis, tf.newaxis]

  def _inverse(self, y):
    moved, sign, root_v = self._zero_mode_and_sign(y)
    u = sign * self.magnitude_map().inverse(sign * moved)
    return y + ((u - moved) / root_v)[..., tf.newaxis, tf.newaxis]

  def _forward_log_det_jacobian(self, x):
    u, sign, _ = self._zero_mode_and_sign(x)
    return self.magnitude_map().forward_log_det_jacobian(sign * u, 0)

  def _inverse_log_det_jacobian(self, y):
    moved, sign, _ = self._zero_mode_and_sign(y)
    return self.magnitude_map().inverse_log_det_jacobian(sign * moved, 0)

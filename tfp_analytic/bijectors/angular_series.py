"""Raw parameters as learned linear series in angular basis functions."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import _seeds
from tfp_analytic.bijectors.conditional_radial import ConditionalRadial
from tfp_analytic.bijectors.stack import spread_raw_init

__all__ = ['AngularSeries']


class AngularSeries(tf.Module):
  """`q(u) = C b(u)`: outputs linear in the basis functions `b` of a direction.

  The coefficient matrix `C` (shape `[num_outputs, num_basis]`) is a
  `tf.Variable` learned directly (docs/math.md#fourierradial); `basis_fn` maps
  unit vectors `[..., d]` to `[..., num_basis]` basis values (Fourier modes for
  `d = 2`, spherical harmonics for `d = 3`). Used as the `raw_fn` of a
  `ConditionalRadial`.

  #### Example

  ```python
  import functools
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  basis = functools.partial(tfab.fourier_basis, num_modes=2)
  series = tfab.AngularSeries(basis, tf.zeros([10, 5]))
  series(tf.constant([[0., 1.]]))  # ==> [[0.] * 10]
  ```
  """

  def __init__(self, basis_fn, coefficients, name='angular_series'):
    """Builds the series.

    Args:
      basis_fn: callable from unit vectors `[..., d]` to `[..., num_basis]`.
      coefficients: float `Tensor` or `tf.Variable` of shape
        `[num_outputs, num_basis]`, the initial coefficients (a `tf.Variable`
        is used as is).
      name: Python `str`, the module name.
    """
    super().__init__(name=name)
    self._basis_fn = basis_fn
    with self.name_scope:
      self._coefficients = (
          coefficients if isinstance(coefficients, tf.Variable)
          else tf.Variable(coefficients, name='coefficients'))

  @property
  def coefficients(self):
    """The `tf.Variable` `C`, shape `[num_outputs, num_basis]`."""
    return self._coefficients

  def basis(self, direction):
    """The basis functions at `direction`, shape `[..., num_basis]`."""
    return self._basis_fn(direction)

  def __call__(self, direction):
    """`C b(direction)`, shape `[..., num_outputs]`."""
    return series_at(self._basis_fn, self.coefficients, direction)


def series_at(basis_fn, coefficients, direction):
  """`C b(u)`: coefficients `[num_outputs, num_basis]` at unit vectors `u`.

  Returns:
    `Tensor` of shape `[..., num_outputs]` for `direction` `[..., d]`.
  """
  coefficients = tf.convert_to_tensor(coefficients)
  basis = basis_fn(tf.convert_to_tensor(direction, coefficients.dtype))
  return tf.einsum('...b,ob->...o', basis, coefficients)


def near_identity_coefficients(family, num_members, num_basis, dtype, seed):
  """Initial coefficients: a spread near-identity stack, angle-independent.

  The constant basis function (index 0) gets the raw numbers of
  `spread_raw_init` (locs `~ N(0, 1)`, other raws `~ N(0, 0.01^2)`); every
  other coefficient starts at `N(0, 0.01^2)`, so the flow starts near the
  identity and nearly independent of the angle.

  Args:
    family: an analytic bijector class.
    num_members: Python `int`.
    num_basis: Python `int`, the number of basis functions.
    dtype: float `tf.DType`.
    seed: stateless seed, Python `int`, or `None`.

  Returns:
    `Tensor` of shape `[num_members * family.num_raw_params, num_basis]`.
  """
  constant_seed, angular_seed = tfp.random.split_seed(
      _seeds.stateless_seed(seed))
  constant = spread_raw_init(family, num_members, constant_seed, dtype=dtype)
  angular = 0.01 * tf.random.stateless_normal(
      [num_members * family.num_raw_params, num_basis - 1],
      seed=angular_seed, dtype=dtype)
  return tf.concat([constant[:, tf.newaxis], angular], axis=-1)


def _location_variable(value, dim, dtype, name):
  """A `tf.Variable` of shape `[dim]` (zeros when `value` is `None`)."""
  if isinstance(value, tf.Variable):
    return value
  value = tf.zeros([dim], dtype) if value is None else value
  value = tf.convert_to_tensor(value, dtype)
  if value.shape != [dim]:
    raise ValueError(f'`{name}` must have shape [{dim}]; got {value.shape}')
  return tf.Variable(value, name=name)


class SeriesRadial(ConditionalRadial):
  """A `ConditionalRadial` that owns its variables: `AngularSeries` + location.

  The trainable variables (series coefficients, `center`, `log_scale`) live in
  the bijector, which is a `tf.Module`: `trainable_variables` lists them and
  `tf.train.Checkpoint` saves them. Subclasses pass their basis.
  """

  def __init__(self, basis_fn, num_basis, dim, family, num_members, center,
               log_scale, dtype, seed, validate_args, parameters, name):
    with tf.name_scope(name):
      series = AngularSeries(
          basis_fn,
          near_identity_coefficients(family, num_members, num_basis, dtype,
                                     seed))
      center = _location_variable(center, dim, dtype, 'center')
      log_scale = _location_variable(log_scale, dim, dtype, 'log_scale')
    super().__init__(family, series, center, log_scale,
                     num_members=num_members, validate_args=validate_args,
                     parameters=parameters, name=name)

  @property
  def coefficients(self):
    """The coefficient `tf.Variable`, shape `[num_members * P, num_basis]`.

    Row `k * P + j` holds raw number `j` (in `family.raw_param_names` order)
    of member `k`; column `i` multiplies basis function `i`.
    """
    return self.raw_fn.coefficients

  def coefficients_by_param(self):
    """The coefficients per raw number, for plots.

    Returns:
      dict from each name in `family.raw_param_names` to a `Tensor` of shape
      `[num_members, num_basis]`.
    """
    per_member = tf.reshape(
        tf.convert_to_tensor(self.coefficients),
        [self.num_members, self.family.num_raw_params, -1])
    return {name: per_member[:, j, :]
            for j, name in enumerate(self.family.raw_param_names)}

  def raw_params_at(self, direction):
    """Raw numbers at unit vectors: `[..., d]` to `[..., num_members * P]`."""
    return self.raw_fn(direction)

  def params_at(self, direction):
    """Valid parameters of every member at the unit vectors `direction`.

    Args:
      direction: float `Tensor` of unit vectors, shape `[..., d]`.

    Returns:
      dict from each constructor parameter of `family` to a `Tensor` of shape
      `[..., num_members]`.
    """
    raw = self.raw_params_at(direction)
    raw = tf.reshape(raw, tf.concat(
        [tf.shape(raw)[:-1], [self.num_members, self.family.num_raw_params]],
        axis=0))
    return self.family.params_from_raw(raw)

"""FourierScaling: a learnable scaling of each Fourier mode of a field."""

import tensorflow as tf

from tfp_analytic.bijectors._base import VariableBijector
from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.lattice.momenta import momentum_orbits

__all__ = ['FourierScaling']


class FourierScaling(VariableBijector):
  """Scales each Fourier mode of a lattice field by a learnable factor.

  docs/math.md#lattice: `y = IFFT(exp(s(k)) FFT(phi))` over the last two axes,
  with one learnable log-scale per orbit of momenta under the lattice symmetries
  (`momentum_orbits`), so the map stays real. In the orthonormal Fourier basis
  it is diagonal, hence

    log|det J| = sum over all momenta k of s(k) = sum_orbits |orbit| s_orbit,

  independent of `phi` (`is_constant_jacobian`), and the inverse scales by
  `exp(-s(k))`. The log-scales start at 0 (the identity) and are a
  `tf.Variable` of the bijector, so `trainable_variables` and checkpoints see
  them. Events are `[L1, L2]` fields; float64 runs through complex128.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  scaling = tfab.FourierScaling([4, 4])
  scaling.log_scales.assign(tf.linspace(-0.5, 0.5, scaling.num_orbits))
  phi = tf.random.stateless_normal([3, 4, 4], seed=(1, 2))
  y = scaling.forward(phi)
  scaling.inverse(tf.identity(y))  # ==> phi
  scaling.forward_log_det_jacobian(phi, event_ndims=2)  # a scalar
  ```
  """

  def __init__(self, lattice_shape, dtype=tf.float32, validate_args=False,
               name='fourier_scaling'):
    """Builds the scaling and its variable.

    Args:
      lattice_shape: `(L1, L2)`, Python ints `>= 1`.
      dtype: float `tf.DType` of the field and the variable.
      validate_args: Python `bool`.
      name: Python `str`, the name of the bijector.

    Raises:
      ValueError: if `lattice_shape` is not two positive ints.
    """
    parameters = dict(locals())
    lattice_shape = tuple(int(n) for n in lattice_shape)
    if len(lattice_shape) != 2 or min(lattice_shape) < 1:
      raise ValueError(
          f'`lattice_shape` must be two positive ints; got {lattice_shape}')
    with tf.name_scope(name) as name:
      self._lattice_shape = lattice_shape
      orbit_index, orbit_sizes = momentum_orbits(lattice_shape)
      self._orbit_index = orbit_index
      self._orbit_sizes = orbit_sizes
      self._log_scales = tf.Variable(
          tf.zeros([len(orbit_sizes)], dtype), name='log_scales')
      super().__init__(parameters, 2, dtype, name, is_constant_jacobian=True)

  lattice_shape = stored_property('lattice_shape', '`(L1, L2)`.')

  @property
  def log_scales(self):
    """The `tf.Variable` of log-scales, one per orbit, shape `[num_orbits]`."""
    return self._log_scales

  @property
  def num_orbits(self):
    """The number of orbits of momenta (learnable numbers)."""
    return len(self._orbit_sizes)

  @property
  def orbit_index(self):
    """The orbit of each momentum, int NumPy array of shape `[L1, L2]`."""
    return self._orbit_index

  orbit_sizes = stored_property(
      'orbit_sizes', 'The number of momenta in each orbit, int NumPy array.')

  def log_scale_grid(self):
    """`s(k)` for every momentum, `Tensor` of shape `[L1, L2]` (FFT order)."""
    return tf.gather(self.log_scales, self._orbit_index)

  def _scale_modes(self, phi, sign):
    # tf.complex rather than tf.cast: the gradient of a real-to-complex cast
    # casts back and warns that it drops the imaginary part.
    factor = tf.exp(sign * self.log_scale_grid())
    factor = tf.complex(factor, tf.zeros_like(factor))
    modes = tf.signal.fft2d(tf.complex(phi, tf.zeros_like(phi)))
    # The scaled modes keep the Hermitian symmetry, so the imaginary part is
    # rounding error only.
    return tf.math.real(tf.signal.ifft2d(factor * modes))

  def _forward(self, x):
    return self._scale_modes(x, 1.)

  def _inverse(self, y):
    return self._scale_modes(y, -1.)

  def _forward_log_det_jacobian(self, x):
    return tf.reduce_sum(
        tf.constant(self._orbit_sizes, self.dtype) * self.log_scales)

  def _inverse_log_det_jacobian(self, y):
    return -self._forward_log_det_jacobian(y)

"""RadialChain: K radial flows about distinct centers, in one loop."""

import functools

import tensorflow as tf

from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.angular_series import series_at
from tfp_analytic.bijectors.conditional_radial import ConditionalRadial
from tfp_analytic.bijectors.fourier_radial import fourier_basis
from tfp_analytic.bijectors.loop import LoopBijector
from tfp_analytic.bijectors.loop import apply_in_loop
from tfp_analytic.bijectors.radial import RadialFlow

__all__ = ['RadialChain']


class RadialChain(LoopBijector):
  """`K` radial flows applied in sequence, in one pass (`LoopBijector`).

  Layer k is `RadialFlow.from_raw(family, raw[k], center[k], log_scale[k],
  num_members)` (docs/math.md#radial-flows) and layer 0 acts first, so the chain
  equals `tfb.Chain([layer_{K-1}, ..., layer_0])`; the log-det is the sum of the
  layers'. As with `Stack`, the loop body is traced and compiled once, so XLA
  compiles a many-center flow in far less time and memory than the unrolled
  chain; the unrolled chain steps faster once compiled, so it remains the
  choice for a few centers (benchmarks/README.md).

  With `num_modes = M` (d = 2) the layers are angular: layer k is the
  `ConditionalRadial` whose raw numbers are Fourier series of the angle, as in
  `FourierRadial`, with coefficients `reshape(raw[k], [P, 2M + 1])` (columns
  in the order of `fourier_basis`, `P = num_members *
  family.num_raw_params`).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  family = tfab.CubicConjugation
  raw = 0.1 * tf.random.stateless_normal([3, 2 * family.num_raw_params],
                                         seed=(0, 1))
  centers = tf.constant([[0., 0.], [1., 0.], [0., -1.]])
  chain = tfab.RadialChain(family, raw, centers, tf.zeros([3, 2]))
  x = tf.random.stateless_normal([5, 2], seed=(2, 3))
  y = x
  for k in range(3):
    y = tfab.RadialFlow.from_raw(family, raw[k], centers[k],
                                 tf.zeros([2])).forward(y)
  bool(tf.reduce_max(tf.abs(chain.forward(x) - y)) < 1e-5)  # ==> True
  # Angular layers, M = 2: raw 0 is the identity.
  angular = tfab.RadialChain(
      family, tf.zeros([3, 2 * family.num_raw_params * 5]), centers,
      tf.zeros([3, 2]), num_modes=2)
  bool(tf.reduce_max(tf.abs(angular.forward(x) - x)) < 1e-5)  # ==> True
  ```
  """

  def __init__(self, family, raw, center, log_scale, num_members=None,
               num_modes=None, validate_args=False, name='radial_chain'):
    """Builds the chain.

    Args:
      family: an analytic bijector class (`CubicConjugation`, ...).
      raw: float `Tensor` `[K, num_members * family.num_raw_params]`, the raw
        numbers of each layer's OriginFixed stack; with `num_modes = M`,
        `[K, num_members * family.num_raw_params * (2 M + 1)]`, each row the
        layer's Fourier coefficients, flattened.
      center: float `Tensor` `[K, d]`, the centers.
      log_scale: float `Tensor` `[K, d]`, the per-axis log scalings.
      num_members: Python `int`; inferred from the last axis of `raw` when
        `None`.
      num_modes: Python `int` `M >= 0` for angular layers (d = 2), the
        highest harmonic; `None` for angle-free layers.
      validate_args: Python `bool`, passed to every layer.
      name: Python `str`.

    Raises:
      ValueError: if the leading axes of `raw`, `center` and `log_scale` are
        not one static `K`, or, with `num_modes`, if `d != 2` or the last
        axis of `raw` does not fit.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = tf.float32 if not hasattr(center, 'dtype') else center.dtype
      self._raw = tensor_util.convert_nonref_to_tensor(raw, dtype=dtype)
      self._center = tensor_util.convert_nonref_to_tensor(center, dtype=dtype)
      self._log_scale = tensor_util.convert_nonref_to_tensor(
          log_scale, dtype=dtype)
      sizes = {tf.compat.dimension_value(t.shape[0])
               for t in (self._raw, self._center, self._log_scale)}
      if len(sizes) != 1 or None in sizes:
        raise ValueError('`raw`, `center` and `log_scale` need one static '
                         f'number of layers on their first axis; got {sizes}')
      self._num_layers = sizes.pop()
      self._family = family
      self._num_modes = num_modes
      self._num_members = (num_members if num_modes is None else
                           _angular_members(family, self._raw, self._center,
                                            num_members, num_modes))
      super().__init__(parameters, 1, dtype, name)

  def _get_parameterization(self):
    # TFP's bijector cache keys results by the input and this value. Its
    # default, `self.parameters`, holds the variables themselves, so a cached
    # log-det outlived an optimizer step (`log_prob(x)` of one `x` before
    # and after training mixed old and new values). The current values
    # (new tensors at every call) make every call its own entry.
    return {k: tf.convert_to_tensor(v) if tensor_util.is_ref(v) else v
            for k, v in self.parameters.items()}

  @classmethod
  def _parameter_properties(cls, dtype):
    # The layer axis is not a batch axis: every parameter's event is whole.
    return dict(
        raw=parameter_properties.ParameterProperties(event_ndims=2),
        center=parameter_properties.ParameterProperties(event_ndims=2),
        log_scale=parameter_properties.ParameterProperties(event_ndims=2))

  family = stored_property(
      'family', "The analytic family of every layer's radial stack.")
  raw = stored_property(
      'raw', 'The raw numbers, `[K, num_members * family.num_raw_params]`.')
  center = stored_property('center', 'The centers, `[K, d]`.')
  log_scale = stored_property(
      'log_scale', 'The per-axis log scalings, `[K, d]`.')
  num_layers = stored_property('num_layers', '`K`, the number of radial flows.')
  num_modes = stored_property(
      'num_modes', 'The highest harmonic `M` of angular layers, or `None`.')

  def layer(self, k):
    """The bijector of layer `k` (a Python or scalar `Tensor` index).

    A `RadialFlow`, or with `num_modes` a `ConditionalRadial`.
    """
    raw, center, log_scale = (
        tf.gather(tf.convert_to_tensor(t), k)
        for t in (self._raw, self._center, self._log_scale))
    name = f'radial_{k}' if isinstance(k, int) else 'radial'
    if self._num_modes is None:
      return RadialFlow.from_raw(self._family, raw, center, log_scale,
                                 self._num_members,
                                 validate_args=self.validate_args, name=name)
    series = functools.partial(
        series_at, functools.partial(fourier_basis, num_modes=self._num_modes),
        tf.reshape(raw, [-1, 2 * self._num_modes + 1]))
    return ConditionalRadial(self._family, series, center, log_scale,
                             num_members=self._num_members,
                             validate_args=self.validate_args, name=name)

  def _run(self, x, inverse):
    """`x` through every layer (last first if `inverse`), and the log-det."""
    return apply_in_loop(self.layer, self._num_layers, x, 1, inverse)


def _angular_members(family, raw, center, num_members, num_modes):
  """The members of angular layers, checked against the shapes."""
  if num_modes < 0:
    raise ValueError(f'`num_modes` must be >= 0; got {num_modes}')
  if tf.compat.dimension_value(center.shape[-1]) != 2:
    raise ValueError(f'angular layers (`num_modes`) need d = 2; `center` has '
                     f'shape {center.shape}')
  size = tf.compat.dimension_value(raw.shape[-1])
  per_member = family.num_raw_params * (2 * num_modes + 1)
  inferred = None if size is None else size // per_member
  if size is None or size % per_member or (num_members or inferred) != (
      inferred):
    raise ValueError(
        f'`raw` needs num_members * {family.num_raw_params} * (2 * '
        f'{num_modes} + 1) numbers per layer; got {size} '
        f'(num_members={num_members})')
  return inferred

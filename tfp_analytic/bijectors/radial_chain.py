"""RadialChain: K angle-free radial flows about distinct centers, in a loop."""

import tensorflow as tf

from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._base import stored_property
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
  ```
  """

  def __init__(self, family, raw, center, log_scale, num_members=None,
               validate_args=False, name='radial_chain'):
    """Builds the chain.

    Args:
      family: an analytic bijector class (`CubicConjugation`, ...).
      raw: float `Tensor` `[K, num_members * family.num_raw_params]`, the raw
        numbers of each layer's OriginFixed stack.
      center: float `Tensor` `[K, d]`, the centers.
      log_scale: float `Tensor` `[K, d]`, the per-axis log scalings.
      num_members: Python `int`; inferred from the last axis of `raw` when
        `None`.
      validate_args: Python `bool`, passed to every layer.
      name: Python `str`.

    Raises:
      ValueError: if the leading axes of `raw`, `center` and `log_scale` are
        not one static `K`.
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
      self._num_members = num_members
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

  def layer(self, k):
    """The `RadialFlow` of layer `k` (a Python or scalar `Tensor` index)."""
    return RadialFlow.from_raw(
        self._family, tf.gather(tf.convert_to_tensor(self._raw), k),
        tf.gather(tf.convert_to_tensor(self._center), k),
        tf.gather(tf.convert_to_tensor(self._log_scale), k),
        self._num_members, validate_args=self.validate_args,
        name=f'radial_{k}' if isinstance(k, int) else 'radial')

  def _run(self, x, inverse):
    """`x` through every layer (last first if `inverse`), and the log-det."""
    return apply_in_loop(self.layer, self._num_layers, x, 1, inverse)

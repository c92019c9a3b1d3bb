"""CouplingLayer: a `tfb.RealNVP` running its conditioner once a direction."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic.bijectors._cache import FreshAttrsCache
from tfp_analytic.bijectors._repr import ImportablePathRepr

__all__ = ['CouplingLayer']

tfb = tfp.bijectors


class CouplingLayer(ImportablePathRepr, tfb.RealNVP):
  """`tfb.RealNVP` that evaluates its conditioner once per direction.

  TFP's `RealNVP` calls `bijector_fn` separately for the map and for its
  log-det, so `log_prob` and `sample_and_log_prob` run every conditioner
  twice. Here the map returns its log-det as a greedy cache attribute (the
  pattern of `tfb.FFJORD`), and the log-det call reads it from the cache.
  The arguments are `tfb.RealNVP`'s, and `event_size`: the input depth,
  optional. `RealNVP` memoizes the depth of its first input, so a first call
  of the wrong size would break every later one; with `event_size` set, and
  after the first call without it, an input of another depth raises a
  `ValueError` before anything runs.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.flows import coupling, networks, transforms
  t = transforms.get_transform('affine')
  layer = tfab.CouplingLayer(
      num_masked=1, bijector_fn=coupling.CouplingConditioner(
          networks.dense_network(1, 2 * t.num_raw_params, (8,)), t))
  layer.forward(tf.ones([4, 3]))  # ==> tf.ones([4, 3])
  ```
  """

  _cache = FreshAttrsCache(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, *args, event_size=None, **kwargs):
    super().__init__(*args, **kwargs)
    if event_size is not None:
      self._cache_input_depth(tf.TensorSpec([event_size]))

  def _cache_input_depth(self, x):
    depth = tf.compat.dimension_value(tf.TensorShape(x.shape)[-1])
    if self._input_depth is not None and depth not in (None,
                                                       self._input_depth):
      raise ValueError(f'{self.name}: expected inputs of shape '
                       f'[..., {self._input_depth}], got [..., {depth}]')
    super()._cache_input_depth(x)

  def _split(self, z):
    self._cache_input_depth(z)
    head, tail = z[..., :self._masked_size], z[..., self._masked_size:]
    # RealNVP conditions on the head, or on the tail when `num_masked < 0`.
    return (tail, head) if self._reverse_mask else (head, tail)

  def _join(self, passive, active):
    parts = [active, passive] if self._reverse_mask else [passive, active]
    return tf.concat(parts, axis=-1)

  def _augmented_forward(self, x, **condition_kwargs):
    passive, active = self._split(x)
    bijector = self._bijector_fn(passive, self._bijector_input_units(),
                                 **condition_kwargs)
    fldj = bijector.forward_log_det_jacobian(active, event_ndims=1)
    return (self._join(passive, _like(bijector.forward(active), active)),
            {'fldj': fldj, 'ildj': -fldj})

  def _augmented_inverse(self, y, **condition_kwargs):
    passive, active = self._split(y)
    bijector = self._bijector_fn(passive, self._bijector_input_units(),
                                 **condition_kwargs)
    ildj = bijector.inverse_log_det_jacobian(active, event_ndims=1)
    return (self._join(passive, _like(bijector.inverse(active), active)),
            {'ildj': ildj, 'fldj': -ildj})

  def _forward(self, x, **condition_kwargs):
    return self._augmented_forward(x, **condition_kwargs)[0]

  def _inverse(self, y, **condition_kwargs):
    return self._augmented_inverse(y, **condition_kwargs)[0]


def _like(values, active):
  """`values` with the static shape of the `active` half it was mapped from.

  `tfb.RationalQuadraticSpline` loses static dimensions when the batch axis
  is unknown (Keras `fit`, SavedModel signatures); the next layer's split
  needs the last one.
  """
  if not tf.executing_eagerly():
    values.set_shape(active.shape)
  return values

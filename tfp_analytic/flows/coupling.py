"""Real NVP style coupling flows with analytic (or baseline) transforms."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic.bijectors._repr import ImportablePathRepr
from tfp_analytic.flows import _common
from tfp_analytic.flows import networks
from tfp_analytic.flows import transforms

tfb = tfp.bijectors

__all__ = ['CouplingConditioner', 'CouplingLayer', 'coupling_flow',
           'coupling_layers']


class CouplingConditioner(tf.Module):
  """`bijector_fn` for `tfb.RealNVP`: passive coordinates -> a transform.

  Holds the network (a `tf.Module`, so the flow tracks its variables) and
  builds `transform.from_raw(network(x0))` for the active coordinates.

  Args:
    network: callable from `[batch, num_passive]` to
      `[batch, num_active * transform.num_raw_params]`.
    transform: a `transforms.Transform`.
    name: optional module name.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import coupling, networks, transforms
  t = transforms.get_transform('sinh_conjugation', num_members=2)
  net = networks.dense_network(1, t.num_raw_params, hidden_units=(8,))
  conditioner = coupling.CouplingConditioner(net, t)
  bijector = conditioner(tf.ones([5, 1]), 1)
  bijector.forward(tf.ones([5, 1]))  # ==> tf.ones([5, 1])
  ```
  """

  def __init__(self, network, transform, name=None):
    super().__init__(name=name)
    self.network = network
    self._transform = transform

  def __call__(self, x0, output_units, **condition_kwargs):
    del condition_kwargs  # Unconditional flows.
    raw = _common.apply_flat(self.network, x0, event_rank=1)
    raw = tf.reshape(raw, tf.concat(
        [tf.shape(raw)[:-1], [output_units, self._transform.num_raw_params]],
        axis=0))
    return self._transform.from_raw(raw)


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
  from tfp_analytic.flows import coupling, networks, transforms
  t = transforms.get_transform('affine')
  layer = coupling.CouplingLayer(
      num_masked=1, bijector_fn=coupling.CouplingConditioner(
          networks.dense_network(1, 2 * t.num_raw_params, (8,)), t))
  layer.forward(tf.ones([4, 3]))  # ==> tf.ones([4, 3])
  ```
  """

  _cache = _common.FreshAttrsCache(
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


def coupling_layers(event_size, transform='cubic_rational', num_members=4,
                    num_layers=12, hidden_units=(128, 128), activation='gelu',
                    residual=False, dtype=tf.float32):
  """The coupling bijectors of `coupling_flow`, in the order they act.

  Layer k conditions on one half of the coordinates and transforms the other;
  the halves swap from one layer to the next (`num_masked` changes sign), so
  no permutation is needed.

  Args:
    event_size: Python `int >= 2`.
    transform: a name accepted by `transforms.get_transform`, or a
      `Transform`.
    num_members: Python `int`, members of each analytic stack.
    num_layers: Python `int`.
    hidden_units: hidden widths of each conditioner.
    activation: a `tf_keras` activation.
    residual: Python `bool`, ResNet conditioners instead of MLPs.
    dtype: float dtype of the networks.

  Returns:
    list of `num_layers` bijectors (event_ndims 1), starting at the identity.

  #### Example

  ```python
  import tensorflow_probability as tfp
  from tfp_analytic.flows import coupling
  layers = coupling.coupling_layers(3, 'spline', num_layers=2,
                                    hidden_units=(8,))
  chain = tfp.bijectors.Chain(layers[::-1])  # layers[0] acts first
  ```
  """
  _common.check_size('event_size', event_size, 2)
  _common.check_size('num_layers', num_layers)
  _common.check_size('num_members', num_members)
  _common.check_sizes('hidden_units', hidden_units)
  transform = transforms.get_transform(transform, num_members)
  first_half = event_size // 2
  layers = []
  for k in range(num_layers):
    # Even layers condition on the first half, odd layers on the second.
    num_passive = first_half if k % 2 == 0 else event_size - first_half
    network = networks.dense_network(
        num_passive, (event_size - num_passive) * transform.num_raw_params,
        hidden_units=hidden_units, activation=activation, residual=residual,
        output_bias=transforms.output_bias(transform,
                                           event_size - num_passive),
        dtype=dtype, name=f'coupling_net_{k}')
    layers.append(CouplingLayer(
        num_masked=num_passive if k % 2 == 0 else -num_passive,
        bijector_fn=CouplingConditioner(network, transform),
        event_size=event_size, name=f'coupling_{k}'))
  return layers


def coupling_flow(event_size, transform='cubic_rational', num_members=4,
                  num_layers=12, hidden_units=(128, 128), activation='gelu',
                  residual=False, dtype=tf.float32, name='coupling_flow'):
  """A Real NVP style flow from `N(0, I)` with per-coordinate transforms.

  Each layer maps the active half of the coordinates through `transform`
  (e.g. a stack of `num_members` analytic bijections), with raw parameters
  from a dense conditioner on the passive half
  (docs/math.md#coupling-and-autoregressive-flows). The conditioners' output
  layers start at zero, so the flow starts at the identity: `log_prob` equals
  the standard normal's.

  Args:
    event_size: Python `int >= 2`, the dimension.
    transform: `'cubic_rational'`, `'sinh_conjugation'`,
      `'cubic_conjugation'`, `'affine'`, `'spline'`, names joined by `'+'`,
      an analytic family class (`tfab.CubicRational`) or a
      `transforms.Transform`.
    num_members: Python `int`, bijections per analytic stack.
    num_layers: Python `int`, coupling layers.
    hidden_units: hidden widths of each conditioner.
    activation: a `tf_keras` activation.
    residual: Python `bool`, ResNet conditioners (equal widths) instead of
      MLPs.
    dtype: `tf.float32` or `tf.float64`, of the base and the networks.
    name: Python `str`.

  Returns:
    A `tfd.TransformedDistribution` with event shape `[event_size]`.

  #### Example

  ```python
  from tfp_analytic import flows
  flow = flows.coupling_flow(2, transform='cubic_conjugation', num_members=3,
                             num_layers=4, hidden_units=(32, 32))
  x = flow.sample(5, seed=(0, 1))
  flow.log_prob(x) - flow.distribution.log_prob(x)  # ==> [0.] * 5
  ```
  """
  layers = coupling_layers(
      event_size, transform=transform, num_members=num_members,
      num_layers=num_layers, hidden_units=hidden_units,
      activation=activation, residual=residual, dtype=dtype)
  return _common.make_flow(layers, [event_size], dtype, name)

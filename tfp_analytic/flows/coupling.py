"""Real NVP style coupling flows with analytic (or baseline) transforms."""

import functools

import tensorflow as tf

from tfp_analytic.bijectors.coupling_layer import CouplingLayer
from tfp_analytic.flows import _common
from tfp_analytic.flows import conditional
from tfp_analytic.flows import networks
from tfp_analytic.flows import transforms

__all__ = ['CouplingConditioner', 'CouplingLayer', 'coupling_flow',
           'coupling_layers']


class CouplingConditioner(tf.Module):
  """`bijector_fn` for `tfb.RealNVP`: passive coordinates -> a transform.

  Holds the network (a `tf.Module`, so the flow tracks its variables) and
  builds `transform.from_raw(network(x0))` for the active coordinates. With a
  `conditional_input` (a context `[..., context_size]`, as `tfb.RealNVP`
  passes it on from its `condition_kwargs`), the network sees
  `[x0, context]`.

  Args:
    network: callable from `[batch, num_passive]` (or `[batch, num_passive +
      context_size]`) to `[batch, num_active * transform.num_raw_params]`.
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

  def __call__(self, x0, output_units, conditional_input=None):
    if conditional_input is not None:
      x0 = tf.concat(_common.broadcast_batch(x0, conditional_input), axis=-1)
    raw = _common.apply_flat(self.network, x0, event_rank=1)
    raw = tf.reshape(raw, tf.concat(
        [tf.shape(raw)[:-1], [output_units, self._transform.num_raw_params]],
        axis=0))
    return self._transform.from_raw(raw)


def coupling_layers(event_size, transform='cubic_rational', num_members=4,
                    num_layers=12, hidden_units=(128, 128), activation='gelu',
                    residual=False, dtype=tf.float32, context_size=None):
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
    context_size: `None`, or Python `int`: the conditioners then also see a
      context of this size, and the layers are `conditional.ContextLayer`s.

  Returns:
    list of `num_layers` bijectors (event_ndims 1), or of `ContextLayer`s
    with `context_size`, starting at the identity.

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
  conditional.check_context_size(context_size)
  transform = transforms.get_transform(transform, num_members)
  first_half = event_size // 2
  layers = []
  for k in range(num_layers):
    # Even layers condition on the first half, odd layers on the second.
    num_passive = first_half if k % 2 == 0 else event_size - first_half
    network = networks.dense_network(
        num_passive + (context_size or 0),
        (event_size - num_passive) * transform.num_raw_params,
        hidden_units=hidden_units, activation=activation, residual=residual,
        output_bias=transforms.output_bias(transform,
                                           event_size - num_passive),
        dtype=dtype, name=f'coupling_net_{k}')
    layers.append(conditional.layer(
        CouplingConditioner(network, transform),
        functools.partial(
            CouplingLayer,
            num_masked=num_passive if k % 2 == 0 else -num_passive,
            event_size=event_size, name=f'coupling_{k}'),
        context_size))
  return layers


def coupling_flow(event_size, transform='cubic_rational', num_members=4,
                  num_layers=12, hidden_units=(128, 128), activation='gelu',
                  residual=False, dtype=tf.float32, name='coupling_flow',
                  context_size=None):
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
    context_size: `None`, or Python `int`: a conditional flow whose
      conditioners see `[passive, context]` (docs/math.md#conditional-flows).

  Returns:
    A `tfd.TransformedDistribution` with event shape `[event_size]`, or with
    `context_size` a `conditional.ConditionalFlow`.

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
      activation=activation, residual=residual, dtype=dtype,
      context_size=context_size)
  return conditional.make_flow(layers, [event_size], dtype, name,
                               context_size)

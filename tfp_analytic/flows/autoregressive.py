"""Masked autoregressive (MAF) and inverse autoregressive (IAF) flows."""

import functools

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic.bijectors.autoregressive_layer import AutoregressiveLayer
from tfp_analytic.flows import _common
from tfp_analytic.flows import conditional
from tfp_analytic.flows import networks
from tfp_analytic.flows import transforms

tfb = tfp.bijectors

__all__ = ['AutoregressiveConditioner', 'autoregressive_flow']


class AutoregressiveConditioner(tf.Module):
  """`bijector_fn` for `tfb.MaskedAutoregressiveFlow`.

  Turns the `[..., d, num_raw_params]` output of a MADE into
  `transform.from_raw(...)`; holds the network so its variables are tracked.
  A `conditional_input` (a context, as `tfb.MaskedAutoregressiveFlow` passes
  it on) goes to the MADE, broadcast with `y`.

  Args:
    network: a `tfb.AutoregressiveNetwork` with `params =
      transform.num_raw_params` (and `conditional=True` for a context).
    transform: a `transforms.Transform`.
    name: optional module name.

  #### Example

  ```python
  import tensorflow as tf
  import tensorflow_probability as tfp
  from tfp_analytic.flows import autoregressive, networks, transforms
  t = transforms.get_transform('cubic_rational', num_members=2)
  maf = tfp.bijectors.MaskedAutoregressiveFlow(
      bijector_fn=autoregressive.AutoregressiveConditioner(
          networks.made_network(3, t.num_raw_params, (16,)), t))
  maf.forward(tf.ones([2, 3]))  # ==> tf.ones([2, 3])
  ```
  """

  def __init__(self, network, transform, name=None):
    super().__init__(name=name)
    self.network = network
    self._transform = transform

  def __call__(self, y, conditional_input=None):
    if conditional_input is None:
      return self._transform.from_raw(self.network(y))
    y, context = _common.broadcast_batch(y, conditional_input)
    return self._transform.from_raw(
        self.network(y, conditional_input=context))


def autoregressive_flow(event_size, transform='cubic_rational', num_members=4,
                        num_layers=12, hidden_units=(128, 128),
                        activation='gelu', inverse=False, dtype=tf.float32,
                        name=None, context_size=None):
  """A masked autoregressive flow (or its inverse) from `N(0, I)`.

  Each layer transforms coordinate i by `transform`, with raw parameters from
  a MADE on the coordinates before it
  (docs/math.md#coupling-and-autoregressive-flows); the order reverses from one
  layer to the next (the MADE's `input_order`, so no permutation is needed). The
  MADE output layers start at zero, so the flow starts at the identity.

  With `inverse=False` (MAF) `log_prob` costs one network pass per layer and
  sampling `event_size` passes; `inverse=True` (IAF) swaps the two, for fast
  sampling and reverse-KL training. The IAF's bijector is exactly the inverse
  of a MAF's with the same weights. Train with a `tf_keras` optimizer (as
  `train.fit_nll`, `train.fit_reverse_kl` and `train.FlowModel` do): TFP's
  MADE keeps its masks through kernel constraints that the optimizer applies.

  Args:
    event_size: Python `int`, the dimension.
    transform: `'cubic_rational'`, `'sinh_conjugation'`,
      `'cubic_conjugation'`, `'affine'`, `'spline'`, names joined by `'+'`,
      an analytic family class (`tfab.CubicRational`) or a
      `transforms.Transform`.
    num_members: Python `int`, bijections per analytic stack.
    num_layers: Python `int`, autoregressive layers.
    hidden_units: hidden widths of each MADE.
    activation: a `tf_keras` activation.
    inverse: Python `bool`, IAF instead of MAF.
    dtype: `tf.float32` or `tf.float64`, of the base and the networks.
    name: Python `str`; defaults to `'maf'` or `'iaf'`.
    context_size: `None`, or Python `int`: a conditional flow whose MADEs
      also see the context (docs/math.md#conditional-flows).

  Returns:
    A `tfd.TransformedDistribution` with event shape `[event_size]`, or with
    `context_size` a `conditional.ConditionalFlow`.

  #### Example

  ```python
  from tfp_analytic import flows
  iaf = flows.autoregressive_flow(3, transform='sinh_conjugation',
                                  num_members=2, num_layers=2,
                                  hidden_units=(32,), inverse=True)
  x, log_q = iaf.experimental_sample_and_log_prob(100, seed=(0, 1))
  ```
  """
  _common.check_size('event_size', event_size)
  _common.check_size('num_layers', num_layers)
  _common.check_size('num_members', num_members)
  _common.check_sizes('hidden_units', hidden_units)
  conditional.check_context_size(context_size)
  transform = transforms.get_transform(transform, num_members)
  layers = []
  for k in range(num_layers):
    network = networks.made_network(
        event_size, transform.num_raw_params, hidden_units=hidden_units,
        activation=activation,
        input_order='left-to-right' if k % 2 == 0 else 'right-to-left',
        output_bias=transforms.output_bias(transform, event_size),
        context_size=context_size, dtype=dtype, name=f'made_{k}')
    layers.append(conditional.layer(
        AutoregressiveConditioner(network, transform),
        functools.partial(AutoregressiveLayer, name=f'autoregressive_{k}'),
        context_size))
  if inverse and context_size is None:
    layers = [tfb.Invert(tfb.Chain(layers[::-1]), name='iaf')]
  elif inverse:
    # The same inverse, layer by layer: the last MAF layer's inverse first.
    layers = [conditional.Inverted(layer) for layer in layers[::-1]]
  name = name or ('iaf' if inverse else 'maf')
  return conditional.make_flow(layers, [event_size], dtype, name,
                               context_size)

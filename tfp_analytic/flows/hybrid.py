"""Radial layers followed by coupling layers (beyond the paper)."""

import tensorflow as tf

from tfp_analytic.flows import _common
from tfp_analytic.flows.coupling import coupling_layers
from tfp_analytic.flows.radial import radial_layers

__all__ = ['hybrid_flow']


def hybrid_flow(event_size, num_centers=4, radial_transform='cubic_conjugation',
                radial_members=8, angular=None, num_modes=2,
                transform='cubic_rational', num_members=4, num_layers=6,
                hidden_units=(128, 128), activation='gelu', residual=False,
                dtype=tf.float32, seed=None, name='hybrid_flow'):
  """Radial layers for the coarse shape, then couplings for the detail.

  A sample of `N(0, I)` goes first through `num_centers` radial layers (as
  in `radial_flow`: smooth, global, with few parameters), then through
  `num_layers` coupling layers (as in `coupling_flow`). The radial part can
  move mass between directions and radii cheaply; the couplings add what a
  few centers cannot express. Everything starts at the identity.

  Args:
    event_size: Python `int >= 2`.
    num_centers: Python `int`, radial layers.
    radial_transform: analytic family (name or class) of the radial stacks.
    radial_members: Python `int`, bijections per radial stack.
    angular: `None`, `'fourier'` (d = 2) or `'mlp'`, as in `radial_flow`.
    num_modes: Python `int`, highest harmonic for `angular='fourier'`.
    transform: transform of the couplings, as in `coupling_flow`.
    num_members: Python `int`, bijections per coupling stack.
    num_layers: Python `int`, coupling layers.
    hidden_units: hidden widths of the coupling conditioners and of the
      direction networks of `angular='mlp'`.
    activation: a `tf_keras` activation.
    residual: Python `bool`, ResNet coupling conditioners.
    dtype: `tf.float32` or `tf.float64`.
    seed: Python `int` or `None`, for the radial initialisation.
    name: Python `str`.

  Returns:
    A `tfd.TransformedDistribution` with event shape `[event_size]`.

  #### Example

  ```python
  from tfp_analytic import flows
  flow = flows.hybrid_flow(2, num_centers=2, radial_members=3, num_layers=2,
                           hidden_units=(16, 16), seed=0)
  x = flow.sample(4, seed=(0, 1))
  flow.log_prob(x) - flow.distribution.log_prob(x)  # ==> [0.] * 4
  ```
  """
  layers = radial_layers(
      event_size, num_centers=num_centers, transform=radial_transform,
      num_members=radial_members, angular=angular, num_modes=num_modes,
      hidden_units=hidden_units, activation=activation, dtype=dtype, seed=seed)
  layers += coupling_layers(
      event_size, transform=transform, num_members=num_members,
      num_layers=num_layers, hidden_units=hidden_units, activation=activation,
      residual=residual, dtype=dtype)
  return _common.make_flow(layers, [event_size], dtype, name)

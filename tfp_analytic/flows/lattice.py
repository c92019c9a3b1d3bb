"""Flows for fields on a periodic 2-D lattice (docs/math.md#lattice)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic.bijectors.coupling_layer import CouplingLayer
from tfp_analytic.bijectors.fourier_scaling import FourierScaling
from tfp_analytic.bijectors.zero_mode import ZeroModeBijector
from tfp_analytic.flows import _common
from tfp_analytic.flows import networks
from tfp_analytic.flows import transforms
from tfp_analytic.lattice.masks import sublattices

tfb = tfp.bijectors

__all__ = ['LatticeConditioner', 'lattice_flow']


class LatticeConditioner(tf.Module):
  """`bijector_fn` of a checkerboard coupling on sublattice-ordered fields.

  The coupling layers of `lattice_flow` see the field as a vector with the
  even sites first and the odd sites after, so that TFP's `RealNVP` splits it
  into the two sublattices. This conditioner puts the passive sublattice back
  on the lattice (zeros on the active sites), runs the periodic convolutional
  network, and reads the raw parameters at the active sites.

  Args:
    network: callable from `[batch, L1, L2, 1]` to
      `[batch, L1, L2, transform.num_raw_params]`.
    transform: a `transforms.Transform`.
    lattice_shape: `(L1, L2)`, both even.
    passive_parity: 0 if the even sites condition (they come first), else 1.
    name: optional module name.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import lattice, networks, transforms
  t = transforms.get_transform('affine')
  net = networks.conv_network([4, 4], 1, t.num_raw_params)
  conditioner = lattice.LatticeConditioner(net, t, [4, 4], passive_parity=0)
  bijector = conditioner(tf.ones([3, 8]), 8)
  bijector.forward(tf.ones([3, 8]))  # ==> tf.ones([3, 8])
  ```
  """

  def __init__(self, network, transform, lattice_shape, passive_parity,
               name=None):
    super().__init__(name=name)
    self.network = network
    self._transform = transform
    self._lattice_shape = tuple(lattice_shape)
    self._passive_parity = passive_parity
    even, odd = sublattices(self._lattice_shape)
    order = np.concatenate([even, odd])
    self._lattice_order = np.argsort(order)  # position of each site in order
    self._active_sites = odd if passive_parity == 0 else even

  def __call__(self, x0, output_units, **condition_kwargs):
    del condition_kwargs  # Unconditional flows.
    zeros = tf.zeros_like(x0)
    ordered = tf.concat([x0, zeros] if self._passive_parity == 0 else
                        [zeros, x0], axis=-1)
    field = tf.gather(ordered, self._lattice_order, axis=-1)
    field = tf.reshape(field, tf.concat(
        [tf.shape(field)[:-1], [*self._lattice_shape, 1]], axis=0))
    raw = _common.apply_flat(self.network, field, event_rank=3)
    raw = tf.reshape(raw, tf.concat(
        [tf.shape(raw)[:-3], [-1, self._transform.num_raw_params]], axis=0))
    return self._transform.from_raw(
        tf.gather(raw, self._active_sites, axis=-2))


def lattice_flow(lattice_size, transform='cubic_rational+affine',
                 num_members=8, num_layers=12, hidden_channels=(16, 16),
                 kernel_size=3, activation='leaky_relu', fourier_scaling=True,
                 zero_mode=False, zero_mode_members=8, dtype=tf.float32,
                 seed=None, name='lattice_flow'):
  """A flow for `L1 x L2` periodic fields: scaling, zero mode, couplings.

  Sampling maps `N(0, I)` through (1) `FourierScaling`, a learnable scale per
  orbit of momenta; (2) optionally a `ZeroModeBijector` that reshapes the
  distribution of the mean (for the bimodal phase, docs/experiments.md#phi4);
  (3) `num_layers` checkerboard couplings: each updates one sublattice with
  `transform`, raw parameters from a periodic ConvNet on the other
  sublattice, the parity alternating. The defaults are the paper's: 8
  analytic bijections and an affine map per site, ConvNets of two hidden
  layers of 16 channels with 3x3 kernels. Every piece starts at the identity
  (the zero-mode stack near it).

  The couplings are TFP `RealNVP` layers on the field reordered so that each
  sublattice is contiguous (`LatticeConditioner`), so no new coupling code is
  needed.

  Args:
    lattice_size: Python `int` `L` (an `L x L` lattice) or `(L1, L2)`; even.
    transform: a name accepted by `transforms.get_transform`, or a
      `Transform`.
    num_members: Python `int`, bijections per analytic stack.
    num_layers: Python `int`, coupling layers.
    hidden_channels: channels of the hidden convolutions.
    kernel_size: odd Python `int`.
    activation: a `tf_keras` activation.
    fourier_scaling: Python `bool`, include the `FourierScaling` layer.
    zero_mode: Python `bool`, include a `ZeroModeBijector`.
    zero_mode_members: Python `int`, members of its CubicConjugation stack.
    dtype: `tf.float32` or `tf.float64`.
    seed: Python `int` or `None`, for the zero-mode initialisation.
    name: Python `str`.

  Returns:
    A `tfd.TransformedDistribution` with event shape `[L1, L2]`.

  #### Example

  ```python
  from tfp_analytic import flows, lattice
  flow = flows.lattice_flow(4, transform='cubic_rational', num_members=2,
                            num_layers=2)
  phi = flow.sample(3, seed=(0, 1))
  phi.shape  # ==> [3, 4, 4]
  log_w = -lattice.phi4_action(phi, m2=-4., lam=5.) - flow.log_prob(phi)
  ```
  """
  lattice_shape = ((lattice_size, lattice_size)
                   if np.ndim(lattice_size) == 0 else tuple(lattice_size))
  if len(lattice_shape) != 2 or any(n < 2 or n % 2 for n in lattice_shape):
    raise ValueError(
        f'a checkerboard needs two even lattice sizes, got {lattice_size}')
  _common.check_size('num_layers', num_layers)
  _common.check_size('num_members', num_members)
  _common.check_sizes('hidden_channels', hidden_channels)
  transform = transforms.get_transform(transform, num_members)
  num_sites = int(np.prod(lattice_shape))
  layers = []
  if fourier_scaling:
    layers.append(FourierScaling(lattice_shape, dtype=dtype))
  if zero_mode:
    layers.append(ZeroModeBijector(num_members=zero_mode_members, dtype=dtype,
                                   seed=seed))
  to_vector = tfb.Reshape([num_sites], event_shape_in=list(lattice_shape))
  to_sublattices = tfb.Permute(np.concatenate(sublattices(lattice_shape)),
                               name='to_sublattices')
  layers += [to_vector, to_sublattices]
  for k in range(num_layers):
    network = networks.conv_network(
        lattice_shape, 1, transform.num_raw_params,
        hidden_channels=hidden_channels, kernel_size=kernel_size,
        activation=activation, output_bias=transforms.output_bias(
            transform, 1), dtype=dtype, name=f'lattice_net_{k}')
    layers.append(CouplingLayer(
        num_masked=num_sites // 2 if k % 2 == 0 else -(num_sites // 2),
        bijector_fn=LatticeConditioner(network, transform, lattice_shape,
                                       passive_parity=k % 2),
        event_size=num_sites, name=f'checkerboard_{k}'))
  layers += [tfb.Invert(to_sublattices), tfb.Invert(to_vector)]
  return _common.make_flow(layers, list(lattice_shape), dtype, name)

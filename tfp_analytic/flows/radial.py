"""Multi-center radial flows (docs/math.md#radial-flows)."""

import functools

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import _seeds
from tfp_analytic import bijectors as tfab
from tfp_analytic.bijectors.conditional_radial import ConditionalRadial
from tfp_analytic.bijectors.fourier_radial import FourierRadial
from tfp_analytic.flows import _common
from tfp_analytic.flows import conditional
from tfp_analytic.flows import networks
from tfp_analytic.flows import transforms

__all__ = ['ContextRadialConditioner', 'DirectionNetwork', 'radial_flow',
           'radial_layers']

_ANGULAR = (None, 'fourier', 'mlp')


class DirectionNetwork(tf.Module):
  """`raw_fn` of a `ConditionalRadial`: unit directions -> raw numbers.

  Wraps a dense network (one batch axis) so that it takes directions with
  any batch shape, and holds it so that its variables are tracked.

  Args:
    network: callable from `[batch, d]` to `[batch, num_raw_params]`.
    name: optional module name.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import networks, radial
  net = radial.DirectionNetwork(networks.dense_network(2, 5, (8,)))
  net(tf.ones([3, 4, 2])).shape  # ==> [3, 4, 5]
  ```
  """

  def __init__(self, network, name=None):
    super().__init__(name=name)
    self.network = network

  def __call__(self, direction):
    return _common.apply_flat(self.network, direction, event_rank=1)


class ContextRadialConditioner(tf.Module):
  """Context -> a `tfab.RadialFlow` whose parameters a network outputs.

  One network of the context gives the raw numbers of the stack, the center
  and the log scale of a radial layer of a conditional `radial_flow`.

  Args:
    network: callable from `[batch, context_size]` to `[batch, num_members *
      family.num_raw_params + 2 event_size]`: raw, center, log scale.
    family: an analytic family class.
    num_members: Python `int`.
    event_size: Python `int`.
    name: optional module name.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.flows import networks, radial
  P = tfab.CubicConjugation.num_raw_params
  conditioner = radial.ContextRadialConditioner(
      networks.dense_network(3, 2 * P + 2 * 2, (8,)), tfab.CubicConjugation,
      num_members=2, event_size=2)
  layer = conditioner(conditional_input=tf.ones([5, 3]))
  layer.center.shape  # ==> [5, 2]
  ```
  """

  def __init__(self, network, family, num_members, event_size, name=None):
    super().__init__(name=name)
    self.network = network
    self._family, self._num_members = family, num_members
    self._sizes = [num_members * family.num_raw_params, event_size,
                   event_size]

  def __call__(self, conditional_input):
    outputs = _common.apply_flat(self.network, conditional_input, event_rank=1)
    raw, center, log_scale = tf.split(outputs, self._sizes, axis=-1)
    return tfab.RadialFlow.from_raw(self._family, raw, center, log_scale,
                                    num_members=self._num_members)


class _ConstantRaw(tf.Module):
  """`raw_fn` that ignores the direction: an angle-independent radial map.

  A `ConditionalRadial` with this `raw_fn` is `RadialFlow.from_raw` with
  learnable raw numbers, built once per call. (A `DeferredModule` around
  `RadialFlow.from_raw` rebuilds the flow on every attribute access, some 20
  times per `log_prob`, which made tracing and XLA compilation 3-5x slower.)
  """

  def __init__(self, raw, name=None):
    super().__init__(name=name)
    self.raw = tf.Variable(raw, name='raw')

  def __call__(self, direction):
    del direction  # The same radial map in every direction.
    return tf.convert_to_tensor(self.raw)


def _family(transform):
  """The analytic family class of a name (or of the class itself)."""
  if isinstance(transform, type) and issubclass(transform,
                                                tfab.AnalyticBijector):
    return transform
  family = transforms.ANALYTIC_FAMILIES.get(transform)
  if family is None:
    raise ValueError(
        f'radial flows need an analytic transform, one of '
        f'{", ".join(transforms.ANALYTIC_FAMILIES)}; got {transform!r}')
  return family


def _check_radial_sizes(event_size, num_centers, num_members):
  _common.check_size('event_size', event_size)
  _common.check_size('num_centers', num_centers)
  _common.check_size('num_members', num_members)


def _identity_coefficients(coefficients, family):
  """Keeps only the constant term of every `loc`: the identity, spread out."""
  keep = np.zeros(coefficients.shape, bool)
  keep[:, 0] = np.tile(family.loc_mask(),
                       coefficients.shape[0] // family.num_raw_params)
  return tf.where(keep, coefficients, tf.zeros_like(coefficients))


def radial_layers(event_size, num_centers=8, transform='cubic_conjugation',
                  num_members=8, angular=None, num_modes=2,
                  hidden_units=(32, 32), activation='gelu', center_stddev=1.,
                  log_scale_stddev=0.1, dtype=tf.float32, seed=None):
  """The radial bijectors of `radial_flow`, in the order they act.

  See `radial_flow` for the arguments.

  Returns:
    list of `num_centers` bijectors (event_ndims 1), each the identity at
    initialisation.

  #### Example

  ```python
  from tfp_analytic.flows import radial
  layers = radial.radial_layers(2, num_centers=3, num_members=2, seed=0)
  len(layers)  # ==> 3
  ```
  """
  family = _family(transform)
  _check_radial_sizes(event_size, num_centers, num_members)
  if angular not in _ANGULAR:
    raise ValueError(f'`angular` must be one of {_ANGULAR}; got {angular!r}')
  if angular == 'fourier' and event_size != 2:
    raise ValueError('`angular="fourier"` needs `event_size == 2`')
  seeds = tfp.random.split_seed(_seeds.stateless_seed(seed),
                                n=3 * num_centers)
  layers = []
  for k in range(num_centers):
    raw_seed, center_seed, scale_seed = seeds[3 * k:3 * k + 3]
    center = tf.Variable(center_stddev * tf.random.stateless_normal(
        [event_size], center_seed, dtype=dtype), name='center')
    log_scale = tf.Variable(log_scale_stddev * tf.random.stateless_normal(
        [event_size], scale_seed, dtype=dtype), name='log_scale')
    # Members spread over the radii by their locs, every shape raw at 0: the
    # identity, from which a directly learned stack trains well
    # (docs/math.md#spread-initialisation).
    raw = tfab.spread_raw_init(family, num_members, seed=raw_seed,
                               delta_scale=0., dtype=dtype)
    if angular is None:
      layers.append(ConditionalRadial(
          family, _ConstantRaw(raw), center, log_scale,
          num_members=num_members, name=f'radial_{k}'))
    elif angular == 'fourier':
      layer = FourierRadial(num_modes, family, num_members, center=center,
                            log_scale=log_scale, dtype=dtype, seed=raw_seed,
                            name=f'fourier_radial_{k}')
      layer.coefficients.assign(
          _identity_coefficients(layer.coefficients, family))
      layers.append(layer)
    else:
      network = networks.dense_network(
          event_size, int(raw.shape[-1]), hidden_units=hidden_units,
          activation=activation, output_bias=raw.numpy(), dtype=dtype,
          name=f'direction_net_{k}')
      layers.append(ConditionalRadial(
          family, DirectionNetwork(network), center, log_scale,
          num_members=num_members, name=f'conditional_radial_{k}'))
  return layers


def radial_flow(event_size, num_centers=8, transform='cubic_conjugation',
                num_members=8, angular=None, num_modes=2,
                hidden_units=(32, 32), activation='gelu', center_stddev=1.,
                log_scale_stddev=0.1, dtype=tf.float32, seed=None,
                name='radial_flow', context_size=None):
  """A chain of radial layers about distinct learnable centers.

  Layer k maps `x` to `c_k + exp(-s_k) (f_k(r) / r) w`, `w = exp(s_k)(x - c_k)`,
  `r = |w|`, with `f_k` a stack of `num_members` OriginFixed analytic
  bijections whose parameters are learned directly (docs/math.md#radial-flows).
  One layer only moves mass along rays from its center; chaining centers moves
  it anywhere. With `angular`, `f_k` also depends on the direction: a Fourier
  series of the angle (`'fourier'`, d = 2, docs/math.md#fourierradial) or a
  dense network of the unit direction (`'mlp'`, any d). The paper fits a 5-mode
  ring with 32 centers of 12 cubic conjugations. Without `angular` or with
  `'fourier'`, the layers run in one `tfab.RadialChain` (a `tf.while_loop`
  beyond `tfab.MAX_UNROLLED` layers, so XLA compiles one layer);
  `radial_layers` gives them as separate bijectors.

  Initialisation (docs/math.md#spread-initialisation): centers
  `~ N(0, center_stddev^2)`, log scales `~ N(0, log_scale_stddev^2)`, member
  locs `~ N(0, 1)` and every other raw number 0, so the flow starts exactly at
  the identity with its members spread over the radii.

  Args:
    event_size: Python `int`, the dimension.
    num_centers: Python `int`, radial layers.
    transform: `'cubic_rational'`, `'sinh_conjugation'`,
      `'cubic_conjugation'` or an analytic family class.
    num_members: Python `int`, bijections per radial stack.
    angular: `None`, `'fourier'` or `'mlp'`.
    num_modes: Python `int`, highest harmonic for `angular='fourier'`.
    hidden_units: hidden widths of the direction networks (`'mlp'`).
    activation: a `tf_keras` activation (`'mlp'`).
    center_stddev: Python `float`, spread of the initial centers.
    log_scale_stddev: Python `float`, spread of the initial log scales.
    dtype: `tf.float32` or `tf.float64`.
    seed: Python `int`, stateless seed or `None`, for the initialisation.
    name: Python `str`.
    context_size: `None`, or Python `int` (with `angular=None`): a
      conditional flow, in which a network of the context (`hidden_units`,
      `activation`) gives each layer's stack, center and log scale; its output
      starts at the initial values above, for every context
      (docs/math.md#conditional-flows).

  Returns:
    A `tfd.TransformedDistribution` with event shape `[event_size]`, or with
    `context_size` a `conditional.ConditionalFlow`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import flows
  flow = flows.radial_flow(2, num_centers=4, transform='sinh_conjugation',
                           num_members=3, angular='fourier', num_modes=1,
                           seed=0)
  x = flow.sample(5, seed=(0, 1))
  # It starts at the identity: the base density, to float32 round-off.
  gap = flow.log_prob(x) - flow.distribution.log_prob(x)
  bool(tf.reduce_max(tf.abs(gap)) < 1e-5)  # ==> True
  ```
  """
  if conditional.check_context_size(context_size) is not None:
    if angular is not None:
      raise ValueError(f'a conditional radial flow (`context_size`) needs '
                       f'`angular=None`, got {angular!r}')
    layers = _context_layers(
        _initial_values(event_size, num_centers, transform, num_members,
                        center_stddev, log_scale_stddev, dtype, seed),
        context_size, hidden_units, activation, dtype)
  elif angular in (None, 'fourier'):
    # One looped bijector instead of a chain of `num_centers` layers (the
    # same initial values when angle-free): XLA compiles one layer, not all.
    layers = [_radial_chain(event_size, num_centers, transform, num_members,
                            center_stddev, log_scale_stddev, dtype, seed,
                            num_modes if angular else None)]
  else:
    layers = radial_layers(
        event_size, num_centers=num_centers, transform=transform,
        num_members=num_members, angular=angular, num_modes=num_modes,
        hidden_units=hidden_units, activation=activation,
        center_stddev=center_stddev, log_scale_stddev=log_scale_stddev,
        dtype=dtype, seed=seed)
  return conditional.make_flow(layers, [event_size], dtype, name,
                               context_size)


def _initial_values(event_size, num_centers, transform, num_members,
                    center_stddev, log_scale_stddev, dtype, seed):
  """The family and, per layer, the initial raw, center and log scale."""
  family = _family(transform)
  _check_radial_sizes(event_size, num_centers, num_members)
  seeds = tfp.random.split_seed(_seeds.stateless_seed(seed),
                                n=3 * num_centers)
  values = []
  for k in range(num_centers):
    raw_seed, center_seed, scale_seed = seeds[3 * k:3 * k + 3]
    values.append((
        tfab.spread_raw_init(family, num_members, seed=raw_seed,
                             delta_scale=0., dtype=dtype),
        center_stddev * tf.random.stateless_normal(
            [event_size], center_seed, dtype=dtype),
        log_scale_stddev * tf.random.stateless_normal(
            [event_size], scale_seed, dtype=dtype)))
  return family, num_members, values


def _radial_chain(event_size, num_centers, transform, num_members,
                  center_stddev, log_scale_stddev, dtype, seed, num_modes):
  """The layers of `radial_layers` as one `tfab.RadialChain`.

  Angle-free layers start at the values of `radial_layers`; Fourier layers
  (`num_modes`) at the same identity: the locs of the constant terms spread,
  every other coefficient 0.
  """
  family, num_members, values = _initial_values(
      event_size, num_centers, transform, num_members, center_stddev,
      log_scale_stddev, dtype, seed)
  raw, center, log_scale = (tf.stack(v) for v in zip(*values))
  if num_modes is not None:  # [K, P] constant terms -> [K, P * (2M + 1)].
    raw = tf.reshape(tf.pad(raw[..., tf.newaxis], [[0, 0], [0, 0],
                                                    [0, 2 * num_modes]]),
                     [num_centers, -1])
  return tfab.RadialChain(
      family, tf.Variable(raw, name='raw'),
      tf.Variable(center, name='center'),
      tf.Variable(log_scale, name='log_scale'),
      num_members=num_members, num_modes=num_modes)


def _context_layers(initial_values, context_size, hidden_units, activation,
                    dtype):
  """Conditional radial layers, each with a network of the context.

  A network's output starts at its layer's initial raw, center and log scale.
  """
  family, num_members, values = initial_values
  layers = []
  for k, (raw, center, log_scale) in enumerate(values):
    network = networks.dense_network(
        context_size, int(raw.shape[-1]) + 2 * int(center.shape[-1]),
        hidden_units=hidden_units, activation=activation,
        output_bias=np.concatenate([raw, center, log_scale]), dtype=dtype,
        name=f'context_net_{k}')
    layers.append(conditional.ContextLayer(
        ContextRadialConditioner(network, family, num_members,
                                 int(center.shape[-1])),
        functools.partial(tfab.RebuiltBijector, event_ndims=1, dtype=dtype,
                          name=f'context_radial_{k}')))
  return layers

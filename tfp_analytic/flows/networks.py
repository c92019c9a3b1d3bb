"""Conditioner networks whose output layer starts at zero.

Every conditioner here outputs exactly zero at initialisation, whatever its
input, so that a flow built on raw-0-is-identity transforms starts at the
identity (docs/math.md#coupling-and-autoregressive-flows). The hidden layers
keep their usual random initialisation, so gradients reach them as soon as the
output layer moves. All networks are `tf_keras` (Keras 2) models, built eagerly
with the flow's dtype, so their variables exist right after construction.
"""

import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

__all__ = ['CircularPad2D', 'conv_network', 'dense_network', 'made_network']


def _bias_initializer(output_bias):
  """Zeros, or the constant `output_bias`."""
  return ('zeros' if output_bias is None else
          tf_keras.initializers.Constant(output_bias))


def dense_network(input_size, output_size, hidden_units=(128, 128),
                  activation='gelu', residual=False, output_bias=None,
                  dtype=tf.float32, name=None):
  """An MLP or ResNet from `[batch, input_size]` to `[batch, output_size]`.

  Args:
    input_size: Python `int`.
    output_size: Python `int`.
    hidden_units: sequence of Python `int`, widths of the hidden layers. With
      `residual=True` they must be equal: the first is a plain dense layer,
      each further one a residual block `h + Dense(activation(h))`.
    activation: a `tf_keras` activation, applied after every hidden layer.
    residual: Python `bool`, ResNet instead of MLP.
    output_bias: optional `[output_size]` initial bias of the output layer;
      the output is this constant at initialisation (zero by default).
    dtype: the dtype of weights, inputs and outputs.
    name: optional model name.

  Returns:
    A built `tf_keras.Model` whose output is `output_bias` (or zero) at
    initialisation, whatever the input.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import networks
  net = networks.dense_network(1, 6, hidden_units=(32, 32), residual=True)
  net(tf.ones([4, 1]))  # ==> tf.zeros([4, 6])
  ```
  """
  hidden_units = tuple(hidden_units)
  if not hidden_units:
    raise ValueError('`hidden_units` must name at least one layer')
  if residual and len(set(hidden_units)) != 1:
    raise ValueError(
        f'a residual network needs equal widths, got {hidden_units}')
  def act(h):
    return tf_keras.layers.Activation(activation, dtype=dtype)(h)

  inputs = tf_keras.Input((input_size,), dtype=dtype)
  h = tf_keras.layers.Dense(hidden_units[0], dtype=dtype)(inputs)
  for width in hidden_units[1:]:
    update = tf_keras.layers.Dense(width, dtype=dtype)(act(h))
    h = tf_keras.layers.Add(dtype=dtype)([h, update]) if residual else update
  outputs = tf_keras.layers.Dense(
      output_size, kernel_initializer='zeros',
      bias_initializer=_bias_initializer(output_bias), dtype=dtype)(act(h))
  return tf_keras.Model(inputs, outputs, name=name)


class _ZeroOutputMADE(tfp.bijectors.AutoregressiveNetwork):
  """`tfb.AutoregressiveNetwork` whose output layer starts at zero.

  TFP's layer applies one `kernel_initializer` to every layer (through the
  autoregressive masks); zeroing all of them would freeze the hidden layers,
  so only the last layer is zeroed once the network is built. TFP builds its
  activation (and conditional `Add`) layers without a dtype, in Keras'
  `floatx`, so a float64 MADE would compute its hidden layers in float32:
  `floatx` is the network's dtype while it builds.
  """

  def __init__(self, *args, output_bias=None, **kwargs):
    super().__init__(*args, **kwargs)
    self._output_bias = output_bias

  def build(self, input_shape):
    floatx = tf_keras.backend.floatx()
    tf_keras.backend.set_floatx(self.dtype)
    try:
      super().build(input_shape)
    finally:
      tf_keras.backend.set_floatx(floatx)
    kernel, bias = self._network.layers[-1].weights
    kernel.assign(tf.zeros_like(kernel))
    bias.assign(tf.zeros_like(bias) if self._output_bias is None else
                tf.cast(tf.reshape(self._output_bias, bias.shape), bias.dtype))


def made_network(event_size, num_params, hidden_units=(128, 128),
                 activation='gelu', input_order='left-to-right',
                 output_bias=None, context_size=None, dtype=tf.float32,
                 name=None):
  """A built MADE from `[..., event_size]` to `[..., event_size, num_params]`.

  Output `[..., i, :]` depends only on the inputs before `i` in
  `input_order`, as `tfb.MaskedAutoregressiveFlow` requires.

  Args:
    event_size: Python `int`.
    num_params: Python `int`, outputs per coordinate.
    hidden_units: sequence of Python `int`, hidden widths.
    activation: a `tf_keras` activation.
    input_order: `'left-to-right'` or `'right-to-left'` (or any order
      `tfb.AutoregressiveNetwork` takes).
    output_bias: optional `[event_size * num_params]` initial bias: output
      `[..., i, j]` starts at `output_bias[i * num_params + j]` (zero by
      default).
    context_size: optional Python `int`: the MADE then also takes a
      `conditional_input` of shape `[..., context_size]`, which enters its
      first hidden layer (TFP's `conditional_input_layers='first_layer'`).
    dtype: the dtype of weights, inputs and outputs.
    name: optional layer name.

  Returns:
    A built `tfb.AutoregressiveNetwork` whose output is `output_bias` (or
    zero) at initialisation, whatever the input (and context).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import networks
  made = networks.made_network(3, 4, hidden_units=(16,))
  made(tf.ones([5, 3]))  # ==> tf.zeros([5, 3, 4])
  ```
  """
  # With the context in the first layer only, the last layer stays the
  # masked output layer that `_ZeroOutputMADE` zeroes.
  conditional = {} if context_size is None else dict(
      conditional=True, conditional_event_shape=[context_size],
      conditional_input_layers='first_layer')
  network = _ZeroOutputMADE(
      params=num_params, event_shape=[event_size],
      hidden_units=list(hidden_units), activation=activation,
      input_order=input_order, output_bias=output_bias, dtype=dtype,
      name=name, **conditional)
  network.build([None, event_size])
  return network


class CircularPad2D(tf_keras.layers.Layer):
  """Periodic padding of the two spatial axes of `[batch, H, W, C]`.

  Args:
    padding: Python `int`, sites added on each side.
    **kwargs: passed to `tf_keras.layers.Layer`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import networks
  x = tf.reshape(tf.range(3.), [1, 1, 3, 1])
  networks.CircularPad2D(1)(x)[0, 0, :, 0]  # ==> [2., 0., 1., 2., 0.]
  ```
  """

  def __init__(self, padding=1, **kwargs):
    super().__init__(**kwargs)
    self.padding = padding

  def call(self, inputs):
    p = self.padding
    inputs = tf.concat([inputs[:, -p:], inputs, inputs[:, :p]], axis=1)
    return tf.concat([inputs[:, :, -p:], inputs, inputs[:, :, :p]], axis=2)

  def get_config(self):
    return dict(super().get_config(), padding=self.padding)


def conv_network(lattice_shape, in_channels, out_channels,
                 hidden_channels=(16, 16), kernel_size=3,
                 activation='leaky_relu', output_bias=None, dtype=tf.float32,
                 name=None):
  """A periodic convolutional network on an `H x W` lattice.

  Every convolution sees circularly padded input, so the network commutes
  with lattice translations (the paper's conditioner for φ⁴,
  docs/experiments.md#phi4).

  Args:
    lattice_shape: `(H, W)`.
    in_channels: Python `int`.
    out_channels: Python `int`.
    hidden_channels: sequence of Python `int`, channels of the hidden
      convolutions.
    kernel_size: odd Python `int`.
    activation: a `tf_keras` activation for the hidden layers.
    output_bias: optional `[out_channels]` initial bias of the output layer
      (zero by default).
    dtype: the dtype of weights, inputs and outputs.
    name: optional model name.

  Returns:
    A built `tf_keras.Model` from `[batch, H, W, in_channels]` to
    `[batch, H, W, out_channels]`, equal to `output_bias` (or zero) at
    initialisation.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.flows import networks
  net = networks.conv_network([4, 4], in_channels=1, out_channels=3)
  net(tf.ones([2, 4, 4, 1])).shape  # ==> [2, 4, 4, 3]
  ```
  """
  if kernel_size % 2 != 1:
    raise ValueError(f'`kernel_size` must be odd, got {kernel_size}')
  pad = kernel_size // 2
  inputs = tf_keras.Input((*lattice_shape, in_channels), dtype=dtype)
  h = inputs
  for channels in hidden_channels:
    h = CircularPad2D(pad, dtype=dtype)(h)
    h = tf_keras.layers.Conv2D(channels, kernel_size, activation=activation,
                               dtype=dtype)(h)
  h = CircularPad2D(pad, dtype=dtype)(h)
  outputs = tf_keras.layers.Conv2D(out_channels, kernel_size,
                                   kernel_initializer='zeros',
                                   bias_initializer=_bias_initializer(
                                       output_bias), dtype=dtype)(h)
  return tf_keras.Model(inputs, outputs, name=name)

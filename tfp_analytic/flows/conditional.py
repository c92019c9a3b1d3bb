"""Conditional flows: one distribution of `x` for each context `c`.

A conditional flow `cf` holds the networks; `cf(context)` builds the
`tfd.TransformedDistribution` of that context, whose layers pass the context
on to their conditioners as TFP's `conditional_input`
(docs/math.md#conditional-flows). The factories build one when given
`context_size`: `coupling_flow`, `autoregressive_flow` and `radial_flow`.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_analytic.flows import _common

tfb = tfp.bijectors

# `check_context_size`, `layer` and `make_flow` serve the flow factories.
__all__ = ['ConditionalFlow', 'ContextLayer', 'Inverted']


class _Bound(tf.Module):
  """A conditioner with its `conditional_input` bound to one context."""

  def __init__(self, conditioner, context):
    super().__init__(name='bound_conditioner')
    self.conditioner = conditioner
    self.context = context

  def __call__(self, *args):
    return self.conditioner(*args, conditional_input=self.context)


class ContextLayer(tf.Module):
  """One layer of a conditional flow: context -> bijector.

  Args:
    conditioner: a `tf.Module` that takes the context as keyword
      `conditional_input` (`CouplingConditioner`, `AutoregressiveConditioner`,
      `radial.ContextRadialConditioner`).
    make_bijector: callable from `bijector_fn=` (the conditioner with the
      context bound) to the layer's bijector, e.g. `tfab.CouplingLayer` with
      its other arguments set.
    name: optional module name.

  #### Example

  ```python
  import functools
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.flows import conditional, coupling, networks, transforms
  t = transforms.get_transform('affine')
  layer = conditional.ContextLayer(
      coupling.CouplingConditioner(networks.dense_network(1 + 2, 2, (8,)), t),
      functools.partial(tfab.CouplingLayer, num_masked=1, event_size=2))
  layer(tf.ones([3, 2])).forward(tf.ones([3, 2]))  # ==> tf.ones([3, 2])
  ```
  """

  def __init__(self, conditioner, make_bijector, name=None):
    super().__init__(name=name)
    self.conditioner = conditioner
    self._make_bijector = make_bijector

  def __call__(self, context):
    return self._make_bijector(bijector_fn=_Bound(self.conditioner, context))


class Inverted(tf.Module):
  """The inverse of a `ContextLayer`'s bijector, for every context.

  Args:
    layer: a `ContextLayer`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.flows import autoregressive, conditional, networks
  from tfp_analytic.flows import transforms
  t = transforms.get_transform('affine')
  made = networks.made_network(2, t.num_raw_params, (8,), context_size=1)
  layer = conditional.ContextLayer(
      autoregressive.AutoregressiveConditioner(made, t),
      tfab.AutoregressiveLayer)
  iaf_layer = conditional.Inverted(layer)
  iaf_layer(tf.ones([1])).forward(tf.ones([2]))  # ==> [1., 1.]
  ```
  """

  def __init__(self, layer):
    super().__init__(name='inverted')
    self.layer = layer

  def __call__(self, context):
    return tfb.Invert(self.layer(context))


def check_context_size(context_size):
  """Raises `ValueError` unless `context_size` is `None` or an `int >= 1`."""
  if context_size is not None:
    _common.check_size('context_size', context_size)
  return context_size


def layer(conditioner, make_bijector, context_size):
  """`make_bijector(bijector_fn=conditioner)`, or its `ContextLayer`.

  Args:
    conditioner: a `tf.Module` conditioner.
    make_bijector: callable from `bijector_fn=` to a bijector.
    context_size: `None` for the bijector itself; an `int` for a
      `ContextLayer`.

  Returns:
    A bijector, or a `ContextLayer`.
  """
  if context_size is None:
    return make_bijector(bijector_fn=conditioner)
  return ContextLayer(conditioner, make_bijector)


def make_flow(layers, event_shape, dtype, name, context_size):
  """The flow of `layers`: a distribution, or a `ConditionalFlow`.

  Args:
    layers: list of bijectors (`context_size=None`) or of callables from a
      context to a bijector; `layers[0]` acts first on a base sample.
    event_shape: list of Python `int`.
    dtype: float dtype.
    name: Python `str`.
    context_size: `None`, or Python `int`.

  Returns:
    A `tfd.TransformedDistribution`, or a `ConditionalFlow`.
  """
  if context_size is None:
    return _common.make_flow(layers, event_shape, dtype, name)
  return ConditionalFlow(layers, event_shape, context_size, dtype, name)


class ConditionalFlow(tf.Module):
  """A flow of `x` given a context: `cf(context)` is its distribution.

  `cf(context)` is a `tfd.TransformedDistribution` of a standard normal
  whose batch shape is the context's (all axes but the last): `log_prob`,
  `sample` and `experimental_sample_and_log_prob` work as for any TFP
  distribution, and broadcast events against contexts (one context for many
  events, or one event for many contexts). Build it in the `GradientTape`
  or `tf.function` where it is used. The module tracks every variable, so
  `cf.trainable_variables` are the ones to train (`train.fit_nll(cf, (x,
  context), ...)` does).

  The flow starts at the identity for every context: the conditioners'
  output layers start at zero. A context of the wrong size, dtype or type,
  or none at all, raises before any layer runs.

  Args:
    layers: list of callables from a context `[..., context_size]` to a
      bijector (`ContextLayer`); `layers[0]` acts first on a base sample.
    event_shape: list of Python `int`.
    context_size: Python `int >= 1`.
    dtype: `tf.float32` or `tf.float64`.
    name: Python `str`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import flows
  cf = flows.coupling_flow(2, 'sinh_conjugation', num_members=2,
                           num_layers=2, hidden_units=(16,), context_size=3)
  context = tf.random.stateless_normal([5, 3], seed=(0, 1))
  cf(context).batch_shape  # ==> [5]
  x = cf.sample(4, context, seed=(1, 2))  # shape [4, 5, 2]
  cf.log_prob(x, context).shape  # ==> [4, 5]
  ```
  """

  def __init__(self, layers, event_shape, context_size, dtype,
               name='conditional_flow'):
    super().__init__(name=name)
    self.layers = list(layers)
    self._event_shape = tf.TensorShape(event_shape)
    self._context_size = _common.check_size('context_size', context_size)
    self._dtype = tf.as_dtype(dtype)

  @property
  def event_shape(self):
    """The `tf.TensorShape` of one event `x`."""
    return self._event_shape

  @property
  def context_size(self):
    """The size of one context, the last axis of `context`."""
    return self._context_size

  @property
  def dtype(self):
    """The dtype of events and contexts."""
    return self._dtype

  def __call__(self, context=None):
    """The distribution of `x` given `context`.

    Args:
      context: float `Tensor` or array of shape `[..., context_size]`; the
        leading axes become the batch shape.

    Returns:
      A `tfd.TransformedDistribution` with event shape `self.event_shape`.
    """
    context = self._checked_context(context)
    return _common.make_flow([layer(context) for layer in self.layers],
                             self.event_shape.as_list(), self.dtype,
                             self.name, batch_shape=ps.shape(context)[:-1])

  def log_prob(self, x, context=None):
    """`self(context).log_prob(x)`: shape `broadcast(x, context batch)`."""
    return self(context).log_prob(x)

  def sample(self, n=(), context=None, seed=None):
    """`self(context).sample(n, seed=seed)`: `[n, *batch, *event]`."""
    return self(context).sample(n, seed=seed)

  def _checked_context(self, context):
    """`context` as a `Tensor` of the flow's dtype, its shape checked."""
    size = self.context_size
    if context is None:
      raise ValueError(f'{self.name} is a conditional flow: pass a `context` '
                       f'of shape [..., {size}]')
    if not tf.is_tensor(context):
      array = np.asarray(context)
      if array.dtype.kind not in 'fiu':
        raise TypeError(f'`context` must hold real numbers, got dtype '
                        f'{array.dtype}')
      context = tf.constant(array.astype(self.dtype.as_numpy_dtype))
    elif context.dtype != self.dtype:
      raise TypeError(f'`context` must be {self.dtype.name} like the flow, '
                      f'got {context.dtype.name}')
    shape = context.shape
    if shape.rank == 0 or (shape.rank is not None and
                           shape[-1] not in (None, size)):
      raise ValueError(f'{self.name} takes a `context` of shape [..., {size}], '
                       f'got shape {shape.as_list()}')
    return context

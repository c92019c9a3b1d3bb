"""Stacks of N members of one analytic family, built from raw numbers."""

import tensorflow as tf
import tensorflow_probability as tfp

__all__ = ['members_from_raw', 'spread_raw_init', 'stack_from_raw',
           'trainable_stack']


def members_from_raw(family, raw, num_members=None, validate_args=False):
  """Splits `raw[..., N * P]` into N members of `family` (P raw numbers each).

  Args:
    family: an analytic bijector class (`CubicRational`, ...).
    raw: float `Tensor` of shape `[..., num_members * family.num_raw_params]`;
      member k takes `raw[..., k * P:(k + 1) * P]`.
    num_members: Python `int`; inferred from the last axis when `None`.
    validate_args: Python `bool`, passed to every member.

  Returns:
    list of `num_members` bijectors, in the order they are applied.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  members = tfab.members_from_raw(tfab.CubicConjugation, tf.zeros([8]))
  len(members)  # ==> 2
  ```
  """
  raw = tf.convert_to_tensor(raw)
  per_member = family.num_raw_params
  size = tf.compat.dimension_value(raw.shape[-1])
  if size is None:
    raise ValueError('the last axis of `raw` must be statically known')
  if num_members is None:
    num_members = size // per_member
  if size != num_members * per_member:
    raise ValueError(
        f'{num_members} members of {family.__name__} take '
        f'{num_members * per_member} raw numbers on the last axis; got {size}')
  return [
      family.from_raw(raw[..., k * per_member:(k + 1) * per_member],
                      validate_args=validate_args,
                      name=f'{family.__name__}_{k}')
      for k in range(num_members)
  ]


def stack_from_raw(family, raw, num_members=None, validate_args=False,
                   name=None):
  """Composition of N members of `family`; raw 0 is the identity.

  The members are applied in sequence (member 0 first), so the log-det is the
  sum of theirs. Coupling and autoregressive flows build their per-coordinate
  transforms with this.

  Args:
    family: an analytic bijector class (`CubicRational`, ...).
    raw: float `Tensor` of shape `[..., num_members * family.num_raw_params]`.
    num_members: Python `int`; inferred from the last axis when `None`.
    validate_args: Python `bool`, passed to every member.
    name: name of the returned `tfb.Chain`.

  Returns:
    A `tfb.Chain` of the members (event_ndims 0).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  raw = tf.zeros([4 * tfab.CubicRational.num_raw_params])
  stack = tfab.stack_from_raw(tfab.CubicRational, raw)
  stack.forward(1.5)  # ==> 1.5
  ```
  """
  members = members_from_raw(family, raw, num_members, validate_args)
  # tfb.Chain applies its list right to left.
  return tfp.bijectors.Chain(
      members[::-1], validate_args=validate_args,
      name=name or f'{family.__name__}_stack')


def spread_raw_init(family, num_members, seed=None, loc_scale=1.,
                    delta_scale=0.01, batch_shape=(), dtype=tf.float32):
  """Initial raw numbers for a stack whose parameters are learned directly.

  Each member's `loc` is drawn from N(0, loc_scale^2) and every other raw
  number from N(0, delta_scale^2), so the stack starts close to the identity
  while its members are spread over the domain; with every `loc` at 0 a 1-D
  stack barely trains (MATH.md §1.4).

  Args:
    family: an analytic bijector class.
    num_members: Python `int`.
    seed: a stateless seed (pair of ints) or `None`.
    loc_scale: standard deviation of the `loc` raw numbers.
    delta_scale: standard deviation of the other raw numbers.
    batch_shape: leading shape of the returned tensor.
    dtype: float dtype.

  Returns:
    `Tensor` of shape `batch_shape + [num_members * family.num_raw_params]`.

  #### Example

  ```python
  from tfp_analytic import bijectors as tfab
  raw = tfab.spread_raw_init(tfab.CubicRational, 4, seed=(1, 2))
  raw.shape  # ==> [12]
  ```
  """
  shape = list(batch_shape) + [num_members, family.num_raw_params]
  noise = tf.random.stateless_normal(
      shape, seed=(0, 0) if seed is None else seed, dtype=dtype)
  is_loc = tf.constant(
      [name == 'loc' for name in family.raw_param_names])
  raw = noise * tf.where(is_loc, tf.cast(loc_scale, dtype),
                         tf.cast(delta_scale, dtype))
  return tf.reshape(raw, shape[:-2] + [num_members * family.num_raw_params])


def trainable_stack(family, num_members, seed=None, dtype=tf.float32,
                    name=None):
  """A stack of `num_members` members of `family` with learnable parameters.

  The raw numbers live in one `tf.Variable` (initialised by
  `spread_raw_init`); the returned `DeferredModule` rebuilds the stack from
  it on every call, so gradients reach the variable, under XLA too.

  Args:
    family: an analytic bijector class.
    num_members: Python `int`.
    seed: a stateless seed (pair of ints) or `None`.
    dtype: float dtype of the variable.
    name: name of the variable's module.

  Returns:
    A `tfp.experimental.util.DeferredModule` that behaves as the
    `tfb.Chain` of members; its `trainable_variables` hold the raw numbers.

  #### Example

  ```python
  import tensorflow_probability as tfp
  from tfp_analytic import bijectors as tfab
  stack = tfab.trainable_stack(tfab.SinhConjugation, 3, seed=(0, 1))
  flow = tfp.distributions.TransformedDistribution(
      tfp.distributions.Normal(0., 1.), stack)
  len(flow.trainable_variables)  # ==> 1
  ```
  """
  raw = tf.Variable(spread_raw_init(family, num_members, seed, dtype=dtype),
                    name='raw')
  return tfp.experimental.util.DeferredModule(
      stack_from_raw, family, raw, num_members,
      name=name or f'{family.__name__}_stack')

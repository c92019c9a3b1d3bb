"""Stacks of N members of one analytic family, built from raw numbers."""

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._base import stored_property
from tfp_analytic.bijectors.loop import MAX_UNROLLED
from tfp_analytic.bijectors.loop import LoopBijector
from tfp_analytic.bijectors.loop import apply_in_loop

__all__ = ['LoopBijector', 'MAX_UNROLLED', 'Stack', 'apply_in_loop',
           'members_from_raw', 'spread_raw_init', 'stack_from_raw',
           'trainable_stack']


def _checked_num_members(family, raw, num_members):
  """`num_members`, inferred from `raw`'s last axis when `None`, checked.

  Raises:
    ValueError: if the last axis of `raw` is unknown or is not
      `num_members * family.num_raw_params`.
  """
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
  return num_members


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
  num_members = _checked_num_members(family, raw, num_members)
  columns = tf.unstack(raw, num=num_members * per_member, axis=-1)
  return [
      family.from_raw_columns(columns[k * per_member:(k + 1) * per_member],
                              validate_args=validate_args,
                              name=f'{family.__name__}_{k}')
      for k in range(num_members)
  ]


class Stack(LoopBijector):
  """N members of one family applied in sequence, in one pass.

  Member k takes `raw[..., k * P:(k + 1) * P]` (`P = family.num_raw_params`)
  and member 0 is applied first, so the log-det is the sum of the members'.
  It equals the `tfb.Chain` of `members_from_raw`, but map and log-det come
  from one traversal of the members (`LoopBijector`), and stacks of more
  than `MAX_UNROLLED` members run in a `tf.while_loop`, so that XLA compiles
  one member however many there are.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  raw = tf.random.stateless_normal([3 * 4], seed=(0, 1))
  stack = tfab.Stack(tfab.CubicConjugation, raw)
  x = tf.linspace(-2., 2., 5)
  y = x
  for member in tfab.members_from_raw(tfab.CubicConjugation, raw):
    y = member.forward(y)
  stack.forward(x) - y  # ==> [0.] * 5
  ```
  """

  def __init__(self, family, raw, num_members=None, wrapper=None,
               validate_args=False, name=None):
    """Builds the stack.

    Args:
      family: an analytic bijector class (`CubicRational`, ...).
      raw: float `Tensor` of shape `[..., num_members * P]`; the leading
        axes are the batch shape.
      num_members: Python `int`; inferred from the last axis when `None`.
      wrapper: optional bijector class applied to every member (e.g.
        `OriginFixed`).
      validate_args: Python `bool`, passed to every member.
      name: Python `str`; defaults to `<family>_stack`.

    Raises:
      ValueError: if the last axis of `raw` is unknown or is not
        `num_members * P`.
    """
    parameters = dict(locals())
    with tf.name_scope(name or f'{family.__name__}_stack') as name:
      self._raw = tensor_util.convert_nonref_to_tensor(
          raw, dtype_hint=tf.float32, name='raw')
      num_members = _checked_num_members(family, self._raw, num_members)
      self._family = family
      self._num_members = num_members
      self._wrapper = wrapper
      super().__init__(parameters, 0, self._raw.dtype, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(raw=parameter_properties.ParameterProperties(event_ndims=1))

  raw = stored_property(
      'raw', 'The raw numbers, `[..., num_members * family.num_raw_params]`.')
  family = stored_property('family', "The members' bijector class.")
  num_members = stored_property('num_members', 'The number of members.')
  wrapper = stored_property(
      'wrapper', 'The class wrapped around every member, or `None`.')

  @classmethod
  def _is_increasing(cls):
    return True

  def _run(self, x, inverse, with_ratio=False):
    """`x` through every member (last first if `inverse`), and the log-det;
    with `with_ratio`, also the log-ratio (`apply_in_loop`)."""
    n, p = self._num_members, self._family.num_raw_params
    raw = tf.convert_to_tensor(self._raw)
    batch_shape = ps.shape(raw)[:-1]
    # The static shape is kept where it is known (the dynamic broadcast
    # alone would lose it where a batch axis is None).
    static_shape = tf.broadcast_static_shape(x.shape, raw.shape[:-1])
    x = tf.broadcast_to(x, ps.broadcast_shape(ps.shape(x), batch_shape))
    x.set_shape(static_shape)
    if n <= MAX_UNROLLED:
      # One column per raw number (`from_raw_columns`: a cheap gradient).
      columns = tf.unstack(raw, num=n * p, axis=-1)
      member_raw = lambda k: columns[k * p:(k + 1) * p]
    else:
      # In the loop, members first: each member's raw numbers are contiguous.
      raw = tf.reshape(raw, ps.concat([batch_shape, [n, p]], axis=0))
      raw = tf.unstack(tf.experimental.numpy.moveaxis(raw, [-2, -1], [0, 1]),
                       num=p, axis=1)
      member_raw = lambda k: [column[k] for column in raw]

    def member_at(k):
      member = self._family.from_raw_columns(
          member_raw(k), validate_args=self.validate_args)
      if self._wrapper is not None:
        member = self._wrapper(member, validate_args=self.validate_args)
      return member

    return apply_in_loop(member_at, n, x, 0, inverse, with_ratio)

  def radial_terms(self, t, inverse=False):
    """`(f(t), log f'(t), log(f(t) / t))` in one pass, for radii `t >= 0`.

    Only for stacks whose members fix 0 (`wrapper=OriginFixed`, as
    `origin_fixed_stack` builds them). The ratio comes from each member's
    secant slope (`OriginFixed.log_ratio`), so it keeps relative accuracy
    for radii of any size (`OriginFixed.radial_step`). With `inverse`, `t`
    is the image: the result is `(f^{-1}(t), -log f'(f^{-1}(t)),
    log(t / f^{-1}(t)))`.
    """
    if not hasattr(self._wrapper, 'radial_step'):
      raise ValueError('`radial_terms` needs members that fix 0 '
                       '(`wrapper=OriginFixed`)')
    return self._run(tf.convert_to_tensor(t, self.dtype), inverse,
                     with_ratio=True)


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
    name: name of the returned bijector.

  Returns:
    A `Stack` (event_ndims 0).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  raw = tf.zeros([4 * tfab.CubicRational.num_raw_params])
  stack = tfab.stack_from_raw(tfab.CubicRational, raw)
  stack.forward(1.5)  # ==> 1.5
  ```
  """
  return Stack(family, raw, num_members, validate_args=validate_args,
               name=name)


def spread_raw_init(family, num_members, seed=None, loc_scale=1.,
                    delta_scale=0.01, batch_shape=(), dtype=tf.float32):
  """Initial raw numbers for a stack whose parameters are learned directly.

  Each member's `loc` is drawn from N(0, loc_scale^2) and every other raw
  number from N(0, delta_scale^2), so the stack starts close to the identity
  while its members are spread over the domain; with every `loc` at 0 a 1-D
  stack barely trains (`docs/math.md#spread-initialisation`).

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
  raw = noise * tf.where(family.loc_mask(), tf.cast(loc_scale, dtype),
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
    A `tfp.experimental.util.DeferredModule` that behaves as the `Stack`
    of members; its `trainable_variables` hold the raw numbers.

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

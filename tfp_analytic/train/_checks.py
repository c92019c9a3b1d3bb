"""Checks of training inputs that fail before any step runs, with a message
that names the problem and what was expected.
"""

import numpy as np
import tensorflow as tf

from tfp_analytic.flows._common import check_size
from tfp_analytic.flows.conditional import ConditionalFlow

__all__ = ['check_batch', 'check_data', 'check_examples',
           'check_log_prob_values', 'check_size']


def _event_shape(flow):
  event_shape = flow.event_shape
  if not event_shape.is_fully_defined():
    raise ValueError(f'the flow\'s event shape must be known, got '
                     f'{event_shape}')
  return event_shape.as_list()


def _shape_str(event_shape):
  return '[n, ' + ', '.join(str(d) for d in event_shape) + ']'


def check_data(flow, data, name='data', min_examples=1):
  """An array of events for `flow`, checked and cast to the flow's dtype.

  Args:
    flow: a distribution with a known event shape and a float dtype.
    data: array-like `[n, *event_shape]` of real numbers.
    name: Python `str`, the argument's name for the messages.
    min_examples: Python `int`, the least `n` accepted (e.g. a batch size).

  Returns:
    a NumPy array of `flow.dtype` and shape `[n, *event_shape]`.

  Raises:
    TypeError: if `data` does not hold real numbers.
    ValueError: for the wrong event shape, fewer than `min_examples` rows,
      or NaN or inf values (also those that casting creates).

  #### Example

  ```python
  import numpy as np
  from tfp_analytic import flows
  from tfp_analytic.train import _checks
  flow = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,))
  _checks.check_data(flow, np.zeros([4, 2])).shape  # ==> (4, 2)
  # np.zeros([4, 3]) raises ValueError: `data` must have shape [n, 2] ...
  ```
  """
  event_shape = _event_shape(flow)
  return _checked_array(flow, data, event_shape, name, min_examples,
                        f'event shape {event_shape}')


def _checked_array(flow, data, item_shape, name, min_examples, what):
  """`check_data` for rows of `item_shape`; `what` names that shape."""
  dtype = flow.dtype.as_numpy_dtype
  array = np.asarray(data)
  if array.dtype.kind not in 'fiu':
    raise TypeError(f'`{name}` must hold real numbers, to be cast to the '
                    f'flow\'s {flow.dtype.name}; got dtype {array.dtype}')
  if list(array.shape[1:]) != item_shape:
    raise ValueError(
        f'`{name}` must have shape {_shape_str(item_shape)} for a flow with '
        f'{what}, got {list(array.shape)}')
  if len(array) < min_examples:
    what = 'is empty' if not len(array) else f'has only {len(array)} rows'
    raise ValueError(f'`{name}` {what}; at least {min_examples} are needed '
                     f'(one batch)')
  with np.errstate(over='ignore'):  # Overflow to inf is reported below.
    cast = array.astype(dtype, copy=False)
  bad_rows = np.flatnonzero(~np.isfinite(cast.reshape(len(cast), -1)).all(1))
  if bad_rows.size:
    created = ('' if array.dtype.kind == 'f' and not np.isfinite(array).all()
               else f' after the cast to {flow.dtype.name}')
    raise ValueError(
        f'`{name}` has {bad_rows.size} rows with NaN or inf values'
        f'{created} (the first is row {bad_rows[0]}); remove or impute them')
  return cast


def check_examples(flow, data, name='data', min_examples=1):
  """Training examples: `(x,)`, or `(x, context)` for a `ConditionalFlow`.

  Args:
    flow: a distribution, or a `flows.ConditionalFlow`.
    data: an array of events; for a conditional flow a pair `(x, context)`
      of arrays `[n, *event_shape]` and `[n, context_size]`.
    name: Python `str`, the argument's name for the messages.
    min_examples: Python `int`, the least `n` accepted.

  Returns:
    a tuple of NumPy arrays of `flow.dtype`, each checked as in
    `check_data`.

  #### Example

  ```python
  import numpy as np
  from tfp_analytic import flows
  from tfp_analytic.train import _checks
  cf = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,),
                           context_size=1)
  x, context = _checks.check_examples(cf, (np.zeros([4, 2]), np.ones([4, 1])))
  # (np.zeros([4, 2]), np.ones([3, 1])) raises ValueError: ... 4 samples ...
  ```
  """
  if not isinstance(flow, ConditionalFlow):
    if isinstance(data, tuple):
      raise ValueError(f'`{name}` is a tuple, but the flow takes no context '
                       f'(build it with `context_size` for pairs (x, '
                       f'context)); pass the samples alone')
    return (check_data(flow, data, name, min_examples),)
  size = flow.context_size
  if not isinstance(data, tuple) or len(data) != 2:
    raise ValueError(f'`{name}` must be a pair (x, context) for a conditional '
                     f'flow, with context of shape [n, {size}]; got '
                     f'{type(data).__name__}')
  x = check_data(flow, data[0], f'{name}[0]', min_examples)
  context = _checked_array(flow, data[1], [size], f'{name}[1]', min_examples,
                           f'context size {size}')
  if len(x) != len(context):
    raise ValueError(f'`{name}` pairs {len(x)} samples with {len(context)} '
                     f'contexts; give one context per sample')
  return x, context


def check_batch(flow, batch, name='data'):
  """Checks the static shapes and dtype of a batch made in a step.

  Runs while the step is traced, so a callable data source that returns the
  wrong events fails before any step runs.

  Args:
    flow: a distribution with a known event shape, or a `ConditionalFlow`.
    batch: a `Tensor` `[batch, *event_shape]`; for a conditional flow a pair
      `(x, context)` with `context` of shape `[batch, context_size]`.
    name: Python `str`, what made `batch`, for the messages.

  Returns:
    `(x,)`, or `(x, context)`.
  """
  shapes = [_event_shape(flow)]
  if isinstance(flow, ConditionalFlow):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
      raise ValueError(f'`{name}` must return a pair (samples, contexts) for '
                       f'a conditional flow, got {type(batch).__name__}')
    shapes.append([flow.context_size])
  else:
    batch = (batch,)
  for tensor, item_shape, what in zip(batch, shapes, ('samples', 'contexts')):
    if tensor.dtype != flow.dtype:
      raise TypeError(f'`{name}` must return {flow.dtype.name} {what} like '
                      f'the flow, got {tensor.dtype.name}')
    if not tensor.shape.is_compatible_with([None, *item_shape]):
      raise ValueError(f'`{name}` must return {what} of shape '
                       f'{_shape_str(item_shape)}, got {tensor.shape}')
  return tuple(batch)


def check_log_prob_values(flow, log_p, name='target_log_prob'):
  """Checks that a target's log-density has one value per sample.

  Args:
    flow: the distribution whose samples went in.
    log_p: a `Tensor`, expected `[batch]` of `flow.dtype`.
    name: Python `str`, the callable's name for the messages.

  Returns:
    `log_p`.
  """
  log_p = tf.convert_to_tensor(log_p)
  if log_p.dtype != flow.dtype:
    raise TypeError(f'`{name}` must return {flow.dtype.name} values like the '
                    f'flow, got {log_p.dtype.name}')
  if log_p.shape.rank != 1:
    raise ValueError(f'`{name}` must return one value per sample, shape [n], '
                     f'got {log_p.shape}')
  return log_p

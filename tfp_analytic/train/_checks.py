"""Checks of training inputs that fail before any step runs, with a message
that names the problem and what was expected.
"""

import numpy as np
import tensorflow as tf

from tfp_analytic.flows._common import check_size

__all__ = ['check_batch', 'check_data', 'check_log_prob_values', 'check_size']


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
  dtype = flow.dtype.as_numpy_dtype
  array = np.asarray(data)
  if array.dtype.kind not in 'fiu':
    raise TypeError(f'`{name}` must hold real numbers, to be cast to the '
                    f'flow\'s {flow.dtype.name}; got dtype {array.dtype}')
  event_shape = _event_shape(flow)
  if list(array.shape[1:]) != event_shape:
    raise ValueError(
        f'`{name}` must have shape {_shape_str(event_shape)} for a flow with '
        f'event shape {event_shape}, got {list(array.shape)}')
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


def check_batch(flow, x, name='data'):
  """Checks the static shape and dtype of a batch `Tensor` made in a step.

  Runs while the step is traced, so a callable data source that returns the
  wrong events fails before any step runs.

  Args:
    flow: a distribution with a known event shape.
    x: a `Tensor` `[batch, *event_shape]`.
    name: Python `str`, what made `x`, for the messages.

  Returns:
    `x`.
  """
  event_shape = _event_shape(flow)
  if x.dtype != flow.dtype:
    raise TypeError(f'`{name}` must return {flow.dtype.name} samples like '
                    f'the flow, got {x.dtype.name}')
  if not x.shape.is_compatible_with([None, *event_shape]):
    raise ValueError(f'`{name}` must return samples of shape '
                     f'{_shape_str(event_shape)}, got {x.shape}')
  return x


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

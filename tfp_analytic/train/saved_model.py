"""Export a flow as a SavedModel that loads without this package."""

import os
import shutil
import tempfile

import tensorflow as tf

from tfp_analytic.flows.conditional import ConditionalFlow

__all__ = ['export_saved_model', 'load_saved_model']


class _ExportedFlow(tf.Module):
  """`log_prob(x)` and `sample(n, seed)` of a flow as traced functions.

  For a conditional flow `log_prob(x, context)` and `sample(n, context,
  seed)`. Only the flow's variables are tracked, not the flow object:
  loading then needs TensorFlow alone, not TFP nor `tfp_analytic`.
  """

  def __init__(self, flow):
    super().__init__(name='exported_flow')
    self.flow_variables = list(flow.variables)
    x = tf.TensorSpec([None, *flow.event_shape.as_list()], flow.dtype)
    n, seed = tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)
    if isinstance(flow, ConditionalFlow):
      context = tf.TensorSpec([None, flow.context_size], flow.dtype)
      self.log_prob = tf.function(flow.log_prob, input_signature=[x, context])
      self.sample = tf.function(
          lambda n, context, seed: flow.sample(n, context, seed=seed),
          input_signature=[n, context, seed])
    else:
      self.log_prob = tf.function(flow.log_prob, input_signature=[x])
      self.sample = tf.function(lambda n, seed: flow.sample(n, seed=seed),
                                input_signature=[n, seed])


def _signatures(module, conditional):
  """Serving signatures: named inputs, outputs `log_prob` and `sample`."""
  log_prob, sample = module.log_prob, module.sample
  if conditional:
    return {
        'log_prob': tf.function(
            lambda x, context: {'log_prob': log_prob(x, context)},
            input_signature=log_prob.input_signature),
        'sample': tf.function(
            lambda n, context, seed: {'sample': sample(n, context, seed)},
            input_signature=sample.input_signature)}
  return {
      'log_prob': tf.function(lambda x: {'log_prob': log_prob(x)},
                              input_signature=log_prob.input_signature),
      'sample': tf.function(lambda n, seed: {'sample': sample(n, seed)},
                            input_signature=sample.input_signature)}


def export_saved_model(flow, path, overwrite=False):
  """Writes `flow` as a SavedModel with `log_prob` and `sample` functions.

  The SavedModel has `loaded.log_prob(x)` for `x` of shape
  `[n, *event_shape]` and `loaded.sample(n, seed)` with a stateless
  `int32[2]` seed (both as attributes and as serving signatures of the same
  names, whose outputs are named `log_prob` and `sample`). For a
  `flows.ConditionalFlow` they take the contexts too, `[m, context_size]`:
  `loaded.log_prob(x, context)` (one context per row of `x`) and
  `loaded.sample(n, context, seed)`, of shape `[n, m, *event_shape]`. It
  reloads with `tf.saved_model.load(path)` in a process that imports neither
  TFP nor `tfp_analytic`, and gives the same values.

  The SavedModel is written to a new folder beside `path` and moved there
  when complete, so `path` never mixes files of two exports.

  Args:
    flow: a distribution with a fully known event shape (e.g. from
      `tfp_analytic.flows`), or a `flows.ConditionalFlow`.
    path: directory to write; it must not exist, or be empty, unless
      `overwrite`.
    overwrite: Python `bool`, replace what `path` holds.

  Returns:
    `path`.

  Raises:
    FileExistsError: if `path` is a file, or a non-empty directory and
      `overwrite` is `False`.

  #### Example

  ```python
  import tempfile
  import tensorflow as tf
  from tfp_analytic import flows, train
  flow = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,))
  path = train.export_saved_model(flow, tempfile.mkdtemp())
  loaded = tf.saved_model.load(path)
  x = tf.constant([[0.1, -0.2]])
  loaded.log_prob(x) - flow.log_prob(x)  # ==> [0.]
  ```
  """
  if not flow.event_shape.is_fully_defined():
    raise ValueError(f'the event shape must be known, got {flow.event_shape}')
  module = _ExportedFlow(flow)
  signatures = _signatures(module, isinstance(flow, ConditionalFlow))
  _check_target(path, overwrite)
  parent = os.path.dirname(os.path.abspath(path))
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix='.export-', dir=parent)
  try:
    tf.saved_model.save(module, staging, signatures=signatures)
    if os.path.isdir(path):
      shutil.rmtree(path)
    os.replace(staging, path)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  return path


def _check_target(path, overwrite):
  if os.path.isfile(path):
    raise FileExistsError(f'cannot export a SavedModel to {path}: it is a '
                          f'file')
  if os.path.isdir(path) and os.listdir(path) and not overwrite:
    raise FileExistsError(
        f'cannot export a SavedModel to {path}: the directory is not empty '
        f'(pass overwrite=True to replace it)')


def load_saved_model(path):
  """Loads a SavedModel of `export_saved_model`, with errors that name `path`.

  `tf.saved_model.load` alone reports a truncated or corrupted export with a
  bare parsing or checkpoint error; this names the directory and what is
  wrong there.

  Args:
    path: directory written by `export_saved_model`.

  Returns:
    The loaded object, with `log_prob(x)` and `sample(n, seed)`.

  Raises:
    FileNotFoundError: if `path` is not a directory holding a SavedModel.
    ValueError: if the SavedModel there cannot be read, or lacks `log_prob`
      or `sample`.

  #### Example

  ```python
  import tempfile
  import tensorflow as tf
  from tfp_analytic import flows, train
  flow = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,))
  path = train.export_saved_model(flow, tempfile.mkdtemp())
  loaded = train.load_saved_model(path)
  loaded.log_prob(tf.constant([[0.1, -0.2]])).shape  # ==> [1]
  ```
  """
  if not tf.saved_model.contains_saved_model(path):
    raise FileNotFoundError(f'no SavedModel at {path} (a directory with '
                            f'saved_model.pb, as export_saved_model writes)')
  try:
    loaded = tf.saved_model.load(path)
  except Exception as error:  # pylint: disable=broad-except
    # A damaged export fails in many ways (parse, restore, short reads).
    raise ValueError(f'the SavedModel at {path} is corrupted or incomplete: '
                     f'{type(error).__name__}: {error}') from error
  missing = [n for n in ('log_prob', 'sample') if not hasattr(loaded, n)]
  if missing:
    raise ValueError(f'the SavedModel at {path} has no {", ".join(missing)}; '
                     f'was it written by export_saved_model?')
  return loaded

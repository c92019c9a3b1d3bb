"""Export a flow as a SavedModel that loads without this package."""

import tensorflow as tf

__all__ = ['export_saved_model']


class _ExportedFlow(tf.Module):
  """`log_prob(x)` and `sample(n, seed)` of a flow as traced functions.

  Only the flow's variables are tracked, not the flow object: loading then
  needs TensorFlow alone, not TFP nor `tfp_analytic`.
  """

  def __init__(self, flow):
    super().__init__(name='exported_flow')
    self.flow_variables = list(flow.variables)
    event_shape = flow.event_shape.as_list()
    self.log_prob = tf.function(
        flow.log_prob,
        input_signature=[tf.TensorSpec([None, *event_shape], flow.dtype)])
    self.sample = tf.function(
        lambda n, seed: flow.sample(n, seed=seed),
        input_signature=[tf.TensorSpec([], tf.int32),
                         tf.TensorSpec([2], tf.int32)])


def export_saved_model(flow, path):
  """Writes `flow` as a SavedModel with `log_prob` and `sample` functions.

  The SavedModel has `loaded.log_prob(x)` for `x` of shape
  `[n, *event_shape]` and `loaded.sample(n, seed)` with a stateless
  `int32[2]` seed (both as attributes and as serving signatures of the same
  names, whose outputs are named `log_prob` and `sample`). It reloads with
  `tf.saved_model.load(path)` in a process that imports neither TFP nor
  `tfp_analytic`, and gives the same values.

  Args:
    flow: a distribution with a fully known event shape (e.g. from
      `tfp_analytic.flows`).
    path: directory to write.

  Returns:
    `path`.

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
  signatures = {
      'log_prob': tf.function(
          lambda x: {'log_prob': module.log_prob(x)},
          input_signature=module.log_prob.input_signature),
      'sample': tf.function(
          lambda n, seed: {'sample': module.sample(n, seed)},
          input_signature=module.sample.input_signature),
  }
  tf.saved_model.save(module, path, signatures=signatures)
  return path

"""The bijector cache of the layers that return their log-det with the map."""

from tensorflow_probability.python.internal import cache_util

__all__ = ['FreshAttrsCache']


class FreshAttrsCache(cache_util.BijectorCacheWithGreedyAttrs):
  """A greedy-attribute cache that forgets the attributes of dead results.

  TFP keys a result and its attributes (the log-det) by the input tensor and
  drops the result once nothing refers to it, but keeps the attributes for
  as long as the input lives. A log-det read from them after an optimizer
  step belongs to the old weights: `log_prob(x)` of one `x` before and after
  an update mixed old and new values (an IAF, whose forward pass stores no
  log-det of its own; any layer for a bare log-det call). Attributes whose
  result has died are cleared here, so the next call computes them anew with
  the current weights; while the result lives (within one `log_prob`) they
  are reused as before, one conditioner pass per layer.
  """

  # pylint: disable-next=redefined-builtin
  def _get_or_create_edge(self, input, forward_name, kwargs):
    edge = super()._get_or_create_edge(input, forward_name, kwargs)
    if edge.output_ref is not None and not edge.output_ref.alive:
      edge.attributes.clear()
    return edge

"""The round-trip guard of NLL training (`round_trip_tolerance`).

A deep flow can become so badly conditioned that its computed inverse is
far from the true one, and its `log_prob` no density
(`metrics.round_trip_error`); NLL training then exploits the error. The
guard pushes a few points of each batch through the inverse and back and
turns the losses of a step that breaks the round trip into NaN, so that the
step is refused like a non-finite one.
"""

import numpy as np
import tensorflow as tf

from tfp_analytic.flows.conditional import ConditionalFlow
from tfp_analytic.train import _loop
from tfp_analytic.train import metrics

# The points of each batch whose round trip is checked: the weights, not
# the points, break a round trip, so a few of them tell at a fraction of a
# pass over the batch.
PROBE_POINTS = 32


class RoundTripGuard:
  """Refuses the steps that break a flow's round trip.

  Args:
    flow: the distribution being trained, or a `flows.ConditionalFlow`.
    tolerance: `None` (no guard), or a positive Python `float`, the largest
      relative round-trip error (`metrics.round_trip_error`) allowed.

  Raises:
    ValueError: if `tolerance` is neither `None` nor a positive number.
  """

  def __init__(self, flow, tolerance):
    if tolerance is not None and (isinstance(tolerance, bool) or not (
        isinstance(tolerance, (int, float)) and tolerance > 0)):
      raise ValueError(f'`round_trip_tolerance` must be a positive number, '
                       f'got {tolerance!r}')
    self._flow, self.tolerance = flow, tolerance

  @property
  def refusal(self):
    """What a refused step had, for the messages (`_loop.Run`'s `refusal`)."""
    if self.tolerance is None:
      return _loop.NOT_FINITE
    return (f'{_loop.NOT_FINITE}, or a round trip error above '
            f'`round_trip_tolerance` ({self.tolerance:g})')

  def __call__(self, losses, x, *context):
    """`(losses, error)`: the per-example `losses`, all NaN where the round
    trip of the first `PROBE_POINTS` of `x` is off by more than the
    tolerance, and those points' errors (`None` without a tolerance)."""
    if self.tolerance is None:
      return losses, None
    probe = [part[:PROBE_POINTS] for part in (x, *context)]
    dist = (self._flow(probe[1]) if isinstance(self._flow, ConditionalFlow)
            else self._flow)
    error = metrics.round_trip_error(dist, probe[0])
    nan = tf.constant(np.nan, losses.dtype)
    return (tf.where(tf.reduce_max(error) <= self.tolerance, losses, nan),
            error)

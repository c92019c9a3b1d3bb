"""Learning-rate schedules for flow training."""

import tensorflow as tf
import tf_keras

__all__ = ['WarmupExponentialDecay']


class WarmupExponentialDecay(
    tf_keras.optimizers.schedules.LearningRateSchedule):
  """Linear warmup to a peak, then exponential decay to a final rate.

  The paper's coupling runs warm up for 100 steps, then let the rate fall 10x
  over the run (docs/experiments.md#shared-settings). Step `s` (counted from 0)
  gets `peak * (s + 1) / warmup_steps` during warmup, then
  `peak * (final / peak) ** ((s - warmup_steps) / decay_steps)`, held at
  `final` after `warmup_steps + decay_steps`.

  Args:
    peak_learning_rate: Python `float`.
    decay_steps: Python `int`, steps from the end of warmup to `final`.
    warmup_steps: Python `int`, may be 0.
    final_learning_rate: Python `float`; defaults to the peak (no decay).

  #### Example

  ```python
  import tf_keras
  from tfp_analytic.train import WarmupExponentialDecay
  schedule = WarmupExponentialDecay(1e-3, decay_steps=900, warmup_steps=100,
                                    final_learning_rate=1e-4)
  float(schedule(99))  # ==> 1e-3
  float(schedule(999))  # ==> 1e-4
  optimizer = tf_keras.optimizers.Adam(schedule)
  ```
  """

  def __init__(self, peak_learning_rate, decay_steps, warmup_steps=0,
               final_learning_rate=None):
    if final_learning_rate is None:
      final_learning_rate = peak_learning_rate
    if not (peak_learning_rate > 0 and final_learning_rate > 0):
      raise ValueError('learning rates must be positive')
    if decay_steps < 1 or warmup_steps < 0:
      raise ValueError('need `decay_steps >= 1` and `warmup_steps >= 0`')
    self.peak_learning_rate = peak_learning_rate
    self.decay_steps = decay_steps
    self.warmup_steps = warmup_steps
    self.final_learning_rate = final_learning_rate

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    ratio = self.final_learning_rate / self.peak_learning_rate
    progress = tf.clip_by_value(
        (step - self.warmup_steps) / self.decay_steps, 0., 1.)
    decayed = self.peak_learning_rate * ratio ** progress
    if not self.warmup_steps:
      return decayed
    warmup = self.peak_learning_rate * (step + 1.) / self.warmup_steps
    return tf.where(step < self.warmup_steps, warmup, decayed)

  def get_config(self):
    return dict(peak_learning_rate=self.peak_learning_rate,
                decay_steps=self.decay_steps, warmup_steps=self.warmup_steps,
                final_learning_rate=self.final_learning_rate)

"""Stateless seeds that are the same for the same Python int."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp


def stateless_seed(seed):
  """A stateless seed `int32[2]` for `seed`.

  `tfp.random.sanitize_seed` draws the seed of a Python int with a stateful
  op, so two flows built with `seed=0` got different initial values. Here an
  int maps to fixed numbers, its low and high 31 bits; `None` still draws a
  fresh seed and a stateless seed passes through.

  Args:
    seed: Python `int`, stateless seed (shape `[2]`) or `None`.

  Returns:
    `int32` `Tensor` of shape `[2]`.
  """
  if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
    seed = int(seed)
    seed = tf.constant([(seed >> 31) & 0x7fffffff, seed & 0x7fffffff],
                       tf.int32)
  return tfp.random.sanitize_seed(seed)

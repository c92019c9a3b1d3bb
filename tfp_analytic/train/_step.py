"""The compiled training step, which skips steps that are not finite.

A step whose loss or gradient norm is NaN or inf leaves the variables and
the optimizer's state (moments, iterations) untouched: the update runs in a
`tf.cond` on the finiteness of the loss and of the gradients, summed over
the replicas first, so that every replica takes the same branch. This works
eagerly, in graph mode, under XLA and under `tf.distribute` (the pattern of
Keras' `LossScaleOptimizer`: gradients are all-reduced in the replicas, the
`tf.cond` runs in the cross-replica context).
"""

import tensorflow as tf

__all__ = ['make_step']


def _all_finite(loss, gradients):
  """`True` when the loss and the global gradient norm are finite.

  A finite norm also rules out gradients whose squares overflow, which turn
  Adam's second moment into `inf - inf = NaN` although every entry is finite.
  """
  return tf.logical_and(tf.math.is_finite(loss),
                        tf.math.is_finite(tf.linalg.global_norm(gradients)))


def make_step(variables, per_example_loss, optimizer, strategy, batch_size,
              summarize, jit_compile, skip_nonfinite=True):
  """One optimizer step over all replicas.

  Args:
    variables: the variables to train.
    per_example_loss: `(step_inputs, local_batch_size) -> (losses,
      diagnostics)` run in each replica.
    optimizer: a built `tf_keras` optimizer.
    strategy: a `tf.distribute.Strategy` (the default one without).
    batch_size: Python `int`, over all replicas.
    summarize: `None`, or a callable from the gathered diagnostics to a dict
      of scalars.
    jit_compile: Python `bool`.
    skip_nonfinite: Python `bool`; `False` applies every update (only to
      measure what the check costs).

  Returns:
    `step(inputs) -> (loss, finite, summaries)`, a `tf.function`.
  """
  local_batch_size = batch_size // strategy.num_replicas_in_sync

  def replica_gradients(step_inputs):
    with tf.GradientTape() as tape:
      losses, diagnostics = per_example_loss(step_inputs, local_batch_size)
      # Divided by the global batch: the replicas' gradients add up.
      loss = tf.nn.compute_average_loss(losses, global_batch_size=batch_size)
    gradients = tape.gradient(loss, variables,
                              unconnected_gradients='zero')
    if strategy.num_replicas_in_sync > 1:
      gradients = tf.distribute.get_replica_context().all_reduce(
          tf.distribute.ReduceOp.SUM, gradients)
    return loss, gradients, diagnostics

  def replica_apply(gradients):
    optimizer.apply_gradients(zip(gradients, variables),
                              experimental_aggregate_gradients=False)

  def apply(gradients):
    strategy.run(replica_apply, (gradients,))
    return tf.constant(True)

  def step(step_inputs):
    loss, gradients, diagnostics = strategy.run(replica_gradients,
                                                (step_inputs,))
    loss = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
    if skip_nonfinite:
      # Every replica holds the same summed gradients: check the first.
      finite = _all_finite(loss, [strategy.experimental_local_results(g)[0]
                                  for g in gradients])
      tf.cond(finite, lambda: apply(gradients), lambda: tf.constant(False))
    else:
      finite = apply(gradients)
    if summarize is None:
      return loss, finite, {}
    return loss, finite, summarize({k: strategy.gather(v, axis=0)
                                    for k, v in diagnostics.items()})

  return tf.function(step, jit_compile=jit_compile)

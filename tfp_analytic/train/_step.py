"""The training step, which skips steps that are not finite.

A step whose loss or gradient norm is NaN or inf leaves the variables and
the optimizer's state (moments, iterations) untouched: the update runs in a
`tf.cond` on the finiteness of the loss and of the gradients, summed over
the replicas first, so that every replica takes the same branch. This works
eagerly, in graph mode, under XLA and under `tf.distribute`, in
`fit_nll`'s step as in a Keras `train_step` (the pattern of Keras'
`LossScaleOptimizer`: the `tf.cond` runs in the cross-replica context when
the strategy synchronizes replicas by `merge_call`, in each replica when it
does not).
"""

import tensorflow as tf

__all__ = ['apply_gradients', 'make_step']


def _all_finite(loss, gradients):
  """`True` when the loss and the global gradient norm are finite.

  A finite norm also rules out gradients whose squares overflow, which turn
  Adam's second moment into `inf - inf = NaN` although every entry is finite.
  """
  return tf.logical_and(tf.math.is_finite(loss),
                        tf.math.is_finite(tf.linalg.global_norm(gradients)))


def apply_gradients(optimizer, variables, loss, gradients,
                    skip_nonfinite=True):
  """Sums a replica's loss and gradients over the replicas and applies them.

  Call it in a replica context: in `strategy.run`, in a Keras `train_step`,
  or outside any strategy.

  Args:
    optimizer: a `tf_keras` optimizer.
    variables: the variables that `gradients` belong to.
    loss: a scalar `Tensor`, this replica's share of the loss.
    gradients: a list of `Tensor`s, this replica's gradients of `loss`.
    skip_nonfinite: Python `bool`; `False` applies every update (only to
      measure what the check costs).

  Returns:
    a scalar `bool` `Tensor`, the same on every replica: `False` when the
    summed loss or gradients were not finite and nothing changed.
  """
  context = tf.distribute.get_replica_context()
  if context.num_replicas_in_sync > 1:
    loss, gradients = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                         (loss, gradients))

  def apply(gradients):
    optimizer.apply_gradients(zip(gradients, variables),
                              experimental_aggregate_gradients=False)
    return tf.constant(True)

  if not skip_nonfinite:
    return apply(gradients)
  if tf.__internal__.distribute.strategy_supports_no_merge_call():
    return tf.cond(_all_finite(loss, gradients), lambda: apply(gradients),
                   lambda: tf.constant(False))

  def cross_replica(strategy, loss, gradients):
    # The optimizer's update calls `merge_call`, which no `tf.cond` in a
    # replica context may hold. Every replica holds the same sums.
    first = lambda value: strategy.experimental_local_results(value)[0]
    finite = _all_finite(first(loss), [first(g) for g in gradients])

    def apply_in_replicas():
      strategy.extended.call_for_each_replica(apply, (gradients,))
      return tf.constant(True)
    return tf.cond(finite, apply_in_replicas, lambda: tf.constant(False))

  return context.merge_call(cross_replica, args=(loss, gradients))


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
    skip_nonfinite: Python `bool`, passed to `apply_gradients`.

  Returns:
    `step(inputs) -> (loss, finite, summaries)`, a `tf.function`.
  """
  local_batch_size = batch_size // strategy.num_replicas_in_sync

  def replica_step(step_inputs):
    with tf.GradientTape() as tape:
      losses, diagnostics = per_example_loss(step_inputs, local_batch_size)
      # Divided by the global batch: the replicas' gradients add up.
      loss = tf.nn.compute_average_loss(losses, global_batch_size=batch_size)
    gradients = tape.gradient(loss, variables,
                              unconnected_gradients='zero')
    finite = apply_gradients(optimizer, variables, loss, gradients,
                             skip_nonfinite)
    return loss, finite, diagnostics

  def step(step_inputs):
    loss, finite, diagnostics = strategy.run(replica_step, (step_inputs,))
    loss = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
    finite = strategy.experimental_local_results(finite)[0]
    if summarize is None:
      return loss, finite, {}
    return loss, finite, summarize({k: strategy.gather(v, axis=0)
                                    for k, v in diagnostics.items()})

  return tf.function(step, jit_compile=jit_compile)

"""Training loops: maximum likelihood on samples and reverse KL to a target.

Both loops compile one training step with XLA, draw every batch afresh,
report a progress bar, return the loss of every step, and can checkpoint to
a directory so that an interrupted run loses nothing and resumes where it
stopped, with the same batches as an uninterrupted run. Inputs are checked
before any step runs, and a step whose loss or gradients are not finite is
skipped (`_step.apply_gradients`).
"""

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_analytic.flows.conditional import ConditionalFlow
from tfp_analytic.train import _checks
from tfp_analytic.train import _guard
from tfp_analytic.train import _loop
from tfp_analytic.train import _step
from tfp_analytic.train import metrics
from tfp_analytic.train.schedules import WarmupExponentialDecay

__all__ = ['fit_nll', 'fit_reverse_kl']

_FIT_ARGS_DOC = """
    batch_size: Python `int`, samples per step (over all replicas).
    learning_rate: Python `float`, the (peak) learning rate of the default
      Adam optimizer.
    warmup_steps: Python `int`, linear warmup steps of the default optimizer.
    final_learning_rate: Python `float`; when set, the rate decays
      exponentially from `learning_rate` after warmup to this at the end.
    clip_norm: Python `float`; when set, the default optimizer clips the
      global gradient norm to it.
    optimizer: a `tf_keras.optimizers.Optimizer`, replacing the default Adam
      (then the three arguments above are ignored); its state lives on in it.
    seed: Python `int`, seeds the batches.
    strategy: a `tf.distribute.Strategy` that `flow` was built under (its
      `scope()`); each replica takes `batch_size / num_replicas` samples.
    jit_compile: Python `bool`; defaults to `True` without a strategy. XLA
      cannot compile a step whose variables live on several devices, so a
      strategy defaults to graph mode.
    checkpoint_dir: optional directory; the flow, the optimizer and the step
      are saved there every `checkpoint_every` steps and at the end (also when
      interrupted), and a later call resumes from the latest checkpoint, up to
      `num_steps` steps in all, with the batches an uninterrupted run with
      the same `seed` would have drawn (on CPU it ends at the same weights,
      bit for bit). The losses so far are saved with each checkpoint, so a
      resumed call returns the history of the whole run.
    checkpoint_every: Python `int`.
    progress: Python `bool`, show a `tqdm` progress bar with the number of
      skipped steps (only where stderr is a terminal, or in a notebook: in
      logs and CI it stays off).
    max_bad_steps: Python `int`. A step whose loss or gradients hold a NaN or
      an inf is skipped: neither the variables nor the optimizer's state
      change, and a `RuntimeWarning` at the end counts such steps. After
      `max_bad_steps` of them in a row, training stops with a
      `FloatingPointError` whose `first_refused_step` attribute is the first
      step of the streak; the flow keeps the weights of the last finite
      step, and so does the checkpoint written then.
"""


def _batch_seeds(seed, start=0):
  """Endless stateless seeds (`int32[2]`), one per step, from step `start`."""
  rng = np.random.default_rng(seed)
  rng.integers(0, 2**31 - 1, size=(start, 2))  # The seeds of earlier steps.
  while True:
    yield tf.constant(rng.integers(0, 2**31 - 1, size=2), tf.int32)


def _replica_seed(seed):
  """Folds the replica id into a step's seed, so replicas draw apart."""
  replica_id = tf.distribute.get_replica_context().replica_id_in_sync_group
  return tf.random.experimental.stateless_fold_in(seed, replica_id)


def _default_optimizer(learning_rate, num_steps, warmup_steps,
                       final_learning_rate, clip_norm):
  """Adam, with warmup and decay when asked, clipping the global norm."""
  if warmup_steps or final_learning_rate is not None:
    learning_rate = WarmupExponentialDecay(
        learning_rate, max(num_steps - warmup_steps, 1), warmup_steps,
        final_learning_rate)
  return tf_keras.optimizers.Adam(learning_rate, global_clipnorm=clip_norm)


def _fit(flow, per_example_loss, make_inputs, num_steps, batch_size, *,
         learning_rate, warmup_steps, final_learning_rate, clip_norm,
         optimizer, strategy, jit_compile, checkpoint_dir, checkpoint_every,
         progress, max_bad_steps, description, summarize=None, on_step=None,
         refusal=_loop.NOT_FINITE):
  """Minimizes `mean(per_example_loss(inputs))` step by step.

  `per_example_loss(step_inputs, local_batch_size)` runs in each replica and
  returns the per-example losses and a dict of per-example diagnostics, which
  `summarize` turns into a dict of scalars once gathered from all replicas;
  `make_inputs(k)` yields the inputs of steps `k + 1, k + 2, ...`.
  `on_step(k)`, if given, runs after step `k`; a true result stops training.
  """
  _checks.check_size('num_steps', num_steps, 0)
  _checks.check_size('batch_size', batch_size)
  _checks.check_size('checkpoint_every', checkpoint_every)
  _checks.check_size('max_bad_steps', max_bad_steps)
  if strategy is None:
    strategy = tf.distribute.get_strategy()
    jit_compile = True if jit_compile is None else jit_compile
  if batch_size % strategy.num_replicas_in_sync:
    raise ValueError(f'`batch_size` {batch_size} must be a multiple of the '
                     f'{strategy.num_replicas_in_sync} replicas')
  variables = flow.trainable_variables
  if not variables:
    raise ValueError('the flow has no trainable variables')
  with strategy.scope():
    if optimizer is None:
      optimizer = _default_optimizer(learning_rate, num_steps, warmup_steps,
                                     final_learning_rate, clip_norm)
    optimizer.build(variables)
  step = _step.make_step(variables, per_example_loss, optimizer, strategy,
                         batch_size, summarize, jit_compile)
  run = _loop.Run(tf.train.Checkpoint(flow=flow, optimizer=optimizer),
             checkpoint_dir, checkpoint_every, max_bad_steps, description,
             refusal)
  history = run(step, make_inputs, num_steps, progress, on_step)
  result = {'loss': np.array([float(loss) for loss, _ in history])}
  for key in (history[0][1] if history else {}):
    result[key] = np.array([float(diag[key]) for _, diag in history])
  return result


def fit_nll(flow, data, num_steps, batch_size=256, learning_rate=1e-3, *,
            warmup_steps=0, final_learning_rate=None, clip_norm=None,
            optimizer=None, seed=0, strategy=None, jit_compile=None,
            checkpoint_dir=None, checkpoint_every=1000, progress=True,
            validation_data=None, validate_every=250, max_bad_steps=10,
            round_trip_tolerance=None):
  """Trains `flow` by maximum likelihood: minimizes `-mean(log_prob(x))`.

  A `flows.ConditionalFlow` trains on pairs: it minimizes
  `-mean(log_prob(x, context))`, and every array below becomes a pair
  `(x, context)` of arrays `[n, *event_shape]` and `[n, context_size]`
  (a callable returns such a pair of tensors).

  Args:
    flow: a distribution with trainable variables (e.g. from
      `tfp_analytic.flows`), or a `flows.ConditionalFlow`.
    data: an array `[n, *event_shape]` of real numbers, cast to the flow's
      dtype, from which each step takes a batch (without replacement within
      an epoch), or a callable `data(batch_size, seed)` returning fresh
      samples of the flow's dtype for a stateless `int32[2]` `seed`; it runs
      inside the compiled step, so it must use TF ops (e.g.
      `tf.random.stateless_normal`). An array with NaN or inf values, of
      another event shape or with fewer than `batch_size` rows raises a
      `ValueError` before any step runs.
    num_steps: Python `int`, total optimizer steps.
{args}    validation_data: optional array `[m, *event_shape]` (a pair for a
      conditional flow); its mean NLL is measured every `validate_every`
      steps and at the end, and the flow ends with the variables of the
      best measurement (early stopping for small datasets, where the
      training NLL keeps falling as the held-out one rises). It is checked
      as `data` is.
    validate_every: Python `int`.
    round_trip_tolerance: optional Python `float`. A deep flow can become so
      badly conditioned that its computed inverse is far from the true one,
      and its `log_prob` no density (`metrics.round_trip_error`); NLL
      training then exploits the error. With a tolerance, each step also
      pushes 32 points of its batch through the inverse and back, and a
      step whose largest relative error exceeds it is refused like a
      non-finite one (and counts towards `max_bad_steps`).

  Returns:
    dict with `'loss'`: numpy array of the mean NLL of each step run; with
    `validation_data` also `'validation'`, rows `(step, mean NLL)`, and
    `'best_step'`; with `round_trip_tolerance`, `'round_trip_error'`, the
    largest of each step's probe.

  #### Example

  ```python
  import numpy as np
  from tfp_analytic import flows, train
  data = np.random.default_rng(0).normal(size=(512, 2)).astype(np.float32)
  flow = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,))
  history = train.fit_nll(flow, data, num_steps=5, batch_size=64,
                          progress=False)
  history['loss'].shape  # ==> (5,)
  ```
  """
  _checks.check_size('batch_size', batch_size)
  nll = _NLL(flow, round_trip_tolerance)
  if callable(data):
    def per_example_loss(seed, local_batch_size):
      batch = data(local_batch_size, _replica_seed(seed))
      return nll(_checks.check_batch(flow, batch))
    make_inputs = lambda start: _batch_seeds(seed, start)
  else:
    data = _checks.check_examples(flow, data, min_examples=batch_size)
    def per_example_loss(batch, local_batch_size):
      del local_batch_size
      return nll(batch)
    make_inputs = lambda start: _minibatches(data, batch_size, seed, strategy,
                                             start)
  best = None
  if validation_data is not None:
    best = _BestOnValidation(flow, validation_data, validate_every, num_steps)
  result = _fit(flow, per_example_loss, make_inputs, num_steps, batch_size,
                learning_rate=learning_rate, warmup_steps=warmup_steps,
                final_learning_rate=final_learning_rate, clip_norm=clip_norm,
                optimizer=optimizer, strategy=strategy,
                jit_compile=jit_compile, checkpoint_dir=checkpoint_dir,
                checkpoint_every=checkpoint_every, progress=progress,
                max_bad_steps=max_bad_steps, description='NLL', on_step=best,
                summarize=nll.summarize, refusal=nll.refusal)
  if best is not None:
    result.update(best.restore())
  return result


class _NLL:
  """The per-example NLL of a batch, refused where the round trip fails."""

  def __init__(self, flow, tolerance):
    self._flow = flow
    self._guard = _guard.RoundTripGuard(flow, tolerance)
    self.refusal = self._guard.refusal
    self.summarize = None if tolerance is None else (lambda diagnostics: {
        'round_trip_error': tf.reduce_max(diagnostics['round_trip_error'])})

  def __call__(self, batch):
    losses, error = self._guard(-self._flow.log_prob(*batch), *batch)
    return losses, ({} if error is None else {'round_trip_error': error})


class _BestOnValidation:
  """Measures the validation NLL every few steps and keeps the best weights.

  Called after each step (`on_step` of `_fit`); `restore()` puts the best
  variable values back.
  """

  def __init__(self, flow, data, every, num_steps):
    _checks.check_size('validate_every', every)
    self._variables = flow.trainable_variables
    self._data = _checks.check_examples(flow, data, name='validation_data')
    self._log_prob = tf.function(flow.log_prob)
    self._every, self._last = every, num_steps
    self._rows, self._best = [], None

  def __call__(self, k):
    if k % self._every and k != self._last:
      return
    nll = metrics.mean_nll(self._log_prob, self._data)
    self._rows.append((k, nll))
    if self._best is None or nll < self._best[1]:
      self._best = (k, nll, [v.numpy() for v in self._variables])

  def restore(self):
    if self._best is None:
      return {}
    for variable, value in zip(self._variables, self._best[2]):
      variable.assign(value)
    return dict(validation=np.array(self._rows), best_step=self._best[0])


def _minibatches(arrays, batch_size, seed, strategy, start=0):
  """Endless shuffled batches from step `start`; split across replicas.

  A batch is a tuple of `Tensor`s, the same rows of each of `arrays`.
  """
  rng = np.random.default_rng(seed)
  size = len(arrays[0])
  num_batches = size // batch_size
  for _ in range(start // num_batches):  # The epochs before step `start`.
    rng.permutation(size)
  first = start % num_batches
  while True:
    order = rng.permutation(size)
    for k in range(first, num_batches):
      rows = order[k * batch_size:(k + 1) * batch_size]
      batch = tuple(tf.constant(array[rows]) for array in arrays)
      if strategy is None:
        yield batch
      else:
        yield strategy.experimental_distribute_values_from_function(
            lambda ctx, batch=batch: tuple(
                tf.split(part, ctx.num_replicas_in_sync)[
                    ctx.replica_id_in_sync_group] for part in batch))
    first = 0


def fit_reverse_kl(flow, target_log_prob, num_steps, batch_size=256,
                   learning_rate=1e-3, *, warmup_steps=0,
                   final_learning_rate=None, clip_norm=None, optimizer=None,
                   seed=0, strategy=None, jit_compile=None,
                   checkpoint_dir=None, checkpoint_every=1000, progress=True,
                   max_bad_steps=10, on_step=None):
  """Trains `flow` on an unnormalized target: minimizes `E_q[log q - log p~]`.

  Samples come from the flow with their log-density in one sweep
  (`experimental_sample_and_log_prob`), with reparametrized gradients; a
  coupling flow or an IAF does this in one pass per layer.

  Args:
    flow: a distribution with trainable variables (e.g. from
      `tfp_analytic.flows`).
    target_log_prob: callable from samples `[n, *event_shape]` to the
      unnormalized target log-density `[n]` of the flow's dtype, in TF ops
      (another shape or dtype raises before any step runs).
    num_steps: Python `int`, total optimizer steps.
{args}    on_step: optional callable `on_step(k)`, run eagerly after step `k`
      (counted from the first step of the run, resumed ones included), e.g.
      to evaluate the flow every few thousand steps without leaving the
      compiled step; when it returns a true value, training stops after step
      `k` (and writes its checkpoint, as at the end).

  Returns:
    dict with numpy arrays over the steps run: `'loss'` (the reverse KL up to
    `log Z`) and `'ess'` (the normalized effective sample size of the batch).

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import flows, train
  flow = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,))
  target = lambda x: -tf.reduce_sum(((x - 1.) / 0.5)**2, axis=-1) / 2.
  history = train.fit_reverse_kl(flow, target, num_steps=5, batch_size=64,
                                 progress=False)
  sorted(history)  # ==> ['ess', 'loss']
  ```
  """
  if isinstance(flow, ConditionalFlow):
    raise ValueError('fit_reverse_kl trains one distribution; for a '
                     'conditional flow pass `cf(context)`, the flow at a '
                     'fixed context')

  def per_example_loss(seed, local_batch_size):
    x, log_q = flow.experimental_sample_and_log_prob(
        local_batch_size, seed=_replica_seed(seed))
    log_p = _checks.check_log_prob_values(flow, target_log_prob(x))
    return log_q - log_p, {'log_w': log_p - log_q}

  return _fit(flow, per_example_loss, lambda start: _batch_seeds(seed, start),
              num_steps,
              batch_size, learning_rate=learning_rate,
              warmup_steps=warmup_steps,
              final_learning_rate=final_learning_rate, clip_norm=clip_norm,
              optimizer=optimizer, strategy=strategy, jit_compile=jit_compile,
              checkpoint_dir=checkpoint_dir,
              checkpoint_every=checkpoint_every, progress=progress,
              max_bad_steps=max_bad_steps, description='reverse KL',
              on_step=on_step, summarize=lambda d: {
                  'ess': metrics.effective_sample_size(d['log_w'], 0.)})


fit_nll.__doc__ = fit_nll.__doc__.format(args=_FIT_ARGS_DOC)
fit_reverse_kl.__doc__ = fit_reverse_kl.__doc__.format(args=_FIT_ARGS_DOC)

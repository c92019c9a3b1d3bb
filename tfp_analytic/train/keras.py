"""A `tf_keras.Model` that trains a flow by maximum likelihood."""

import inspect

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_analytic.flows.conditional import ConditionalFlow
from tfp_analytic.train import _checks
from tfp_analytic.train import _guard
from tfp_analytic.train import _step

__all__ = ['FlowModel']


class FlowModel(tf_keras.Model):
  """Wraps a flow so that `compile` and `fit` minimize `-mean(log_prob(x))`.

  Keras' progress bar, callbacks (`ModelCheckpoint` with
  `save_weights_only=True`, `EarlyStopping`, ...), `jit_compile=True` and
  distribution strategies all work (not both at once over several CPU
  devices, which XLA cannot compile). `fit` takes the samples as `x` (no
  targets); `evaluate` reports the mean NLL. Calling the model returns
  `log_prob`. TFP's layers are Keras 2 layers, so this is a `tf_keras` (not
  Keras 3) model.

  Arrays given to `fit`, `evaluate` and `predict` are checked as in
  `train.fit_nll` (real numbers, the flow's event shape, not empty, no NaN or
  inf) and converted to the flow's dtype, which Keras would otherwise cast to
  float32; other inputs (e.g. a `tf.data.Dataset`) are cast in each step.

  A `flows.ConditionalFlow` trains on pairs: `fit((x, context), ...)`,
  `validation_data=(x_val, context_val)`, and a `tf.data.Dataset` of
  `((x, context),)` elements; calling the model on `(x, context)` returns
  `log_prob(x, context)`.

  A training step whose loss or gradients hold a NaN or an inf is skipped, as
  in `train.fit_nll`: neither the variables nor the optimizer's state
  (`iterations`, moments) change. The logs count such steps in each epoch as
  `skipped_steps`, and their `loss` averages the steps that were applied.
  After `max_bad_steps` skipped steps in a row, `fit` stops training, lets
  the callbacks finish (`on_train_end`) and raises a `FloatingPointError`;
  the model keeps the weights of the last finite step, and `model.history`
  holds the logs up to then. (With `steps_per_execution > 1`, an execution
  counts towards the streak only if all of its steps were skipped.)

  With `round_trip_tolerance`, a step is also skipped when it leaves the
  flow's round trip off by more than that, as in `train.fit_nll`; the logs
  then carry `round_trip_error`, the mean over the epoch's steps of the
  largest error of each step's probe.

  Args:
    flow: a distribution with trainable variables (e.g. from
      `tfp_analytic.flows`), or a `flows.ConditionalFlow`.
    max_bad_steps: Python `int`, skipped steps in a row that stop `fit`.
    round_trip_tolerance: optional Python `float`, as in `train.fit_nll`.
    **kwargs: passed to `tf_keras.Model`.

  #### Example

  ```python
  import numpy as np
  import tf_keras
  from tfp_analytic import flows, train
  data = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
  model = train.FlowModel(flows.coupling_flow(2, 'affine', num_layers=2,
                                              hidden_units=(8,)))
  model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
  history = model.fit(data, batch_size=64, epochs=2, verbose=0)
  len(history.history['loss'])  # ==> 2
  ```
  """

  def __init__(self, flow, max_bad_steps=10, round_trip_tolerance=None,
               **kwargs):
    _checks.check_size('max_bad_steps', max_bad_steps)
    self._guard = _guard.RoundTripGuard(flow, round_trip_tolerance)
    super().__init__(**{'dtype': flow.dtype, **kwargs})
    self.flow = flow
    self.max_bad_steps = max_bad_steps
    self._loss_tracker = tf_keras.metrics.Mean(name='loss')
    self._skipped_tracker = tf_keras.metrics.Sum(name='skipped_steps')
    self._round_trip_tracker = tf_keras.metrics.Mean(name='round_trip_error')

  @property
  def metrics(self):
    guarded = self._guard.tolerance is not None
    return [self._loss_tracker, self._skipped_tracker,
            *([self._round_trip_tracker] if guarded else [])]

  def _samples(self, x, name):
    """Checked arrays as `Tensor`s of the flow's dtype; others unchanged.

    A conditional flow's pair `(x, context)` stays a pair.
    """
    pair = isinstance(self.flow, ConditionalFlow) and isinstance(x, tuple)
    if not (pair or isinstance(x, (np.ndarray, list)) or tf.is_tensor(x)):
      return x
    arrays = _checks.check_examples(self.flow, x, name=name)
    tensors = tuple(tf.convert_to_tensor(array) for array in arrays)
    return tensors if pair else tensors[0]

  def fit(self, x=None, *args, **kwargs):
    """`tf_keras.Model.fit`, which raises after `max_bad_steps` bad steps.

    Args:
      x: the samples, checked as the class docstring says.
      *args: the other arguments of `tf_keras.Model.fit`.
      **kwargs: the other arguments of `tf_keras.Model.fit`.

    Returns:
      the `History`.

    Raises:
      FloatingPointError: after `max_bad_steps` skipped steps in a row.
    """
    arguments = inspect.signature(super().fit).bind(x, *args, **kwargs)
    arguments = arguments.arguments
    arguments['x'] = self._samples(x, 'x')
    if arguments.get('validation_data') is not None:
      validation = self._samples(arguments['validation_data'],
                                 'validation_data')
      # Keras reads a pair as (x, y): a conditional flow's pair is one x.
      arguments['validation_data'] = (
          (validation,) if isinstance(self.flow, ConditionalFlow) and
          isinstance(validation, tuple) else validation)
    stop = _StopOnBadSteps(self.max_bad_steps, self._guard.refusal)
    arguments['callbacks'] = [*(arguments.get('callbacks') or []), stop]
    history = super().fit(**arguments)
    if stop.message is not None:
      raise FloatingPointError(stop.message)
    return history

  def evaluate(self, x=None, *args, **kwargs):
    return super().evaluate(self._samples(x, 'x'), *args, **kwargs)

  def predict(self, x, *args, **kwargs):
    return super().predict(self._samples(x, 'x'), *args, **kwargs)

  def call(self, inputs):
    # `(x, context)` for a conditional flow.
    return self.flow.log_prob(*(tf.cast(part, self.flow.dtype)
                                for part in tf.nest.flatten(inputs)))

  def _nll(self, data, guarded=False):
    x, _, sample_weight = tf_keras.utils.unpack_x_y_sample_weight(data)
    nll = -self.call(x)
    if guarded and self._guard.tolerance is not None:
      nll, error = self._guard(nll, *(tf.cast(part, self.flow.dtype)
                                      for part in tf.nest.flatten(x)))
      self._round_trip_tracker.update_state(tf.reduce_max(error))
    if sample_weight is None:
      return tf.reduce_mean(nll)
    return tf.reduce_sum(nll * sample_weight) / tf.reduce_sum(sample_weight)

  def train_step(self, data):
    replicas = tf.distribute.get_replica_context()
    with tf.GradientTape() as tape:
      loss = self._nll(data, guarded=True)
      # This replica's share of the mean over replicas, which add up.
      share = loss / replicas.num_replicas_in_sync
    variables = self.trainable_variables
    finite = _step.apply_gradients(
        self.optimizer, variables, share,
        tape.gradient(share, variables, unconnected_gradients='zero'))
    # A skipped step adds nothing to the loss.
    self._loss_tracker.update_state(tf.where(finite, loss, tf.zeros_like(loss)),
                                    sample_weight=tf.cast(finite, loss.dtype))
    # It counts once, not once per replica (the metric sums the replicas).
    first = tf.equal(replicas.replica_id_in_sync_group, 0)
    self._skipped_tracker.update_state(
        tf.cast(tf.logical_and(tf.logical_not(finite), first), tf.float32))
    return {m.name: m.result() for m in self.metrics}

  def test_step(self, data):
    self._loss_tracker.update_state(self._nll(data))
    return {'loss': self._loss_tracker.result()}


class _StopOnBadSteps(tf_keras.callbacks.Callback):
  """Stops `fit` after `max_bad_steps` skipped steps in a row.

  Reads the epoch's `skipped_steps` after each execution of
  `steps_per_execution` steps; `message` says why it stopped, or is `None`.

  Args:
    max_bad_steps: Python `int`.
    refusal: what the skipped steps had, for the message.
  """

  def __init__(self, max_bad_steps, refusal):
    super().__init__()
    self._max_bad, self._refusal = max_bad_steps, refusal
    self._streak, self._epoch, self._batch, self._skipped = 0, 0, -1, 0
    self.message = None

  def on_epoch_begin(self, epoch, logs=None):
    self._epoch, self._batch, self._skipped = epoch, -1, 0

  def on_train_batch_end(self, batch, logs=None):
    skipped = int(logs['skipped_steps'])
    steps, bad = batch - self._batch, skipped - self._skipped
    self._batch, self._skipped = batch, skipped
    self._streak = self._streak + bad if bad == steps else 0
    if self._streak >= self._max_bad:
      self.model.stop_training = True
      self.message = (
          f'FlowModel.fit: {self._streak} steps in a row (up to step '
          f'{batch + 1} of epoch {self._epoch + 1}) {self._refusal}, so '
          f'training stopped. The model keeps the weights from before them, '
          f'the last accepted step; `model.history` holds the '
          f'logs up to then. Check the data for NaN or inf, lower the '
          f'learning rate or set the optimizer\'s `global_clipnorm`.')

"""A `tf_keras.Model` that trains a flow by maximum likelihood."""

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_analytic.train import _checks

__all__ = ['FlowModel']


class FlowModel(tf_keras.Model):
  """Wraps a flow so that `compile` and `fit` minimize `-mean(log_prob(x))`.

  Keras' progress bar, callbacks (`ModelCheckpoint` with
  `save_weights_only=True`, `EarlyStopping`, ...), `jit_compile=True` and
  distribution strategies all work. `fit` takes the samples as `x` (no
  targets); `evaluate` reports the mean NLL. Calling the model returns
  `log_prob`. TFP's layers are Keras 2 layers, so this is a `tf_keras` (not
  Keras 3) model.

  Arrays given to `fit`, `evaluate` and `predict` are checked as in
  `train.fit_nll` (real numbers, the flow's event shape, not empty, no NaN or
  inf) and converted to the flow's dtype, which Keras would otherwise cast to
  float32; other inputs (e.g. a `tf.data.Dataset`) are cast in each step.
  Keras' `TerminateOnNaN` callback stops a diverging `fit`.

  Args:
    flow: a distribution with trainable variables (e.g. from
      `tfp_analytic.flows`).
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

  def __init__(self, flow, **kwargs):
    super().__init__(**{'dtype': flow.dtype, **kwargs})
    self.flow = flow
    self._loss_tracker = tf_keras.metrics.Mean(name='loss')

  @property
  def metrics(self):
    return [self._loss_tracker]

  def _samples(self, x, name):
    """A checked array as a `Tensor` of the flow's dtype; others unchanged."""
    if isinstance(x, (np.ndarray, list)) or tf.is_tensor(x):
      return tf.convert_to_tensor(_checks.check_data(self.flow, x, name=name))
    return x

  def fit(self, x=None, *args, **kwargs):
    if kwargs.get('validation_data') is not None:
      kwargs['validation_data'] = self._samples(kwargs['validation_data'],
                                                'validation_data')
    return super().fit(self._samples(x, 'x'), *args, **kwargs)

  def evaluate(self, x=None, *args, **kwargs):
    return super().evaluate(self._samples(x, 'x'), *args, **kwargs)

  def predict(self, x, *args, **kwargs):
    return super().predict(self._samples(x, 'x'), *args, **kwargs)

  def call(self, inputs):
    return self.flow.log_prob(tf.cast(inputs, self.flow.dtype))

  def _nll(self, data):
    x, _, sample_weight = tf_keras.utils.unpack_x_y_sample_weight(data)
    nll = -self.flow.log_prob(tf.cast(x, self.flow.dtype))
    if sample_weight is None:
      return tf.reduce_mean(nll)
    return tf.reduce_sum(nll * sample_weight) / tf.reduce_sum(sample_weight)

  def train_step(self, data):
    with tf.GradientTape() as tape:
      loss = self._nll(data)
    variables = self.trainable_variables
    self.optimizer.apply_gradients(zip(tape.gradient(loss, variables),
                                       variables))
    self._loss_tracker.update_state(loss)
    return {'loss': self._loss_tracker.result()}

  def test_step(self, data):
    self._loss_tracker.update_state(self._nll(data))
    return {'loss': self._loss_tracker.result()}

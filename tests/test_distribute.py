"""One MirroredStrategy step on two logical CPUs equals the single-device step,
and a step that is not finite on one replica is skipped on all, in `fit_nll`
and in Keras' `fit` of a `FlowModel`.

The CPU must be split before TensorFlow runs any op, so the check runs in a
fresh process.
"""

import os
import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import tf_keras
    from tfp_analytic import flows, train

    def build():
      return flows.coupling_flow(2, 'affine', num_layers=2,
                                 hidden_units=(16,))

    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    with strategy.scope():
      mirrored = build()
      mirrored_optimizer = tf_keras.optimizers.SGD(0.1)
    single = build()
    rng = np.random.default_rng(0)
    for a, b in zip(mirrored.trainable_variables, single.trainable_variables):
      value = 0.1 * rng.normal(size=a.shape).astype(np.float32)
      a.assign(value)
      b.assign(value)
    data = rng.normal(size=(64, 2)).astype(np.float32)
    loss_mirrored = train.fit_nll(mirrored, data, 1, batch_size=64,
                                  optimizer=mirrored_optimizer,
                                  strategy=strategy, progress=False)['loss']
    loss_single = train.fit_nll(single, data, 1, batch_size=64,
                                optimizer=tf_keras.optimizers.SGD(0.1),
                                jit_compile=False, progress=False)['loss']
    np.testing.assert_allclose(loss_mirrored, loss_single, rtol=1e-6)
    for a, b in zip(mirrored.trainable_variables, single.trainable_variables):
      np.testing.assert_allclose(a.values[0], b, atol=1e-7)
      np.testing.assert_array_equal(a.values[0], a.values[1])
    # The default optimizer and reverse KL run under the strategy too.
    history = train.fit_reverse_kl(
        mirrored, lambda x: -tf.reduce_sum(x**2, axis=-1) / 2., 2,
        batch_size=64, strategy=strategy, progress=False)
    assert np.all(np.isfinite(history['loss'])) and history['ess'].shape == (2,)
    # NaN on the second replica only: every replica skips the step, and the
    # weights and the optimizer's state stay as they were.
    def nan_on_replica_1(n, seed):
      replica = tf.distribute.get_replica_context().replica_id_in_sync_group
      x = tf.random.stateless_normal([n, 2], seed)
      return tf.where(tf.equal(replica, 1), np.nan, x)
    before = [a.values[0].numpy() for a in mirrored.trainable_variables]
    iterations = mirrored_optimizer.iterations.numpy()
    try:
      train.fit_nll(mirrored, nan_on_replica_1, 2, batch_size=64,
                    optimizer=mirrored_optimizer, strategy=strategy,
                    max_bad_steps=2, progress=False)
      raise AssertionError('no FloatingPointError')
    except FloatingPointError as error:
      assert '2 steps in a row' in str(error), error
    assert mirrored_optimizer.iterations.numpy() == iterations
    for a, value in zip(mirrored.trainable_variables, before):
      np.testing.assert_array_equal(a.values[0], value)
      np.testing.assert_array_equal(a.values[1], value)
    # Keras: one mirrored step equals the single-device step (the replicas'
    # gradients add up to the mean's), and the same skipping and stopping.
    with strategy.scope():
      model = train.FlowModel(build(), max_bad_steps=2)
      model.compile(optimizer=tf_keras.optimizers.SGD(0.1))
    single = train.FlowModel(build())
    single.compile(optimizer=tf_keras.optimizers.SGD(0.1))
    for a, b in zip(model.trainable_variables, single.trainable_variables):
      value = 0.1 * rng.normal(size=a.shape).astype(np.float32)
      a.assign(value)
      b.assign(value)
    losses = [m.fit(data, batch_size=64, verbose=0).history['loss']
              for m in (model, single)]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)
    for a, b in zip(model.trainable_variables, single.trainable_variables):
      np.testing.assert_allclose(a.values[0], b, atol=1e-7)
    # NaN in the second half of each batch, which replica 1 gets.
    bad = np.concatenate([data[:32], np.full([32, 2], np.nan, np.float32)])
    before = [a.values[0].numpy() for a in model.trainable_variables]
    iterations = model.optimizer.iterations.numpy()
    try:
      model.fit(tf.data.Dataset.from_tensors(bad).repeat(5), verbose=0)
      raise AssertionError('no FloatingPointError')
    except FloatingPointError as error:
      assert '2 steps in a row' in str(error), error
    # Counted once per step, not once per replica.
    assert model.history.history['skipped_steps'] == [2.]
    assert model.optimizer.iterations.numpy() == iterations
    for a, value in zip(model.trainable_variables, before):
      np.testing.assert_array_equal(a.values[0], value)
      np.testing.assert_array_equal(a.values[1], value)
    print('OK')
''')


def test_mirrored_step_equals_single_device_step():
  result = subprocess.run([sys.executable, '-c', _SCRIPT], capture_output=True,
                          text=True, env={**os.environ,
                                          'TF_CPP_MIN_LOG_LEVEL': '3',
                                          'CUDA_VISIBLE_DEVICES': ''})
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith('OK')

"""One MirroredStrategy step on two logical CPUs equals the single-device step.

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
    print('OK')
''')


def test_mirrored_step_equals_single_device_step():
  result = subprocess.run([sys.executable, '-c', _SCRIPT], capture_output=True,
                          text=True, env={**os.environ,
                                          'TF_CPP_MIN_LOG_LEVEL': '3',
                                          'CUDA_VISIBLE_DEVICES': ''})
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith('OK')

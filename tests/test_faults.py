"""Fault injection: bad inputs fail early and clearly; bad steps never reach
the weights; interrupted runs resume exactly; damaged files name their path.

`BAD_INPUTS` is the registry: one row per mistake, with the exact error type
and a fragment of its message. Adding a check means adding a row.
"""

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tests import test_flows
from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.experiments import tabular
from tfp_analytic.train import fit as fit_module

_RNG = np.random.default_rng(0)
DATA = _RNG.normal(size=(100, 2)).astype(np.float32)


def _flow(dtype=tf.float32):
  return flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,),
                             dtype=dtype)


def _with(data, row, value):
  data = np.array(data)
  data[row] = value
  return data


def _fit(data, **kwargs):
  kwargs = {'batch_size': 50, 'progress': False, 'jit_compile': False,
            **kwargs}
  return lambda: train.fit_nll(_flow(), data, 3, **kwargs)


def _keras_fit(data):
  def run():
    model = train.FlowModel(_flow())
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
    model.fit(data, batch_size=50, verbose=0)
  return run


def _reverse_kl(target):
  return lambda: train.fit_reverse_kl(_flow(), target, 2, batch_size=8,
                                      jit_compile=False, progress=False)


def _tabular(tmp_path, splits, names=('train', 'val', 'test')):
  (tmp_path / 'bad').mkdir()
  for name, array in zip(names, splits):
    np.save(tmp_path / 'bad' / f'{name}.npy', array)
  return tabular.load_tabular(tmp_path, 'bad')


def _export_twice(tmp_path):
  train.export_saved_model(_flow(), str(tmp_path / 'model'))
  train.export_saved_model(_flow(), str(tmp_path / 'model'))


def _load_damaged(tmp_path):
  path = train.export_saved_model(_flow(), str(tmp_path / 'model'))
  with open(os.path.join(path, 'saved_model.pb'), 'r+b') as f:
    f.truncate(100)
  train.load_saved_model(path)


def _resume_damaged(tmp_path):
  directory = str(tmp_path / 'run')
  train.fit_nll(_flow(), DATA, 2, batch_size=50, checkpoint_dir=directory,
                jit_compile=False, progress=False)
  data_file = tf.train.latest_checkpoint(directory) + (
      '.data-00000-of-00001')
  with open(data_file, 'r+b') as f:
    f.truncate(16)
  train.fit_nll(_flow(), DATA, 4, batch_size=50, checkpoint_dir=directory,
                jit_compile=False, progress=False)


# name -> (run(tmp_path), error type, message fragment).
BAD_INPUTS = {
    'nan': (lambda _: _fit(_with(DATA, 7, np.nan))(), ValueError,
            '`data` has 1 rows with NaN or inf values (the first is row 7)'),
    'inf': (lambda _: _fit(_with(DATA, 3, np.inf))(), ValueError,
            'rows with NaN or inf values (the first is row 3)'),
    'overflow_in_cast': (lambda _: _fit(np.full([100, 2], 1e300))(),
                         ValueError, 'after the cast to float32'),
    'wrong_event_shape': (
        lambda _: train.fit_nll(_flow(), np.zeros([100, 3]), 3,
                                progress=False),
        ValueError, '`data` must have shape [n, 2] for a flow with event '
                    'shape [2], got [100, 3]'),
    'wrong_dtype': (lambda _: _fit(DATA.astype(np.complex64))(), TypeError,
                    'must hold real numbers'),
    'strings': (lambda _: _fit(DATA.astype(str))(), TypeError,
                'must hold real numbers'),
    'empty': (lambda _: _fit(np.zeros([0, 2]))(), ValueError,
              '`data` is empty'),
    'too_small': (lambda _: _fit(DATA[:20])(), ValueError,
                  '`data` has only 20 rows; at least 50 are needed'),
    'bad_batch_size': (lambda _: _fit(DATA, batch_size=0)(), ValueError,
                       'need an integer `batch_size >= 1`, got 0'),
    'nan_validation': (
        lambda _: _fit(DATA, validation_data=_with(DATA, 0, np.nan))(),
        ValueError, '`validation_data` has 1 rows with NaN'),
    'callable_wrong_shape': (
        lambda _: _fit(lambda n, s: tf.random.stateless_normal([n, 3], s))(),
        ValueError, '`data` must return samples of shape [n, 2]'),
    'callable_wrong_dtype': (
        lambda _: _fit(lambda n, s: tf.random.stateless_normal(
            [n, 2], s, dtype=tf.float64))(),
        TypeError, '`data` must return float32 samples'),
    'target_wrong_shape': (
        lambda _: _reverse_kl(lambda x: -x**2)(), ValueError,
        '`target_log_prob` must return one value per sample, shape [n]'),
    'keras_nan': (lambda _: _keras_fit(_with(DATA, 5, np.nan))(), ValueError,
                  '`x` has 1 rows with NaN or inf values'),
    'keras_wrong_event_shape': (
        lambda _: _keras_fit(np.zeros([100, 3]))(), ValueError,
        '`x` must have shape [n, 2]'),
    'radial_event_size_0': (lambda _: flows.radial_flow(0), ValueError,
                            'need an integer `event_size >= 1`, got 0'),
    'maf_event_size_0': (lambda _: flows.autoregressive_flow(0), ValueError,
                         '`event_size >= 1`'),
    'coupling_no_layers': (lambda _: flows.coupling_flow(2, num_layers=0),
                           ValueError, '`num_layers >= 1`, got 0'),
    'coupling_zero_width': (
        lambda _: flows.coupling_flow(2, hidden_units=(8, 0)), ValueError,
        '`hidden_units >= 1`, got 0'),
    'radial_no_centers': (lambda _: flows.radial_flow(2, num_centers=0),
                          ValueError, '`num_centers >= 1`'),
    'odd_lattice': (lambda _: flows.lattice_flow(5), ValueError,
                    'two even lattice sizes'),
    'log_prob_wrong_event_shape': (
        lambda _: _flow().log_prob(np.zeros([4, 3], np.float32)), ValueError,
        'expected inputs of shape [..., 2], got [..., 3]'),
    'inverse_wrong_event_shape': (
        lambda _: _flow().bijector.inverse(tf.zeros([4, 1])), ValueError,
        'expected inputs of shape [..., 2], got [..., 1]'),
    'export_to_non_empty_dir': (_export_twice, FileExistsError,
                                'the directory is not empty'),
    'load_missing_dir': (
        lambda p: train.load_saved_model(str(p / 'missing')),
        FileNotFoundError, 'missing'),
    'load_corrupted': (_load_damaged, ValueError, 'is corrupted'),
    'corrupted_checkpoint': (_resume_damaged, ValueError,
                             'cannot resume from the checkpoint'),
    'tabular_nan': (
        lambda p: _tabular(p, [DATA, _with(DATA, 2, np.nan), DATA]),
        ValueError, 'bad/val.npy has 1 rows with NaN or inf values (the '
                    'first is row 2)'),
    'tabular_data_npy_nan': (
        lambda p: _tabular(p, [_with(DATA, 4, np.inf)], names=['data']),
        ValueError, 'bad/data.npy has 1 rows with NaN or inf values (the '
                    'first is row 4)'),
    'tabular_widths': (lambda p: _tabular(p, [DATA, DATA[:, :1], DATA]),
                       ValueError, 'must be a non-empty [n, 2] array'),
}


@pytest.mark.parametrize('name', sorted(BAD_INPUTS))
def test_bad_input_fails_early_and_clearly(name, tmp_path):
  run, error, fragment = BAD_INPUTS[name]
  with pytest.raises(error) as info:
    run(tmp_path)
  assert fragment in str(info.value)
  if name in ('load_missing_dir', 'load_corrupted', 'corrupted_checkpoint',
              'tabular_nan', 'tabular_data_npy_nan'):
    assert str(tmp_path) in str(info.value)  # The message names the path.


def _values(variables):
  return [v.numpy() for v in variables]


def _assert_same(a, b):
  assert len(a) == len(b)
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize('name', sorted(test_flows.FLOWS))
def test_rejected_call_leaves_the_flow_as_it_was(name):
  flow = test_flows.FLOWS[name](tf.float32)
  # A copy, so that no call reads TFP's bijector cache: a cached pre-image
  # gives log-probs an ulp away from a computed one, and whether a cache
  # entry survives between the calls depends on garbage collection.
  x = tf.constant(flow.sample(4, seed=(1, 2)).numpy())
  before, log_prob = _values(flow.variables), flow.log_prob(x).numpy()
  event = flow.event_shape.as_list()
  wrong = tf.zeros([4, *event[:-1], event[-1] + 1])
  shape = ', '.join(str(d) for d in event[:-1] + [event[-1] + 1])
  for call in (flow.log_prob, flow.bijector.inverse, flow.bijector.forward):
    with pytest.raises(ValueError, match=rf'got \[\.\.\., {shape}\]'):
      call(wrong)
  _assert_same(_values(flow.variables), before)
  np.testing.assert_array_equal(flow.log_prob(x), log_prob)


def _nan_at(batch, steps):
  """Data returning `batch`, with NaN in row 0 at the given steps (1-based)."""
  calls = tf.Variable(0)
  steps = tf.constant(steps)

  def data(n, seed):
    del n, seed
    k = calls.assign_add(1)
    bad = tf.reduce_any(tf.equal(steps, k))
    return tf.where(bad & (tf.range(len(batch)) == 0)[:, None],
                    tf.constant(np.nan, batch.dtype), batch)
  return data


@pytest.mark.parametrize('jit_compile', [False, True])
def test_skipped_step_leaves_weights_and_optimizer_untouched(jit_compile):
  batch = DATA[:32]

  def run(num_steps, nan_steps):
    tf_keras.utils.set_random_seed(0)
    flow, optimizer = _flow(), tf_keras.optimizers.Adam(1e-2)
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter('always')
      history = train.fit_nll(flow, _nan_at(batch, nan_steps), num_steps,
                              batch_size=32, optimizer=optimizer,
                              jit_compile=jit_compile, progress=False)
    messages = [str(w.message) for w in caught
                if issubclass(w.category, RuntimeWarning)]
    return flow, optimizer, history, messages

  flow, optimizer, history, messages = run(6, [2, 5])
  clean_flow, clean_optimizer, _, clean_messages = run(4, [-1])
  assert messages == ['NLL: skipped 2 of 6 steps that had a non-finite loss '
                      'or gradient (steps 2, 5)']
  assert not clean_messages
  assert int(optimizer.iterations) == 4
  assert np.isnan(history['loss'][[1, 4]]).all()
  _assert_same(_values(flow.variables), _values(clean_flow.variables))
  _assert_same(_values(optimizer.variables), _values(clean_optimizer.variables))


def test_consecutive_bad_steps_stop_with_the_last_good_weights(tmp_path):
  directory = str(tmp_path / 'run')
  batch = DATA[:32]
  tf_keras.utils.set_random_seed(0)
  flow = _flow()
  with pytest.raises(FloatingPointError,
                     match='3 steps in a row .* weights of step 2') as e:
    train.fit_nll(flow, _nan_at(batch, [3, 4, 5, 6, 7]), 10, batch_size=32,
                  max_bad_steps=3, checkpoint_dir=directory,
                  checkpoint_every=1, jit_compile=False, progress=False)
  assert e.value.first_refused_step == 3
  tf_keras.utils.set_random_seed(0)
  good = _flow()
  train.fit_nll(good, _nan_at(batch, [-1]), 2, batch_size=32,
                jit_compile=False, progress=False)
  _assert_same(_values(flow.variables), _values(good.variables))
  assert tf.train.latest_checkpoint(directory).endswith('ckpt-2')
  restored = _flow()
  tf.train.Checkpoint(flow=restored).restore(
      tf.train.latest_checkpoint(directory)).expect_partial()
  _assert_same(_values(restored.variables), _values(good.variables))


def test_divergence_keeps_finite_weights():
  flow = _flow()
  with pytest.raises(FloatingPointError, match='non-finite loss or gradient'):
    train.fit_nll(flow, DATA, 40, batch_size=50, learning_rate=1e3,
                  progress=False)
  assert all(np.isfinite(v).all() for v in _values(flow.variables))
  assert np.isfinite(flow.log_prob(DATA)).all()


def _interrupt_after(monkeypatch, num_batches):
  original = fit_module._minibatches

  def batches(*args, **kwargs):
    for k, batch in enumerate(original(*args, **kwargs)):
      if k == num_batches:
        raise KeyboardInterrupt
      yield batch
  monkeypatch.setattr(fit_module, '_minibatches', batches)


def test_interrupted_run_resumes_exactly(tmp_path, monkeypatch):
  def run(num_steps, directory=None):
    tf_keras.utils.set_random_seed(0)
    flow = _flow()
    optimizer = tf_keras.optimizers.Adam(1e-2)
    train.fit_nll(flow, DATA, num_steps, batch_size=30, optimizer=optimizer,
                  seed=3, checkpoint_dir=directory, checkpoint_every=4,
                  progress=False)
    return flow, optimizer

  flow, optimizer = run(11)
  directory = str(tmp_path / 'run')
  with monkeypatch.context() as patch:
    _interrupt_after(patch, 7)  # Mid-epoch (3 batches each), mid-interval.
    with pytest.raises(KeyboardInterrupt):
      run(11, directory)
  assert tf.train.latest_checkpoint(directory).endswith('ckpt-7')
  resumed, resumed_optimizer = run(11, directory)
  assert int(resumed_optimizer.iterations) == 11
  _assert_same(_values(resumed.variables), _values(flow.variables))
  _assert_same(_values(resumed_optimizer.variables),
               _values(optimizer.variables))


def test_keras_model_takes_float64_arrays():
  model = train.FlowModel(_flow(tf.float64))
  model.compile(optimizer=tf_keras.optimizers.Adam(1e-2))
  data = DATA.astype(np.float64) * (1. + 1e-12)  # Not float32 numbers.
  history = model.fit(data, batch_size=50, epochs=2, verbose=0)
  assert np.all(np.isfinite(history.history['loss']))
  assert model(data).dtype == tf.float64
  np.testing.assert_array_equal(model(data), model.flow.log_prob(data))



def _keras_run(batches, jit_compile=False, max_bad_steps=10, epochs=1):
  """Keras `fit` over `batches`, one step each, from seed-0 weights.

  Returns the model and the `FloatingPointError` that stopped it, or `None`.
  """
  tf_keras.utils.set_random_seed(0)
  model = train.FlowModel(_flow(), max_bad_steps=max_bad_steps)
  model.compile(optimizer=tf_keras.optimizers.Adam(1e-2),
                jit_compile=jit_compile)
  ended = []
  on_train_end = tf_keras.callbacks.LambdaCallback(
      on_train_end=lambda logs: ended.append(True))
  error = None
  try:
    model.fit(tf.data.Dataset.from_tensor_slices(np.stack(batches)),
              epochs=epochs, verbose=0, callbacks=[on_train_end])
  except FloatingPointError as e:
    error = e
  assert ended  # The callbacks finish also when training stops.
  return model, error


def _batches(nan_steps, num_steps):
  """`num_steps` batches of 20 rows; those at `nan_steps` (1-based) hold NaN."""
  batches = [DATA[20 * (k % 5):20 * (k % 5 + 1)] for k in range(num_steps)]
  return [_with(b, 0, np.nan) if k + 1 in nan_steps else b
          for k, b in enumerate(batches)]


@pytest.mark.parametrize('jit_compile', [False, True])
def test_keras_skips_and_counts_bad_steps(jit_compile):
  batches = _batches([2, 5], 6)
  model, error = _keras_run(batches, jit_compile)
  clean, _ = _keras_run([b for b in batches if np.isfinite(b).all()],
                        jit_compile)
  assert error is None
  assert model.history.history['skipped_steps'] == [2.]
  assert clean.history.history['skipped_steps'] == [0.]
  assert int(model.optimizer.iterations) == 4
  # The logged loss averages the applied steps.
  np.testing.assert_allclose(model.history.history['loss'],
                             clean.history.history['loss'], rtol=1e-6)
  _assert_same(_values(model.flow.variables), _values(clean.flow.variables))
  _assert_same(_values(model.optimizer.variables),
               _values(clean.optimizer.variables))


def test_keras_consecutive_bad_steps_stop_with_the_last_good_weights():
  batches = _batches([3, 4, 5, 6, 7], 10)
  model, error = _keras_run(batches, max_bad_steps=3)
  good, _ = _keras_run(batches[:2])
  assert 'FlowModel.fit: 3 steps in a row (up to step 5 of epoch 1)' in str(
      error)
  assert model.history.history['skipped_steps'] == [3.]
  assert int(model.optimizer.iterations) == 2
  _assert_same(_values(model.flow.variables), _values(good.flow.variables))
  _assert_same(_values(model.optimizer.variables),
               _values(good.optimizer.variables))


def test_keras_bad_steps_in_a_row_across_epochs():
  # Each epoch runs the steps bad, good, bad: the third bad one in a row is
  # the first step of the second epoch.
  model, error = _keras_run(_batches([1, 3], 3), max_bad_steps=2, epochs=2)
  assert '2 steps in a row (up to step 1 of epoch 2)' in str(error)
  assert model.history.history['skipped_steps'] == [2., 1.]
  assert int(model.optimizer.iterations) == 1


def test_keras_divergence_keeps_finite_weights():
  tf_keras.utils.set_random_seed(0)
  model = train.FlowModel(_flow(), max_bad_steps=3)
  model.compile(optimizer=tf_keras.optimizers.Adam(1e3))
  with pytest.raises(FloatingPointError, match='non-finite loss or gradient'):
    model.fit(DATA, batch_size=10, epochs=20, verbose=0)
  assert model.history.history['skipped_steps'][-1] >= 3
  assert all(np.isfinite(v).all() for v in _values(model.flow.variables))
  assert np.isfinite(model(DATA)).all()

"""Conditional flows: `cf(context)` is a flow for each context.

Every factory with `context_size` starts at the identity for every context,
inverts exactly, has the right log-det, runs under XLA, broadcasts contexts
against events, integrates to 1, depends on the context, trains on pairs and
exports; a flow trained on data independent of the context learns a density
that does not depend on it.
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tfp_analytic import flows
from tfp_analytic import train

_SMALL = dict(num_members=2, num_layers=2, hidden_units=(16,))

# One row per conditional factory: name -> builder(event_size, dtype).
FLOWS = {
    'coupling': lambda d, dtype: flows.coupling_flow(
        d, 'cubic_rational', dtype=dtype, context_size=2, **_SMALL),
    'maf': lambda d, dtype: flows.autoregressive_flow(
        d, 'sinh_conjugation', dtype=dtype, context_size=2, **_SMALL),
    'iaf': lambda d, dtype: flows.autoregressive_flow(
        d, 'cubic_conjugation', inverse=True, dtype=dtype, context_size=2,
        **_SMALL),
    'radial': lambda d, dtype: flows.radial_flow(
        d, num_centers=2, num_members=2, hidden_units=(8,), dtype=dtype,
        seed=0, context_size=2),
}
DTYPES = (tf.float32, tf.float64)
_TOL = {tf.float32: 1e-4, tf.float64: 1e-10}

flow_names = pytest.mark.parametrize('name', list(FLOWS))
dtypes = pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: d.name)


def _perturbed(cf, scale=0.3, seed=0):
  """Sets every variable to random values (the same on every run; Keras'
  initializers are not seeded), keeping the MADE masks."""
  for k, v in enumerate(cf.trainable_variables):
    v.assign(scale * tf.random.stateless_normal(v.shape, (seed, k),
                                                dtype=v.dtype))
    if v.constraint is not None:  # The MADE masks are kernel constraints.
      v.assign(v.constraint(v))
  return cf


def _contexts(n, dtype, seed=1, scale=3.):
  return scale * tf.random.stateless_normal([n, 2], (seed, 0), dtype=dtype)


@flow_names
@dtypes
def test_identity_at_init_for_every_context(name, dtype):
  cf = FLOWS[name](3, dtype)
  num_variables = len(cf.trainable_variables)
  assert num_variables > 0
  context = _contexts(5, dtype, scale=10.)
  flow = cf(context)
  assert flow.batch_shape == [5] and flow.event_shape == [3]
  assert len(flow.trainable_variables) == num_variables
  x = flow.sample(4, seed=(2, 3))
  assert x.shape == [4, 5, 3] and x.dtype == dtype
  base = flow.distribution
  np.testing.assert_allclose(x, base.sample(4, seed=(2, 3)), atol=_TOL[dtype])
  np.testing.assert_allclose(cf.log_prob(x, context), base.log_prob(x),
                             atol=_TOL[dtype])
  assert len(cf.trainable_variables) == num_variables


@flow_names
def test_round_trip_and_log_det_match_autodiff(name):
  dtype = tf.float64
  cf = _perturbed(FLOWS[name](3, dtype))
  context = _contexts(6, dtype)
  bijector = cf(context).bijector
  x = tf.random.stateless_normal([6, 3], (4, 5), dtype=dtype)
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = bijector.forward(x)
  assert np.abs(y - x).max() > 1e-2  # Away from the identity.
  # A NumPy copy skips the bijector cache.
  np.testing.assert_allclose(bijector.inverse(y.numpy()), x, atol=1e-9)
  _, expected = tf.linalg.slogdet(tape.batch_jacobian(y, x))
  fldj = bijector.forward_log_det_jacobian(x, event_ndims=1)
  np.testing.assert_allclose(fldj, expected, atol=1e-9)
  np.testing.assert_allclose(
      bijector.inverse_log_det_jacobian(y.numpy(), event_ndims=1), -fldj,
      atol=1e-9)


@pytest.mark.parametrize('name,dtype', [
    ('coupling', tf.float32), ('coupling', tf.float64), ('maf', tf.float32),
    ('iaf', tf.float64), ('radial', tf.float32)],
                         ids=lambda v: getattr(v, 'name', v))
def test_xla_matches_eager(name, dtype):
  cf = _perturbed(FLOWS[name](3, dtype), scale=0.1)
  context = _contexts(4, dtype)
  x = tf.random.stateless_normal([4, 3], (6, 7), dtype=dtype)

  @tf.function(jit_compile=True)
  def compiled(x, context):
    sample, log_q = cf(context).experimental_sample_and_log_prob(
        2, seed=(8, 9))
    return cf.log_prob(x, context), sample, log_q

  log_prob, sample, log_q = compiled(x, context)
  tol = 1e-4 if dtype == tf.float32 else 1e-10
  np.testing.assert_allclose(log_prob, cf.log_prob(x, context), rtol=tol,
                             atol=tol)
  assert sample.shape == [2, 4, 3]
  np.testing.assert_allclose(log_q, cf.log_prob(tf.identity(sample), context),
                             rtol=tol, atol=tol)


@flow_names
def test_contexts_and_events_broadcast(name):
  cf = _perturbed(FLOWS[name](3, tf.float64))
  contexts = _contexts(5, tf.float64)
  x = tf.random.stateless_normal([7, 3], (1, 2), dtype=tf.float64)
  # Every event at every context: batch [5, 1] against 7 events.
  table = cf.log_prob(x, contexts[:, tf.newaxis])
  assert table.shape == [5, 7]
  # One context for many events ...
  np.testing.assert_allclose(cf.log_prob(x, contexts[2]), table[2],
                             atol=1e-10)
  # ... and one event for many contexts.
  np.testing.assert_allclose(cf.log_prob(x[3], contexts), table[:, 3],
                             atol=1e-10)
  # The same as pairing them row by row.
  np.testing.assert_allclose(
      cf.log_prob(tf.repeat(x[tf.newaxis], 5, axis=0),
                  tf.repeat(contexts[:, tf.newaxis], 7, axis=1)), table,
      atol=1e-10)
  assert cf.sample([2, 3], contexts[:, tf.newaxis], seed=(3, 4)).shape == [
      2, 3, 5, 1, 3]
  # An unknown batch axis, as in Keras `fit` and SavedModel signatures.
  traced = tf.function(cf.log_prob, input_signature=[
      tf.TensorSpec([None, 3], tf.float64), tf.TensorSpec([None, 2],
                                                          tf.float64)])
  np.testing.assert_allclose(traced(x[:5], contexts),
                             np.diag(table[:, :5]), atol=1e-10)


@pytest.mark.parametrize('name', ['maf', 'radial'])
def test_density_integrates_to_one_in_1d(name):
  cf = _perturbed(FLOWS[name](1, tf.float64), scale=0.2)
  grid = np.linspace(-15., 15., 30001)[:, np.newaxis]
  for context in _contexts(3, tf.float64):
    density = np.exp(cf.log_prob(grid, context))
    assert np.abs(np.trapezoid(density, grid[:, 0]) - 1.) < 1e-6


@pytest.mark.parametrize('name', ['coupling', 'radial'])
def test_density_integrates_to_one_in_2d(name):
  cf = _perturbed(FLOWS[name](2, tf.float64), scale=0.1)
  axis = np.linspace(-7., 7., 561)
  grid = np.stack(np.meshgrid(axis, axis, indexing='ij'), -1).reshape(-1, 2)
  for context in _contexts(2, tf.float64):
    log_q = cf.log_prob(grid, context)
    # Not the standard normal, which would integrate to 1 trivially.
    assert np.abs(log_q - cf(context).distribution.log_prob(grid)).max() > 0.1
    density = np.exp(log_q).reshape(561, 561)
    mass = np.trapezoid(np.trapezoid(density, axis), axis)
    assert np.abs(mass - 1.) < 1e-6


@flow_names
def test_changing_the_context_changes_the_density(name):
  cf = _perturbed(FLOWS[name](3, tf.float32))
  x = cf.sample(64, tf.zeros([2], tf.float32), seed=(5, 6))
  change = cf.log_prob(x, [1., -1.]) - cf.log_prob(x, [-1., 1.])
  assert np.mean(np.abs(change)) > 0.1


def _spread_over_contexts(cf, x, contexts):
  """Mean over events of the std over contexts of `log_prob`."""
  table = cf.log_prob(x, contexts[:, tf.newaxis])  # [contexts, events]
  return float(np.mean(np.std(table, axis=0)))


def test_a_density_independent_of_the_context_is_learned():
  rng = np.random.default_rng(0)
  context = rng.normal(size=(2048, 2)).astype(np.float32)
  noise = rng.normal(size=(2048, 2)).astype(np.float32)
  datasets = {'independent': 0.5 * noise + np.float32([1., -1.]),
              'dependent': 0.5 * noise + 1.5 * context}
  x_eval = tf.constant(datasets['independent'][:64])
  contexts = _contexts(16, tf.float32, scale=1.)
  spread, losses = {}, {}
  for kind, x in datasets.items():
    cf = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(16,),
                             context_size=2)
    assert _spread_over_contexts(cf, x_eval, contexts) < 1e-6  # Identity.
    losses[kind] = train.fit_nll(cf, (x, context), num_steps=300,
                                 batch_size=128, learning_rate=1e-2,
                                 jit_compile=False, progress=False)['loss']
    spread[kind] = _spread_over_contexts(cf, x_eval, contexts)
  # Both fits learned (the NLL of N(0, I) is 2.84 at the start) ...
  for loss in losses.values():
    assert loss[-20:].mean() < loss[:20].mean() - 0.5
  # ... but only the dependent data made the density depend on the context.
  assert spread['dependent'] > 0.5
  assert spread['independent'] < 0.1 * spread['dependent']


def test_keras_validation_and_saved_model_on_pairs(tmp_path):
  rng = np.random.default_rng(1)
  context = rng.normal(size=(512, 1))
  x = 0.5 * rng.normal(size=(512, 2)) + context
  cf = flows.coupling_flow(2, 'affine', num_layers=2, hidden_units=(8,),
                           context_size=1)
  history = train.fit_nll(cf, (x, context), num_steps=40, batch_size=64,
                          learning_rate=1e-2, progress=False,
                          validation_data=(x[:128], context[:128]),
                          validate_every=10)
  assert history['validation'].shape == (4, 2) and history['best_step'] > 0
  model = train.FlowModel(cf)
  model.compile(optimizer=tf_keras.optimizers.Adam(1e-2), jit_compile=True)
  logs = model.fit((x, context), batch_size=64, epochs=2, verbose=0,
                   validation_data=(x[:128], context[:128])).history
  assert logs['loss'][-1] < history['loss'][0]
  assert len(logs['val_loss']) == 2
  np.testing.assert_allclose(model.predict((x[:3], context[:3]), verbose=0),
                             cf.log_prob(x[:3], context[:3]), rtol=1e-5)
  loaded = tf.saved_model.load(
      train.export_saved_model(cf, str(tmp_path / 'cf')))
  xs, cs = tf.constant(x[:5], tf.float32), tf.constant(context[:5],
                                                       tf.float32)
  np.testing.assert_allclose(loaded.log_prob(xs, cs), cf.log_prob(xs, cs),
                             atol=1e-6)
  signature = loaded.signatures['log_prob'](x=xs, context=cs)['log_prob']
  np.testing.assert_allclose(signature, cf.log_prob(xs, cs), atol=1e-6)
  sample = loaded.signatures['sample'](n=tf.constant(3), context=cs,
                                       seed=tf.constant([1, 2]))['sample']
  assert sample.shape == [3, 5, 2]


def test_errors_name_the_problem_before_any_work():
  cf = FLOWS['coupling'](3, tf.float32)
  x = np.zeros([4, 3], np.float32)
  for context, error, match in [
      (None, ValueError, r'conditional flow: pass a `context` of shape '
                         r'\[\.\.\., 2\]'),
      (np.zeros([4, 3]), ValueError,
       r'shape \[\.\.\., 2\], got shape \[4, 3\]'),
      (np.float32(1.), ValueError, r'got shape \[\]'),
      (tf.zeros([4, 2], tf.float64), TypeError, 'must be float32'),
      (np.array([['a', 'b']]), TypeError, 'real numbers')]:
    with pytest.raises(error, match=match):
      cf.log_prob(x, context)
  with pytest.raises(ValueError, match='pass a `context`'):
    cf.sample(2, seed=(1, 2))
  for bad in (0, 1.5, True):
    with pytest.raises(ValueError, match='context_size >= 1'):
      flows.coupling_flow(2, context_size=bad)
  with pytest.raises(ValueError, match='needs `angular=None`'):
    flows.radial_flow(2, angular='mlp', context_size=2)


def test_training_inputs_are_checked_before_any_step():
  cf = FLOWS['coupling'](3, tf.float32)
  before = [v.numpy() for v in cf.trainable_variables]
  x, context = np.zeros([64, 3]), np.zeros([64, 2])
  nan_context = context.copy()
  nan_context[5] = np.nan
  for data, match in [
      (x, r'must be a pair \(x, context\)'),
      ((x, context[:, :1]), r'`data\[1\]` must have shape \[n, 2\]'),
      ((x, context[:32]), 'pairs 64 samples with 32 contexts'),
      ((x, nan_context), r'`data\[1\]` has 1 rows with NaN'),
      ((x, context, context), 'must be a pair')]:
    with pytest.raises(ValueError, match=match):
      train.fit_nll(cf, data, num_steps=1, batch_size=32, progress=False)
  plain = flows.coupling_flow(3, 'affine', num_layers=2, hidden_units=(8,))
  with pytest.raises(ValueError, match='takes no context'):
    train.fit_nll(plain, (x, context), num_steps=1, progress=False)
  with pytest.raises(ValueError, match=r'pass `cf\(context\)`'):
    train.fit_reverse_kl(cf, lambda x: -tf.reduce_sum(x**2, -1),
                         num_steps=1, progress=False)
  with pytest.raises(ValueError, match=r'must return contexts of shape'):
    train.fit_nll(cf, lambda n, seed: (tf.zeros([n, 3]), tf.zeros([n, 5])),
                  num_steps=1, progress=False)
  for variable, value in zip(cf.trainable_variables, before):
    np.testing.assert_array_equal(variable, value)  # No step ran.


_floats = st.floats(-4., 4., allow_nan=False, allow_infinity=False)


@pytest.fixture(scope='module')
def traced_maps():
  """Per (name, dtype), traced forward and inverse maps with their log-dets
  of a perturbed flow, for 4 events at one context."""
  cache = {}

  def get(name, dtype):
    if (name, dtype) not in cache:
      cf = _perturbed(FLOWS[name](3, dtype))
      spec = [tf.TensorSpec([4, 3], dtype), tf.TensorSpec([2], dtype)]
      def forward(x, context):
        bijector = cf(context).bijector
        return bijector.forward(x), bijector.forward_log_det_jacobian(x, 1)
      def inverse(y, context):
        bijector = cf(context).bijector
        return bijector.inverse(y), bijector.inverse_log_det_jacobian(y, 1)
      cache[name, dtype] = (tf.function(forward, input_signature=spec),
                            tf.function(inverse, input_signature=spec))
    return cache[name, dtype]

  return get


@pytest.mark.parametrize('name', ['coupling', 'radial'])
@dtypes
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_round_trip_property(name, dtype, data, traced_maps):
  forward, inverse = traced_maps(name, dtype)
  np_dtype = dtype.as_numpy_dtype
  x = np.array(data.draw(st.lists(st.lists(_floats, min_size=3, max_size=3),
                                  min_size=4, max_size=4)), np_dtype)
  context = np.array(data.draw(st.lists(_floats, min_size=2, max_size=2)),
                     np_dtype)
  y, fldj = forward(x, context)
  assert np.all(np.isfinite(y)) and np.all(np.isfinite(fldj))
  x_back, ildj = inverse(y, context)  # Another function: no cache.
  tol = 1e-3 if dtype == tf.float32 else 1e-9
  np.testing.assert_allclose(x_back, x, rtol=tol, atol=tol)
  np.testing.assert_allclose(fldj, -ildj, rtol=tol, atol=tol)

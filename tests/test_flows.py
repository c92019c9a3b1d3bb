"""Flow factories: every factory x transform builds, starts at the identity,
samples and evaluates densities eagerly and under XLA, in float32 and float64.
"""

import functools
import importlib
import re

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.flows import autoregressive
from tfp_analytic.flows import coupling
from tfp_analytic.flows import radial

_SMALL = dict(num_layers=2, hidden_units=(16,))

# One row per flow: name -> builder(dtype). Adding a factory or transform means
# adding a row; every test below walks the registry.
FLOWS = {
    **{f'coupling-{t}': (lambda dtype, t=t: flows.coupling_flow(
        3, t, num_members=2, dtype=dtype, **_SMALL))
       for t in flows.TRANSFORM_NAMES + ('cubic_conjugation+affine',)},
    'coupling-resnet-d2': lambda dtype: flows.coupling_flow(
        2, 'sinh_conjugation', num_members=2, num_layers=2,
        hidden_units=(16, 16), residual=True, dtype=dtype),
    **{f'maf-{t}': (lambda dtype, t=t: flows.autoregressive_flow(
        3, t, num_members=2, dtype=dtype, **_SMALL))
       for t in flows.TRANSFORM_NAMES},
    'iaf-cubic_rational': lambda dtype: flows.autoregressive_flow(
        3, 'cubic_rational', num_members=2, inverse=True, dtype=dtype,
        **_SMALL),
    **{f'radial-{t}': (lambda dtype, t=t: flows.radial_flow(
        3, num_centers=2, transform=t, num_members=2, dtype=dtype, seed=0))
       for t in flows.ANALYTIC_FAMILIES},
    'radial-fourier': lambda dtype: flows.radial_flow(
        2, num_centers=2, transform='cubic_rational', num_members=2,
        angular='fourier', num_modes=2, dtype=dtype, seed=1),
    'radial-mlp': lambda dtype: flows.radial_flow(
        3, num_centers=2, transform='cubic_rational', num_members=2,
        angular='mlp', hidden_units=(8,), dtype=dtype, seed=2),
    'lattice-cubic_rational+affine': lambda dtype: flows.lattice_flow(
        4, num_members=2, num_layers=2, dtype=dtype),
    'lattice-spline': lambda dtype: flows.lattice_flow(
        [4, 6], transform='spline', num_layers=2, hidden_channels=(4,),
        dtype=dtype),
    'hybrid': lambda dtype: flows.hybrid_flow(
        2, num_centers=2, radial_members=2, num_members=2, dtype=dtype,
        seed=3, **_SMALL),
}

# Under XLA: one flow per kind of layer (compiling is what costs time; the
# angle-free radial layers are the same class as the Fourier ones, and the
# hybrid flow only chains radial and coupling layers).
XLA_FLOWS = [('coupling-cubic_rational', tf.float32),
             ('coupling-cubic_rational', tf.float64),
             ('maf-cubic_conjugation', tf.float32),
             ('iaf-cubic_rational', tf.float32),
             ('radial-fourier', tf.float32),
             ('lattice-cubic_rational+affine', tf.float32)]

DTYPES = (tf.float32, tf.float64)
_TOL = {tf.float32: 2e-5, tf.float64: 1e-12}


@pytest.fixture(scope='module')
def built():
  """Builds each flow once per dtype, on first use."""
  cache = {}

  def get(name, dtype):
    if (name, dtype) not in cache:
      cache[name, dtype] = FLOWS[name](dtype)
    return cache[name, dtype]

  return get


@pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize('name', list(FLOWS))
def test_builds_samples_and_is_identity_at_init(built, name, dtype):
  flow = built(name, dtype)
  num_variables = len(flow.trainable_variables)
  assert num_variables > 0
  event_shape = flow.event_shape.as_list()
  x = flow.sample([2, 3], seed=(4, 5))
  assert x.shape == [2, 3] + event_shape and x.dtype == dtype
  log_prob = flow.log_prob(x)
  assert log_prob.shape == [2, 3] and log_prob.dtype == dtype
  assert np.all(np.isfinite(log_prob))
  # Everything was built at construction: using the flow adds no variable.
  assert len(flow.trainable_variables) == num_variables
  # At initialisation the flow is the identity.
  base = flow.distribution
  np.testing.assert_allclose(log_prob, base.log_prob(x), atol=_TOL[dtype])
  np.testing.assert_allclose(x, base.sample([2, 3], seed=(4, 5)),
                             atol=_TOL[dtype])


@pytest.mark.parametrize('name,dtype', XLA_FLOWS,
                         ids=[f'{n}-{d.name}' for n, d in XLA_FLOWS])
def test_log_prob_and_sample_under_xla(name, dtype):
  flow = FLOWS[name](dtype)  # Its own: the shared ones stay at the identity.
  for v in flow.trainable_variables:  # away from the identity
    v.assign_add(
        0.01 * tf.random.stateless_normal(v.shape, (1, 2), dtype=dtype))
  x = tf.identity(flow.sample(4, seed=(6, 7)))

  @tf.function(jit_compile=True)
  def compiled(x):
    sample, log_q = flow.experimental_sample_and_log_prob(4, seed=(6, 7))
    return flow.log_prob(x), sample, log_q

  log_prob, sample, log_q = compiled(x)
  tol = 1e-4 if dtype == tf.float32 else 1e-10
  np.testing.assert_allclose(log_prob, flow.log_prob(x), rtol=tol, atol=tol)
  # XLA draws other stateless random numbers than the CPU kernels, so compare
  # the compiled sampler's log-density with the eager one at its samples.
  assert sample.shape == x.shape
  np.testing.assert_allclose(log_q, flow.log_prob(tf.identity(sample)),
                             rtol=tol, atol=tol)


@pytest.mark.parametrize('name', list(flows.TRANSFORM_NAMES))
def test_transform_is_identity_at_raw_zero_and_inverts(name):
  transform = flows.get_transform(name, num_members=3)
  x = tf.linspace(-5., 5., 41)
  bijector = transform.from_raw(tf.zeros([41, transform.num_raw_params]))
  np.testing.assert_allclose(bijector.forward(x), x, atol=1e-5)
  raw = 0.5 * tf.random.stateless_normal([41, transform.num_raw_params],
                                         (0, 1))
  bijector = transform.from_raw(raw)
  y = bijector.forward(x)
  np.testing.assert_allclose(bijector.inverse(tf.identity(y)), x, atol=1e-4)
  assert np.all(np.diff(transform.from_raw(raw[:1]).forward(x)) > 0)


def test_get_transform_rejects_unknown_names():
  with pytest.raises(ValueError, match='unknown transform'):
    flows.get_transform('quintic')
  with pytest.raises(ValueError, match='radial flows need an analytic'):
    flows.radial_flow(2, transform='affine')
  with pytest.raises(ValueError, match='event_size >= 2'):
    flows.coupling_flow(1)
  with pytest.raises(ValueError, match='even lattice sizes'):
    flows.lattice_flow(5)


def _count_calls(monkeypatch, cls):
  calls = []
  original = cls.__call__
  monkeypatch.setattr(cls, '__call__',
                      lambda self, *a, **k: calls.append(1) or original(
                          self, *a, **k))
  return calls


def test_log_prob_takes_one_conditioner_pass_per_layer(monkeypatch):
  maf = flows.autoregressive_flow(3, 'affine', num_layers=3,
                                  hidden_units=(8,))
  calls = _count_calls(monkeypatch, autoregressive.AutoregressiveConditioner)
  maf.log_prob(tf.ones([2, 3]))
  assert len(calls) == 3
  realnvp = flows.coupling_flow(4, 'affine', num_layers=3, hidden_units=(8,))
  calls = _count_calls(monkeypatch, coupling.CouplingConditioner)
  realnvp.log_prob(tf.ones([2, 4]))
  realnvp.experimental_sample_and_log_prob(2, seed=(0, 1))
  assert len(calls) == 6


def test_maf_and_iaf_are_exact_inverses():
  kwargs = dict(event_size=3, transform='cubic_conjugation', num_members=2,
                num_layers=2, hidden_units=(16,))
  maf = flows.autoregressive_flow(**kwargs)
  iaf = flows.autoregressive_flow(inverse=True, **kwargs)
  data = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
  train.fit_nll(maf, data * [1., 2., 0.5] + 1., num_steps=20, batch_size=64,
                learning_rate=3e-2, jit_compile=False, progress=False)
  for source, target in zip(maf.trainable_variables, iaf.trainable_variables):
    target.assign(source)
  x = tf.constant(data[:8])
  z = maf.bijector.inverse(tf.identity(x))
  # Training moved the weights and kept the autoregressive masks.
  assert np.abs(z - x).max() > 1e-2
  np.testing.assert_allclose(maf.bijector.forward(tf.identity(z)), x,
                             atol=1e-5)
  np.testing.assert_allclose(iaf.bijector.forward(tf.identity(x)), z,
                             atol=1e-6)
  np.testing.assert_allclose(iaf.bijector.inverse(tf.identity(z)), x,
                             atol=1e-5)
  np.testing.assert_allclose(
      iaf.bijector.forward_log_det_jacobian(tf.identity(x), event_ndims=1),
      maf.bijector.inverse_log_det_jacobian(tf.identity(x), event_ndims=1),
      atol=1e-5)


def test_coupling_log_det_matches_the_jacobian():
  flow = flows.coupling_flow(4, 'cubic_rational', num_members=2,
                             num_layers=3, hidden_units=(8,),
                             dtype=tf.float64)
  for v in flow.trainable_variables:
    v.assign(
        0.3 * tf.random.stateless_normal(v.shape, (3, 4), dtype=tf.float64))
  x = tf.random.stateless_normal([1, 4], (5, 6), dtype=tf.float64)
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = flow.bijector.forward(x)
  jacobian = tape.batch_jacobian(y, x)[0].numpy()
  np.testing.assert_allclose(
      flow.bijector.forward_log_det_jacobian(x, event_ndims=1)[0],
      np.linalg.slogdet(jacobian)[1], atol=1e-10)


@pytest.mark.parametrize('name', list(FLOWS))
def test_log_prob_traces_with_an_unknown_batch_axis(built, name):
  # Keras `fit` on arrays and SavedModel signatures trace with a None batch
  # axis; every layer must keep the static event shape for the next one.
  flow = built(name, tf.float32)
  x = flow.sample(3, seed=(8, 9))
  spec = tf.TensorSpec([None] + flow.event_shape.as_list(), tf.float32)
  traced = tf.function(flow.log_prob, input_signature=[spec])
  np.testing.assert_allclose(traced(x), flow.log_prob(x), rtol=1e-6,
                             atol=1e-6)


@pytest.mark.parametrize('name', list(flows.ANALYTIC_FAMILIES))
def test_inverted_transform_runs_the_stack_backwards(name):
  plain = flows.get_transform(name, num_members=2)
  inverted = flows.get_transform(name, num_members=2, invert=True)
  assert inverted.num_raw_params == plain.num_raw_params
  x = tf.linspace(-3., 3., 13)
  assert np.all(inverted.from_raw(tf.zeros([13, plain.num_raw_params]))
                .forward(x) == x)
  raw = 0.3 * tf.random.stateless_normal([13, plain.num_raw_params], (3, 4))
  np.testing.assert_array_equal(inverted.from_raw(raw).forward(x),
                                plain.from_raw(raw).inverse(x))
  flow = flows.coupling_flow(2, inverted, **_SMALL)
  assert np.all(np.isfinite(flow.log_prob(flow.sample(4, seed=(1, 2)))))


@pytest.mark.parametrize('name', list(FLOWS))
def test_log_prob_is_not_stale_after_an_update(name):
  # TFP caches bijector results by input tensor; reusing one tensor across
  # an optimizer step must not return values of the old parameters.
  flow = FLOWS[name](tf.float32)
  x = tf.identity(flow.sample(3, seed=(10, 11)))
  flow.log_prob(x)
  for v in flow.trainable_variables:
    v.assign_add(0.05 * tf.random.stateless_normal(v.shape, (12, 13)))
  np.testing.assert_allclose(flow.log_prob(x), flow.log_prob(tf.identity(x)),
                             rtol=1e-6, atol=1e-6)
  # A log-det asked for on its own, after another update.
  event_ndims = len(flow.event_shape)
  flow.bijector.inverse_log_det_jacobian(x, event_ndims)
  for v in flow.trainable_variables:
    v.assign_add(0.05 * tf.random.stateless_normal(v.shape, (14, 15)))
  np.testing.assert_allclose(
      flow.bijector.inverse_log_det_jacobian(x, event_ndims),
      flow.bijector.inverse_log_det_jacobian(tf.identity(x), event_ndims),
      rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('angular', [None, 'fourier', 'mlp'])
def test_an_int_seed_gives_the_same_radial_layers(angular):
  def values(seed):
    layers = radial.radial_layers(2, num_centers=2, num_members=2,
                                  angular=angular, hidden_units=(4,),
                                  seed=seed)
    # The dense networks' hidden kernels draw from Keras, not from `seed`.
    return [v.numpy() for layer in layers for v in layer.trainable_variables
            if 'kernel' not in v.name]

  for first, second in zip(values(7), values(7)):
    np.testing.assert_array_equal(first, second)
  assert any(np.any(a != b) for a, b in zip(values(7), values(8)))


def test_an_int_seed_gives_the_same_flow():
  for build in (lambda: flows.radial_flow(2, num_centers=2, seed=3),
                lambda: flows.lattice_flow(4, num_layers=2, zero_mode=True,
                                           seed=3)):
    first, second = build(), build()
    for a, b in zip(first.trainable_variables, second.trainable_variables):
      if 'kernel' not in a.name:
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_family_class_is_a_transform():
  by_class = flows.get_transform(tfab.CubicRational, num_members=2)
  by_name = flows.get_transform('cubic_rational', num_members=2)
  assert by_class.num_raw_params == by_name.num_raw_params
  raw = 0.3 * tf.random.stateless_normal([5, by_name.num_raw_params], (1, 2))
  x = tf.linspace(-2., 2., 5)
  np.testing.assert_array_equal(by_class.from_raw(raw).forward(x),
                                by_name.from_raw(raw).forward(x))
  for flow in (flows.coupling_flow(2, tfab.CubicRational, **_SMALL),
               flows.autoregressive_flow(2, tfab.SinhConjugation, **_SMALL),
               flows.radial_flow(2, num_centers=2,
                                 transform=tfab.CubicConjugation, seed=0)):
    x = flow.sample(3, seed=(1, 2))
    np.testing.assert_allclose(flow.log_prob(x),
                               flow.distribution.log_prob(x), atol=1e-5)
  with pytest.raises(TypeError, match='analytic family class'):
    flows.get_transform(tfab.CubicRational(0., 1., 1.))


def _bijectors_in(bijector):
  yield bijector
  for inner in (getattr(bijector, 'bijectors', None) or
                [getattr(bijector, 'bijector', None)]):
    if isinstance(inner, tfp.bijectors.Bijector):
      yield from _bijectors_in(inner)


def _resolve(path):
  module, _, name = path.rpartition('.')
  while module:
    try:
      return functools.reduce(getattr, name.split('.'),
                              importlib.import_module(module))
    except ModuleNotFoundError:
      module, _, outer = module.rpartition('.')
      name = f'{outer}.{name}'
  raise AssertionError(path)


@pytest.mark.parametrize('name', list(FLOWS))
def test_bijector_reprs_name_an_importable_path(built, name):
  # TFP writes every bijector as `tfp.bijectors.<ClassName>`; ours must name
  # where they live (`tfp.bijectors.CubicRational` does not exist).
  bijectors = [b for b in _bijectors_in(built(name, tf.float32).bijector)
               if type(b).__module__.startswith('tfp_analytic')]
  assert bijectors
  bijectors.append(tfab.CubicRational(0., 1., 1.))
  for bijector in bijectors:
    for text in (repr(bijector), str(bijector)):
      path = re.match(r'<?([\w.]+)', text).group(1)
      assert isinstance(bijector, _resolve(path)), text
  assert repr(bijectors[-1]).startswith(
      '<tfp_analytic.bijectors.CubicRational ')


@pytest.mark.parametrize('factory', [
    lambda t: flows.coupling_flow(4, t, num_members=3, num_layers=2,
                                  hidden_units=(8,)),
    lambda t: flows.autoregressive_flow(3, t, num_members=3, num_layers=2,
                                        hidden_units=(8,)),
    lambda t: flows.lattice_flow(4, t, num_members=3, num_layers=2),
], ids=['coupling', 'maf', 'lattice'])
@pytest.mark.parametrize('transform', ['sinh_conjugation',
                                       'cubic_rational+affine'])
def test_conditioners_start_with_spread_locs(factory, transform):
  # At the identity, members with equal parameters get equal gradients and
  # learn as one; the conditioners' output biases set each member's loc
  # apart (shape numbers 0, so the flow is still the identity).
  flow = factory(transform)
  t = flows.get_transform(transform, num_members=3)
  # The output layers' biases: hidden widths of 8 or 16 are no multiple of
  # the 15 or 11 raw numbers of these transforms.
  biases = [v.numpy() for v in flow.trainable_variables
            if 'bias' in v.name and v.shape[-1] % t.num_raw_params == 0]
  expected = flows.transforms.output_bias(t, 1)
  locs = expected[:9:3] if transform == 'cubic_rational+affine' else (
      expected[:15:5])
  assert len(set(np.round(locs, 6))) == 3 and abs(locs.sum()) < 1e-12
  last = biases[-1].reshape(-1, t.num_raw_params)
  np.testing.assert_allclose(last, np.broadcast_to(expected, last.shape),
                             rtol=1e-6)
  # Still the identity (the lattice flow's FFT rounds by an ulp or so).
  x = flow.sample(4, seed=(5, 6))
  np.testing.assert_allclose(flow.bijector.inverse(x), x, atol=1e-6)

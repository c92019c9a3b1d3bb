"""Shared checks that every bijector in `tests/registry.py` passes."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests import registry

tfb = tfp.bijectors
tfd = tfp.distributions

DTYPES = [tf.float32, tf.float64]
TOL = {tf.float32: 1e-4, tf.float64: 1e-10}


def _cases(rows):
  return pytest.mark.parametrize('case', rows, ids=lambda c: c.name)


dtypes = pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: d.name)


def _event_ndims(case):
  return len(case.event_shape)


def _components(bijector):
  """The tensors a bijector is made of, to take gradients."""
  if not isinstance(bijector, tf.__internal__.CompositeTensor):
    return list(bijector.trainable_variables)
  return [t for t in tf.nest.flatten(bijector, expand_composites=True)
          if t.dtype.is_floating]


@_cases(registry.REGISTRY)
@dtypes
def test_round_trip(case, dtype):
  rng = np.random.default_rng(1)
  bijector = case.make(dtype, rng, [16])
  x = case.sample_x(dtype, rng, [16, *case.event_shape])
  y = bijector.forward(x).numpy()  # A NumPy copy skips the bijector cache.
  rtol = case.round_trip_rtol[dtype]
  np.testing.assert_allclose(
      bijector.inverse(y), x, rtol=rtol, atol=rtol * np.abs(x).max())


@_cases(registry.REGISTRY)
@dtypes
def test_fldj_matches_autodiff(case, dtype):
  rng = np.random.default_rng(2)
  bijector = case.make(dtype, rng, [8])
  x = tf.constant(case.sample_x(dtype, rng, [8, *case.event_shape]))
  size = int(np.prod(case.event_shape, dtype=np.int64))
  x_flat = tf.reshape(x, [8, size])
  with tf.GradientTape() as tape:
    tape.watch(x_flat)
    y_flat = tf.reshape(
        bijector.forward(tf.reshape(x_flat, x.shape)), [8, size])
  jacobian = tape.batch_jacobian(y_flat, x_flat)
  _, expected = tf.linalg.slogdet(jacobian)
  fldj = bijector.forward_log_det_jacobian(x, event_ndims=_event_ndims(case))
  np.testing.assert_allclose(fldj, expected, rtol=TOL[dtype], atol=TOL[dtype])


@_cases(registry.REGISTRY)
@dtypes
def test_fldj_is_minus_ildj(case, dtype):
  rng = np.random.default_rng(3)
  bijector = case.make(dtype, rng, [16])
  x = case.sample_x(dtype, rng, [16, *case.event_shape])
  y = bijector.forward(x).numpy()
  nd = _event_ndims(case)
  np.testing.assert_allclose(
      bijector.forward_log_det_jacobian(x, event_ndims=nd),
      -bijector.inverse_log_det_jacobian(y, event_ndims=nd),
      rtol=TOL[dtype], atol=TOL[dtype])


@_cases([c for c in registry.REGISTRY if not c.event_shape])
@dtypes
def test_monotone(case, dtype):
  bijector = case.make(dtype, np.random.default_rng(4), [8, 1])
  x = np.linspace(-20., 20., 4001).astype(dtype.as_numpy_dtype)
  y = bijector.forward(x).numpy()
  assert np.all(np.diff(y, axis=-1) >= 0.)
  assert np.all(y[:, -1] > y[:, 0])
  x_back = bijector.inverse(np.sort(y, axis=-1)).numpy()
  assert np.all(np.diff(x_back, axis=-1) >= 0.)


@_cases(registry.REGISTRY)
@dtypes
def test_finite_values_and_gradients_at_extremes(case, dtype):
  bijector = case.make(dtype, np.random.default_rng(5), [])
  x = tf.constant(case.extreme_x(dtype))
  nd = _event_ndims(case)
  params = _components(bijector)
  for direction in ('forward', 'inverse'):
    with tf.GradientTape(persistent=True) as tape:
      tape.watch([x] + params)
      value = getattr(bijector, direction)(x)
      ldj = getattr(bijector, f'{direction}_log_det_jacobian')(x, nd)
    assert np.all(np.isfinite(value)), (direction, value)
    assert np.all(np.isfinite(ldj)), (direction, ldj)
    for out in (value, ldj):
      grads = tape.gradient(out, [x] + params)
      for g in grads:
        if g is not None:
          g = tf.convert_to_tensor(g)
          assert np.all(np.isfinite(g)), (direction, g)


@_cases(registry.REGISTRY)
@dtypes
def test_xla_matches_eager_and_bijector_is_composite(case, dtype):
  rng = np.random.default_rng(6)
  bijector = case.make(dtype, rng, [16])
  x = tf.constant(case.sample_x(dtype, rng, [16, *case.event_shape]))
  nd = _event_ndims(case)

  def run(b, x):
    return (b.forward(x), b.inverse(x), b.forward_log_det_jacobian(x, nd),
            b.inverse_log_det_jacobian(x, nd))

  compiled = tf.function(run, jit_compile=True)(bijector, x)
  for eager, xla in zip(run(bijector, x), compiled):
    np.testing.assert_allclose(xla, eager, rtol=TOL[dtype], atol=TOL[dtype])


@_cases([c for c in registry.REGISTRY if c.batchable])
@dtypes
def test_batch_shapes_broadcast_and_slice(case, dtype):
  rng = np.random.default_rng(7)
  bijector = case.make(dtype, rng, [3, 1])
  assert bijector.experimental_batch_shape().as_list() == [3, 1]
  x = case.sample_x(dtype, rng, [4, *case.event_shape])
  y = bijector.forward(x)
  assert y.shape.as_list() == [3, 4, *case.event_shape]
  for i in range(3):
    np.testing.assert_allclose(bijector[i, 0].forward(x), y[i],
                               rtol=TOL[dtype], atol=TOL[dtype])


@_cases(registry.REGISTRY)
def test_keeps_dtype(case):
  rng = np.random.default_rng(8)
  for dtype in DTYPES:
    bijector = case.make(dtype, rng, [2])
    x = case.sample_x(dtype, rng, [2, *case.event_shape])
    assert bijector.forward(x).dtype == dtype
    assert bijector.inverse(x).dtype == dtype
    assert bijector.forward_log_det_jacobian(
        x, _event_ndims(case)).dtype == dtype

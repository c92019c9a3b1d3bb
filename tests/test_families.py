"""Checks of the scalar analytic families, driven by `registry.FAMILY_CASES`.

Raw parametrization (raw 0 is the identity, gradients flow), `make_trainable`,
`validate_args`, round-trip accuracy against the conditioning floor, and the
families inside `tfd.TransformedDistribution` (normalised, XLA).
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests import registry
from tfp_analytic import bijectors as tfab
from tfp_analytic.bijectors import parametrization

tfb = tfp.bijectors
tfd = tfp.distributions

families = pytest.mark.parametrize(
    'case', registry.FAMILY_CASES, ids=lambda c: c.name)
dtypes = pytest.mark.parametrize(
    'dtype', [tf.float32, tf.float64], ids=lambda d: d.name)


@families
@dtypes
def test_raw_zero_is_exactly_the_identity(case, dtype):
  family = case.family
  x = tf.constant(np.linspace(-50., 50., 1001), dtype)
  for bijector in (
      family.from_raw(tf.zeros([1001, family.num_raw_params], dtype)),
      tfab.stack_from_raw(family, tf.zeros([3 * family.num_raw_params],
                                           dtype))):
    np.testing.assert_array_equal(bijector.forward(x), x)
    np.testing.assert_array_equal(bijector.inverse(tf.identity(x)), x)
    np.testing.assert_array_equal(
        bijector.forward_log_det_jacobian(x, 0), tf.zeros_like(x))
    np.testing.assert_array_equal(
        bijector.inverse_log_det_jacobian(tf.identity(x), 0),
        tf.zeros_like(x))


@families
@dtypes
def test_gradients_flow_from_raw(case, dtype):
  family = case.family
  raw = tf.Variable(tf.zeros([2 * family.num_raw_params], dtype))
  x = tf.constant(np.linspace(-3., 3., 11), dtype)
  with tf.GradientTape() as tape:
    stack = tfab.stack_from_raw(family, raw, num_members=2)
    loss = tf.reduce_sum(stack.forward(x) ** 3
                         + stack.forward_log_det_jacobian(x, 0))
  grad = tape.gradient(loss, raw)
  assert np.all(np.isfinite(grad))
  # Every raw number of the first member moves the output at raw 0 except
  # those that are neutral there by construction; at least the loc and one
  # shape parameter must.
  assert np.count_nonzero(grad.numpy()) >= 2


@families
def test_from_raw_rejects_wrong_size(case):
  with pytest.raises(ValueError, match='raw numbers'):
    case.family.from_raw(tf.zeros([case.family.num_raw_params + 1]))
  with pytest.raises(ValueError, match='raw numbers'):
    tfab.stack_from_raw(case.family, tf.zeros([7]), num_members=2)


@families
def test_raw_params_land_in_the_valid_range(case):
  raw = tf.constant(np.random.default_rng(0).normal(
      0., 30., [1000, case.family.num_raw_params]), tf.float32)
  bijector = case.family.from_raw(raw, validate_args=True)
  assert np.all(np.isfinite(bijector.forward(tf.zeros([1000]))))


@dtypes
def test_interval_from_raw_keeps_relative_accuracy(dtype):
  # sigmoid(q + c) - sigmoid(c), the offset from the value at raw 0, to a
  # few eps relative from tiny raws to the largest float, exactly 0 at 0.
  mpmath = pytest.importorskip('mpmath')
  mpmath.mp.dps = 60
  low, high = -1. + 1e-3, 8. - 1e-3
  q = np.concatenate([-np.logspace(-30., 3., 200), [0.],
                      np.logspace(-30., 3., 200),
                      [-np.finfo(dtype.as_numpy_dtype).max,
                       np.finfo(dtype.as_numpy_dtype).max]])
  q = q.astype(dtype.as_numpy_dtype)
  value = parametrization.interval_from_raw(tf.constant(q), low, high, 0.)
  a = -mpmath.mpf(low) / (mpmath.mpf(high) - mpmath.mpf(low))
  c = mpmath.log(a / (1 - a))
  expected = np.array([float((mpmath.mpf(high) - mpmath.mpf(low)) * (
      1 / (1 + mpmath.exp(-(mpmath.mpf(float(v)) + c))) - a)) for v in q])
  expected[200] = 0.  # Not 1e-61 from the finite precision of `c`.
  np.testing.assert_allclose(
      value, expected, rtol=4. * np.finfo(dtype.as_numpy_dtype).eps, atol=0.)
  assert value.numpy()[200] == 0.


@families
def test_make_trainable(case):
  trainable = tfp.experimental.util.make_trainable(case.family, seed=(1, 2))
  x = tf.linspace(-2., 2., 9)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(trainable.forward(x)
                         + trainable.forward_log_det_jacobian(x, 0))
  variables = trainable.trainable_variables
  assert len(variables) == case.family.num_raw_params
  grads = tape.gradient(loss, variables)
  assert all(g is not None and np.all(np.isfinite(g)) for g in grads)


@families
def test_validate_args_names_the_parameter(case):
  for kwargs, message in case.invalid_params:
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                       match=message):
      case.family(**kwargs, validate_args=True)
    # Variables are checked when the bijector is used.
    bijector = case.family(
        **{k: tf.Variable(v) for k, v in kwargs.items()}, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
      bijector.forward(1.)
  case.family(validate_args=True).forward(1.)


@families
@dtypes
def test_round_trip_is_backward_stable(case, dtype):
  rng = np.random.default_rng(11)
  n = 200_000
  params = case.valid_params(rng, n)
  # x uniform over +-1e4, log-uniform magnitudes, and points near loc.
  kind = rng.integers(0, 3, n)
  x = np.where(kind == 0, rng.uniform(-1e4, 1e4, n),
               np.where(kind == 1,
                        rng.choice([-1., 1.], n) * np.exp(
                            rng.uniform(np.log(1e-6), np.log(1e4), n)),
                        params['loc'] + rng.normal(0., 3., n)))
  err = registry.round_trip_error(case.family, params, x, dtype)
  worst = np.argmax(err)
  assert err[worst] <= 64., (
      err[worst], x[worst], {k: v[worst] for k, v in params.items()})


@families
@dtypes
def test_transformed_normal_integrates_to_one(case, dtype):
  rng = np.random.default_rng(12)
  grid = np.linspace(-80., 80., 400_001)
  for _ in range(3):
    bijector = registry.make_family(case.family, dtype, rng, [])
    dist = tfd.TransformedDistribution(
        tfd.Normal(tf.constant(0., dtype), 1.), bijector)
    density = np.exp(dist.log_prob(grid.astype(dtype.as_numpy_dtype)))
    total = np.trapezoid(density.astype(np.float64), grid)
    assert abs(total - 1.) < (1e-4 if dtype == tf.float32 else 1e-8)


@families
@dtypes
def test_transformed_distribution_under_xla(case, dtype):
  rng = np.random.default_rng(13)
  first, second = (registry.make_family(case.family, dtype, rng, [])
                   for _ in range(2))
  dist = tfd.TransformedDistribution(
      tfd.Normal(tf.constant(0., dtype), 1.),
      tfb.Chain([tfb.Invert(first), second]))

  def sample_and_log_prob(dist):
    x = dist.sample(256, seed=(4, 5))
    return x, dist.log_prob(tf.identity(x))

  x, log_prob = tf.function(sample_and_log_prob, jit_compile=True)(dist)
  assert np.all(np.isfinite(x)) and np.all(np.isfinite(log_prob))
  np.testing.assert_allclose(log_prob, dist.log_prob(x.numpy()),
                             rtol=1e-4, atol=1e-4)


@dtypes
@pytest.mark.parametrize('magnitude', [-0.999, -0.99, -0.5, 0.5, 7., 7.999])
def test_cubic_rational_backward_stable_where_the_slope_vanishes(
    magnitude, dtype):
  # The least slope, min(1 + m, 1 - m/8), nears 0 at the edges of the valid
  # range: at t = 0 for m near -1, at t = 3 for m near 8. `loc` is chosen so
  # that `y ~ 0` at `x = loc + width * s`, where `x + m u r` would cancel.
  rng = np.random.default_rng(14)
  n = 50_000
  width = np.exp(rng.uniform(np.log(0.1), np.log(100.), n))
  flattest = 0. if magnitude < 0. else np.sqrt(3.)
  s = np.where(rng.random(n) < 0.5, flattest + rng.normal(0., 1e-2, n),
               rng.uniform(-5., 5., n))
  loc = (-width * (s + magnitude * s / (1. + s * s))
         + width * rng.normal(0., 1e-3, n))
  params = dict(loc=loc, magnitude=np.full(n, magnitude), width=width)
  err = registry.round_trip_error(tfab.CubicRational, params,
                                  loc + width * s, dtype)
  assert err.max() <= 64., err.max()


@families
@pytest.mark.parametrize('num_members', [3, tfab.MAX_UNROLLED + 2])
def test_stack_equals_the_chain_of_its_members(case, num_members):
  family = case.family
  raw = tf.constant(np.random.default_rng(15).normal(
      0., 0.5, [4, num_members * family.num_raw_params]), tf.float64)
  x = tf.constant(np.random.default_rng(16).normal(0., 3., [4]))
  stack = tfab.Stack(family, raw)
  chain = tfb.Chain(tfab.members_from_raw(family, raw)[::-1])
  np.testing.assert_allclose(stack.forward(x), chain.forward(x), rtol=1e-12)
  np.testing.assert_allclose(stack.inverse(x), chain.inverse(x), rtol=1e-12)
  np.testing.assert_allclose(stack.forward_log_det_jacobian(x, 0),
                             chain.forward_log_det_jacobian(x, 0),
                             rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('num_members', [3, tfab.MAX_UNROLLED + 2])
@pytest.mark.parametrize('direction', ['forward', 'inverse'])
def test_stack_builds_each_member_once_for_map_and_log_det(num_members,
                                                           direction):
  # A map followed by its log-det (either order) traverses the members once.
  built = []

  class Counted(tfab.CubicRational):

    @classmethod
    def _params_from_raw(cls, raw_params):
      built.append(1)
      return super()._params_from_raw(raw_params)

  raw = tf.zeros([num_members * Counted.num_raw_params])
  x = tf.constant([0.5, 1.5])
  for first_the_map in (True, False):
    built.clear()
    stack = tfab.Stack(Counted, raw)
    ldj = getattr(stack, f'{direction}_log_det_jacobian')
    if first_the_map:
      getattr(stack, direction)(x)
      ldj(x, 0)
    else:
      ldj(x, 0)
      getattr(stack, direction)(x)
    # Eagerly a tf.while_loop runs its body once per member, as unrolled.
    assert len(built) == num_members, (first_the_map, len(built))

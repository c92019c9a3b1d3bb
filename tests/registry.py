"""The registry of every bijector the library ships, with sample parameters.

`tests/test_bijector_registry.py` runs the shared checks (round trip, log-det
against autodiff, fldj = -ildj, monotone, finite at extremes, XLA vs eager,
CompositeTensor) on every row. A new bijector adds a row here, not a new test
file. Rows of the scalar analytic families also carry `valid_params` (random
valid parameters, edges included) for the accuracy and property tests, and
`invalid_params` for the `validate_args` checks.
"""

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic import lattice


@dataclasses.dataclass(frozen=True)
class Case:
  """One registry row.

  Attributes:
    name: test id.
    make: `make(dtype, rng, batch_shape)` returns a bijector whose parameters
      have `batch_shape` (representative random values).
    event_shape: shape of one event (`()` for scalar bijectors).
    sample_x: `sample_x(dtype, rng, shape)` returns inputs of `shape`.
    extreme_x: inputs (per dtype) at which values and gradients must be
      finite, as a function of `(dtype)` returning an array of events.
    family: the analytic family class for rows of a single family member.
    valid_params: `valid_params(rng, n)` returns a dict of float64 arrays of
      `n` random valid parameter sets, edges of the range included.
    invalid_params: `(kwargs, substring)` pairs that `validate_args=True`
      must reject with an error containing `substring`.
    round_trip_rtol: per-dtype relative tolerance of the generic round trip.
    batchable: whether `make` honours `batch_shape`; bijectors that own
      their variables (`FourierRadial`, `FourierScaling`, ...) have none.
  """
  name: str
  make: Callable
  event_shape: Sequence[int] = ()
  sample_x: Callable = None
  extreme_x: Callable = None
  family: Optional[type] = None
  valid_params: Optional[Callable] = None
  invalid_params: Sequence = ()
  round_trip_rtol: dict = dataclasses.field(
      default_factory=lambda: {tf.float32: 1e-4, tf.float64: 1e-11})
  batchable: bool = True


def round_trip_error(family, params, x, dtype):
  """Round-trip error in units of the backward-stable floor (docs/math.md).

  `e = |inverse(forward(x)) - x| / (ulp(max(|y|, |loc|)) / f'(x) +
  ulp(max(|x|, |loc|)))`, computed with the forward map, its slope
  (autodiff) and the inverse all in `dtype`. The contract is `e <= 64`.
  """
  np_dtype = dtype.as_numpy_dtype
  bijector = family(**{k: tf.constant(v, dtype) for k, v in params.items()})
  x = x.astype(np_dtype)
  with tf.GradientTape() as tape:
    xt = tf.constant(x)
    tape.watch(xt)
    y = bijector.forward(xt)
  slope = tape.gradient(y, xt).numpy().astype(np.float64)
  y = y.numpy()
  x_back = bijector.inverse(y).numpy()
  return np.abs(x_back.astype(np.float64) - x) / backward_floor(
      x, y, params['loc'].astype(np_dtype), slope)


def backward_floor(x, y, loc, slope):
  """`ulp(max(|y|, |loc|)) / slope + ulp(max(|x|, |loc|))`, in float64.

  TF flushes subnormals to zero in every op (even `tfb.Shift(0.)`), so the
  resolution near 0 is the smallest normal number, `tiny`, which is added.
  """
  ulp = lambda v: np.spacing(np.abs(v)).astype(np.float64)
  return (ulp(np.maximum(np.abs(y), np.abs(loc))) / slope
          + ulp(np.maximum(np.abs(x), np.abs(loc)))
          + np.finfo(x.dtype).tiny)


def _normal_x(scale):
  def sample(dtype, rng, shape):
    return (scale * rng.standard_normal(shape)).astype(dtype.as_numpy_dtype)
  return sample


def _scalar_extremes(dtype):
  big = 1e30 if dtype == tf.float32 else 1e300
  return np.array([-big, -1e10, -1e4, -1., 0., 1e-30, 1., 1e4, 1e10, big],
                  dtype=dtype.as_numpy_dtype)


def _log_uniform(rng, low, high, n):
  return np.exp(rng.uniform(np.log(low), np.log(high), n))


@dataclasses.dataclass(frozen=True)
class Range:
  """The valid values of one parameter that the accuracy tests draw from.

  Hypothesis (`tests/test_properties.py`) draws from `[low, high]`
  (log-uniformly where `log`); `valid_params` draws the bulk from `bulk`
  (default `(low, high)`) and replaces a random third by `edges`.
  """
  low: float
  high: float
  log: bool = False
  bulk: Optional[tuple] = None
  edges: tuple = ()

  def sample(self, rng, n):
    low, high = self.bulk or (self.low, self.high)
    values = (_log_uniform(rng, low, high, n) if self.log
              else rng.uniform(low, high, n))
    if self.edges:
      values = values.copy()
      pick = rng.random(values.shape) < 1. / 3.
      values[pick] = rng.choice(np.asarray(self.edges, np.float64),
                                pick.sum())
    return values


_LOC = Range(-100., 100.)
_SHIFT = Range(-1e3, 1e3, bulk=(-5., 5.), edges=(-1e3, 1e3))
_SCALE = Range(1e-3, 1e3, log=True)
# Per family, the ranges of its parameters, in the order they are drawn.
PARAM_RANGES = {
    tfab.CubicRational: dict(
        magnitude=Range(-0.999, 7.999, bulk=(-1., 8.),
                        edges=(-0.999, -0.99, 7.99, 7.999, 0.)),
        loc=_LOC, width=Range(0.1, 100., log=True)),
    tfab.SinhConjugation: dict(
        loc=_LOC, scale=_SCALE, shift=_SHIFT,
        outer_log_scale=Range(-3., 3.), inner_log_scale=Range(-3., 3.)),
    tfab.CubicConjugation: dict(
        loc=_LOC, shift=_SHIFT, linear=_SCALE, cubic=_SCALE),
}


def valid_params(family):
  """`valid_params(rng, n)` of `family`: `n` draws of `PARAM_RANGES`."""
  return lambda rng, n: {name: r.sample(rng, n)
                         for name, r in PARAM_RANGES[family].items()}


_MODERATE_PARAMS = {
    tfab.CubicRational: lambda rng, n: dict(
        loc=rng.standard_normal(n), magnitude=rng.uniform(-0.9, 7.5, n),
        width=_log_uniform(rng, 0.3, 3., n)),
    tfab.SinhConjugation: lambda rng, n: dict(
        loc=rng.standard_normal(n), scale=_log_uniform(rng, 0.3, 3., n),
        shift=rng.uniform(-2., 2., n), outer_log_scale=rng.uniform(-1, 1, n),
        inner_log_scale=rng.uniform(-1, 1, n)),
    tfab.CubicConjugation: lambda rng, n: dict(
        loc=rng.standard_normal(n), shift=rng.uniform(-2., 2., n),
        linear=_log_uniform(rng, 0.3, 3., n),
        cubic=_log_uniform(rng, 0.1, 3., n)),
}


def make_family(family, dtype, rng, batch_shape):
  """A member of `family` with moderate random parameters of `batch_shape`."""
  n = int(np.prod(batch_shape, dtype=np.int64))
  params = _MODERATE_PARAMS[family](rng, n)
  return family(**{
      k: tf.constant(np.reshape(v, batch_shape), dtype)
      for k, v in params.items()})


def _family_case(family, invalid_params):
  return Case(
      name=family.__name__,
      make=lambda dtype, rng, batch_shape: make_family(
          family, dtype, rng, batch_shape),
      sample_x=_normal_x(3.),
      extreme_x=_scalar_extremes,
      family=family,
      valid_params=valid_params(family),
      invalid_params=invalid_params)


def _stack_case(family, num_members):
  def make(dtype, rng, batch_shape):
    raw = rng.standard_normal(
        list(batch_shape) + [num_members * family.num_raw_params])
    return tfab.stack_from_raw(family, tf.constant(0.5 * raw, dtype))
  return Case(name=f'{family.__name__}_stack{num_members}', make=make,
              sample_x=_normal_x(3.), extreme_x=_scalar_extremes)


FAMILY_CASES = [
    _family_case(tfab.CubicRational, [
        (dict(magnitude=-1.), 'magnitude'),
        (dict(magnitude=8.), 'magnitude'),
        (dict(magnitude=-3.), 'magnitude'),
        (dict(width=0.), 'width'),
        (dict(width=-1.), 'width'),
    ]),
    _family_case(tfab.SinhConjugation, [
        (dict(scale=0.), 'scale'),
        (dict(scale=-2.), 'scale'),
    ]),
    _family_case(tfab.CubicConjugation, [
        (dict(linear=0.), 'linear'),
        (dict(linear=-1.), 'linear'),
        (dict(cubic=0.), 'cubic'),
        (dict(cubic=-0.5), 'cubic'),
    ]),
]

def _radial_extremes(dim):
  def extremes(dtype):
    big, e1 = (1e15 if dtype == tf.float32 else 1e150), np.eye(dim)[0]
    return np.stack([0. * e1, 1e-30 * e1, 1e4 * np.ones(dim), -1e4 * e1,
                     big * e1, -big * np.ones(dim) / dim]).astype(
                         dtype.as_numpy_dtype)
  return extremes


def _lattice_extremes(dtype):
  big = 1e8 if dtype == tf.float32 else 1e100
  return np.stack([np.zeros([4, 4]), np.full([4, 4], 1e-30),
                   np.full([4, 4], -big), np.eye(4) * big]).astype(
                       dtype.as_numpy_dtype)


def _radial_case(family, dim, num_members):
  def make(dtype, rng, batch_shape):
    shape = list(batch_shape)
    return tfab.RadialFlow.from_raw(
        family,
        tf.constant(0.5 * rng.standard_normal(
            shape + [num_members * family.num_raw_params]), dtype),
        tf.constant(0.3 * rng.standard_normal(shape + [dim]), dtype),
        tf.constant(0.2 * rng.standard_normal(shape + [dim]), dtype))
  return Case(f'RadialFlow_{family.__name__}_d{dim}', make,
              event_shape=(dim,), sample_x=_normal_x(1.5),
              extreme_x=_radial_extremes(dim))


def _origin_fixed(dtype, rng, batch_shape):
  family = tfab.CubicConjugation
  raw = 0.5 * rng.standard_normal(
      list(batch_shape) + [3 * family.num_raw_params])
  return tfab.origin_fixed_stack(family, tf.constant(raw, dtype))


def mlp_network(family, num_members, dtype, seed):
  """A small tanh MLP from directions to the raw numbers of a stack."""
  init = tf_keras.initializers.RandomNormal(stddev=0.3, seed=seed)
  return tf_keras.Sequential([
      tf_keras.layers.Dense(8, 'tanh', kernel_initializer=init, dtype=dtype),
      tf_keras.layers.Dense(num_members * family.num_raw_params,
                            kernel_initializer=init, dtype=dtype)])


def _conditional_radial(dtype, rng, batch_shape):
  network = mlp_network(tfab.CubicConjugation, 2, dtype,
                        int(rng.integers(2**31)))
  shape = list(batch_shape) + [3]
  return tfab.ConditionalRadial(
      tfab.CubicConjugation, network,
      tf.constant(0.3 * rng.standard_normal(shape), dtype),
      tf.constant(0.2 * rng.standard_normal(shape), dtype), num_members=2)


def _radial_chain(num_layers=3, num_modes=None):
  """`make` of a `RadialChain` of CubicConjugation pairs (angular if
  `num_modes`)."""
  family, num_members = tfab.CubicConjugation, 2
  num_raw = num_members * family.num_raw_params * (
      1 if num_modes is None else 2 * num_modes + 1)

  def make(dtype, rng, batch_shape):
    del batch_shape  # The layer axis is not a batch axis.
    return tfab.RadialChain(
        family,
        tf.constant(0.5 * rng.standard_normal([num_layers, num_raw]), dtype),
        tf.constant(0.5 * rng.standard_normal([num_layers, 2]), dtype),
        tf.constant(0.2 * rng.standard_normal([num_layers, 2]), dtype),
        num_modes=num_modes)
  return make


def perturb(module, rng, scale=0.3):
  """Moves every trainable variable of `module` by `scale * N(0, 1)`."""
  for v in module.trainable_variables:
    v.assign_add(tf.constant(scale * rng.standard_normal(v.shape), v.dtype))
  return module


def _perturbed(build):
  """`make` of a self-owning bijector, moved off the identity."""
  def make(dtype, rng, batch_shape):
    del batch_shape  # These bijectors own unbatched variables.
    return perturb(build(dtype, int(rng.integers(2**31))), rng)
  return make


def _at_contexts(build):
  """The bijector of a conditional flow (moved off the identity) at random
  contexts, whose shape gives the batch shape."""
  def make(dtype, rng, batch_shape):
    cf = perturb(build(dtype), rng)
    context = rng.standard_normal([*batch_shape, cf.context_size])
    return cf(tf.constant(context, dtype)).bijector
  return make


REGISTRY = FAMILY_CASES + [_stack_case(family, 4)
                           for family in tfab.FAMILIES] + [
    # More members than `MAX_UNROLLED`: the tf.while_loop path.
    _stack_case(tfab.SinhConjugation, tfab.MAX_UNROLLED + 1),
    Case('OriginFixed_CubicConjugation_stack3', _origin_fixed,
         sample_x=_normal_x(3.), extreme_x=_scalar_extremes),
    _radial_case(tfab.SinhConjugation, 2, 3),
    _radial_case(tfab.CubicRational, 5, 2),
    Case('ConditionalRadial_mlp_d3', _conditional_radial, event_shape=(3,),
         sample_x=_normal_x(1.5), extreme_x=_radial_extremes(3)),
    Case('RadialChain_CubicConjugation_k3', _radial_chain(),
         event_shape=(2,), sample_x=_normal_x(1.5),
         extreme_x=_radial_extremes(2), batchable=False),
    # Angular layers, more than `MAX_UNROLLED`: the tf.while_loop path.
    Case('RadialChain_Fourier_m2_k9', _radial_chain(
        tfab.MAX_UNROLLED + 1, num_modes=2), event_shape=(2,),
         sample_x=_normal_x(1.5), extreme_x=_radial_extremes(2),
         batchable=False),
    Case('FourierRadial_m2', _perturbed(
        lambda dtype, seed: tfab.FourierRadial(
            2, num_members=2, dtype=dtype, seed=seed)),
         event_shape=(2,), sample_x=_normal_x(1.5),
         extreme_x=_radial_extremes(2), batchable=False),
    Case('SphericalRadial_l2', _perturbed(
        lambda dtype, seed: tfab.SphericalRadial(
            2, family=tfab.CubicRational, num_members=2, dtype=dtype,
            seed=seed)),
         event_shape=(3,), sample_x=_normal_x(1.5),
         extreme_x=_radial_extremes(3), batchable=False),
    Case('FourierScaling_4x4', _perturbed(
        lambda dtype, seed: lattice.FourierScaling([4, 4], dtype=dtype)),
         event_shape=(4, 4), sample_x=_normal_x(1.),
         extreme_x=_lattice_extremes, batchable=False),
    # The bijector of a conditional flow at fixed contexts.
    Case('ConditionalCoupling_d3', _at_contexts(
        lambda dtype: flows.coupling_flow(
            3, 'cubic_rational', num_members=2, num_layers=2,
            hidden_units=(8,), dtype=dtype, context_size=2)),
         event_shape=(3,), sample_x=_normal_x(1.5),
         extreme_x=_radial_extremes(3), batchable=False),
    Case('ConditionalRadialFlow_d2', _at_contexts(
        lambda dtype: flows.radial_flow(
            2, num_centers=1, num_members=2, hidden_units=(8,), dtype=dtype,
            seed=0, context_size=3)),
         event_shape=(2,), sample_x=_normal_x(1.5),
         extreme_x=_radial_extremes(2), batchable=False),
    Case('ZeroModeBijector_2', _perturbed(
        lambda dtype, seed: lattice.ZeroModeBijector(
            num_members=2, dtype=dtype, seed=seed)),
         event_shape=(4, 4), sample_x=_normal_x(1.),
         extreme_x=_lattice_extremes, batchable=False),
]

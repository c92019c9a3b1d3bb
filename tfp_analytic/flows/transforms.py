"""Per-coordinate transforms that conditioners parametrize, by name.

A coupling or autoregressive layer needs, for each transformed coordinate,
an increasing scalar bijection built from a vector of unconstrained numbers
that a network outputs. A `Transform` bundles how many numbers one coordinate
takes with the function that builds the bijector from them, so every flow in
`tfp_analytic.flows` accepts every transform (zuko's design). In all of them,
**raw 0 is the identity**, which a zero-initialised conditioner output layer
turns into a flow that starts at the identity
(docs/math.md#raw-parametrization).

| name | raw numbers per coordinate | map |
|---|---|---|
| `'affine'` | 2 | `y = exp(b tanh(q / b)) x + shift` |
| `'spline'` | `3 bins - 1` | `tfb.RationalQuadraticSpline`, `[-B, B]` |
| `'cubic_rational'` | `3 N` | stack of N `CubicRational` |
| `'sinh_conjugation'` | `5 N` | stack of N `SinhConjugation` |
| `'cubic_conjugation'` | `4 N` | stack of N `CubicConjugation` |

Here `b` bounds the log-scale, and the spline is the identity outside
`[-B, B]`. Names joined by `'+'` compose left to right:
`'cubic_rational+affine'` is the paper's lattice choice, N analytic
bijections followed by an affine map.
"""

import statistics
from typing import Callable
from typing import NamedTuple
from typing import Optional
from typing import Tuple

import numpy as np

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import bijectors as tfab
from tfp_analytic.bijectors.parametrization import positive_from_raw

tfb = tfp.bijectors

__all__ = ['ANALYTIC_FAMILIES', 'TRANSFORM_NAMES', 'Transform', 'get_transform',
           'output_bias', 'spread_locs']


class Transform(NamedTuple):
  """An elementwise bijection built from `num_raw_params` raw numbers.

  Attributes:
    name: Python `str`, used in bijector names.
    num_raw_params: Python `int`, the raw numbers one coordinate takes.
    from_raw: callable taking a float `Tensor` `raw[..., num_raw_params]` and
      returning an event_ndims-0 bijector with batch shape `raw.shape[:-1]`;
      raw 0 must give the identity.
    initial_raw: optional tuple of `num_raw_params` Python floats, the raw
      numbers a conditioner outputs at initialisation (`output_bias`); they
      must also give the identity. `None` means zeros. Analytic stacks
      spread their members' `loc` numbers here, so that the members start
      apart and learn apart (docs/math.md#coupling-and-autoregressive-flows).

  #### Example

  A custom transform (here a plain shift) works in every flow factory:

  ```python
  import tensorflow as tf
  import tensorflow_probability as tfp
  from tfp_analytic import flows
  shift = flows.Transform(
      'shift', 1, lambda raw: tfp.bijectors.Shift(raw[..., 0]))
  flow = flows.coupling_flow(2, transform=shift, num_layers=2,
                             hidden_units=(8,))
  flow.log_prob([[0., 0.]])  # ==> [-1.837877]
  ```
  """
  name: str
  num_raw_params: int
  from_raw: Callable[[tf.Tensor], tfb.Bijector]
  initial_raw: Optional[Tuple[float, ...]] = None


def output_bias(transform, num_units):
  """The initial output bias of a conditioner for `num_units` coordinates.

  Args:
    transform: a `Transform`.
    num_units: Python `int`, the coordinates the conditioner parametrizes.

  Returns:
    float64 NumPy array `[num_units * transform.num_raw_params]`: the
    transform's `initial_raw` (zeros if `None`) once per coordinate, in the
    layout `[..., num_units, num_raw_params]` flattened.

  #### Example

  ```python
  from tfp_analytic import flows
  t = flows.get_transform('cubic_rational', num_members=2)
  flows.transforms.output_bias(t, 1).round(2)  # ==> [-0.67, 0, 0, 0.67, 0, 0]
  ```
  """
  initial = (np.zeros(transform.num_raw_params)
             if transform.initial_raw is None else
             np.asarray(transform.initial_raw, np.float64))
  return np.tile(initial, num_units)


def spread_locs(num_members):
  """`num_members` locs at the quantiles `(k + 1/2) / N` of N(0, 1).

  Deterministic and symmetric, so a stack's members start apart without a
  seed (the conditioners' counterpart of `tfab.spread_raw_init`).

  Args:
    num_members: Python `int`.

  Returns:
    tuple of Python floats.

  #### Example

  ```python
  from tfp_analytic import flows
  locs = flows.transforms.spread_locs(3)
  [round(loc, 3) for loc in locs]  # ==> [-0.967, 0., 0.967]
  ```
  """
  normal = statistics.NormalDist()
  return tuple(normal.inv_cdf((k + 0.5) / num_members)
               for k in range(num_members))


def _affine(max_log_scale):
  """Shift and a log-scale bounded to `(-max_log_scale, max_log_scale)`."""

  def from_raw(raw):
    shift, raw_log_scale = tf.unstack(raw, num=2, axis=-1)
    # tanh keeps the scale in [e^-b, e^b] so a coupling cannot blow up early
    # in training; slope 1 at 0, so small raw numbers act as plain log-scales.
    log_scale = max_log_scale * tf.math.tanh(raw_log_scale / max_log_scale)
    return tfb.Chain([tfb.Shift(shift), tfb.Scale(log_scale=log_scale)],
                     name='affine')

  return Transform('affine', 2, from_raw)


def _spline(bins, bound, min_bin_size=1e-3, min_slope=1e-3):
  """Rational-quadratic spline on `[-bound, bound]` with identity tails."""

  def sizes(raw):
    # softmax of zeros: equal bins, so widths and heights agree at raw 0.
    return (tf.math.softmax(raw, axis=-1) * (2. * bound - bins * min_bin_size)
            + min_bin_size)

  def from_raw(raw):
    widths, heights, slopes = tf.split(raw, [bins, bins, bins - 1], axis=-1)
    return tfb.RationalQuadraticSpline(
        bin_widths=sizes(widths),
        bin_heights=sizes(heights),
        # Slopes 1 at raw 0: with equal bins the spline is the identity.
        knot_slopes=positive_from_raw(slopes, at_zero=1., floor=min_slope),
        range_min=-bound,
        name='spline')

  return Transform('spline', 3 * bins - 1, from_raw)


def _analytic(family, num_members, invert):
  """A stack of `num_members` bijections of one analytic family."""

  def from_raw(raw):
    stack = tfab.stack_from_raw(family, raw, num_members)
    return tfb.Invert(stack) if invert else stack

  name = f'{family.__name__}_x{num_members}' + ('_inverted' if invert else '')
  # Member k starts as the identity with its loc at the k-th spread value.
  locs = np.array(spread_locs(num_members))[:, np.newaxis]
  initial_raw = tuple(
      np.where(family.loc_mask(), locs, 0.).ravel().tolist())
  return Transform(name, num_members * family.num_raw_params, from_raw,
                   initial_raw)


def _compose(transforms):
  """Applies `transforms` in order; the raw numbers are concatenated."""
  sizes = [t.num_raw_params for t in transforms]

  def from_raw(raw):
    # A split, not slices: its gradient is one concatenation.
    parts = [t.from_raw(part) for t, part in
             zip(transforms, tf.split(raw, sizes, axis=-1))]
    return tfb.Chain(parts[::-1], name='composed')  # Chain applies right first.

  initial_raw = tuple(np.concatenate(
      [output_bias(t, 1) for t in transforms]).tolist())
  return Transform('+'.join(t.name for t in transforms), sum(sizes), from_raw,
                   initial_raw)


# The one name -> class map of the analytic families, from `tfab.FAMILIES`.
ANALYTIC_FAMILIES = {family.family_name(): family for family in tfab.FAMILIES}

_BUILDERS = {
    'affine': lambda num_members, opts: _affine(opts['max_log_scale']),
    'spline': lambda num_members, opts: _spline(
        opts['spline_bins'], opts['spline_bound']),
    **{name: (lambda num_members, opts, family=family:
              _analytic(family, num_members, opts['invert']))
       for name, family in ANALYTIC_FAMILIES.items()},
}

TRANSFORM_NAMES = tuple(_BUILDERS)


def get_transform(transform, num_members=4, max_log_scale=3., spline_bins=8,
                  spline_bound=3., invert=False):
  """The `Transform` for a name (or `'+'`-joined names), or `transform` itself.

  Args:
    transform: one of `TRANSFORM_NAMES`, several joined by `'+'` (applied left
      to right), an analytic family class (`tfab.CubicRational`, or any
      subclass of `tfab.AnalyticBijector`: a stack of `num_members`), or a
      `Transform`, returned unchanged.
    num_members: Python `int`, members of each analytic stack.
    max_log_scale: Python `float`, bound of the affine log-scale.
    spline_bins: Python `int`, bins of the spline.
    spline_bound: Python `float`; the spline acts on `[-spline_bound,
      spline_bound]` and is the identity outside. Flows on standardized data
      see values of a few units, hence the default 3.
    invert: Python `bool`; `True` wraps every analytic stack in `tfb.Invert`,
      so that `log_prob` (a flow's inverse pass) runs the families' forward
      maps, which are cheaper than their inverses (no cubic root, no Newton
      steps). Another model of the same size; for density estimation by NLL
      it trains faster and compiles in less time and memory
      (benchmarks/README.md).

  Returns:
    A `Transform`.

  Raises:
    ValueError: for an unknown name or a non-positive setting.
    TypeError: for a `transform` of another type.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import flows
  t = flows.get_transform('cubic_rational', num_members=2)
  t.num_raw_params  # ==> 6
  bijector = t.from_raw(tf.zeros([5, t.num_raw_params]))
  bijector.forward(tf.ones([5]))  # ==> [1.] * 5
  ```

  A family class works wherever a name does:

  ```python
  from tfp_analytic import bijectors as tfab
  from tfp_analytic import flows
  t = flows.get_transform(tfab.SinhConjugation, num_members=3)
  t.num_raw_params  # ==> 15
  flow = flows.coupling_flow(2, tfab.CubicRational, num_members=2,
                             num_layers=2, hidden_units=(8,))
  ```
  """
  if isinstance(transform, Transform):
    return transform
  for name, value in [('num_members', num_members),
                      ('max_log_scale', max_log_scale),
                      ('spline_bins', spline_bins),
                      ('spline_bound', spline_bound)]:
    if not value > 0:
      raise ValueError(f'`{name}` must be positive, got {value}')
  if isinstance(transform, type) and issubclass(transform,
                                                tfab.AnalyticBijector):
    return _analytic(transform, num_members, invert)
  if not isinstance(transform, str):
    raise TypeError(f'`transform` must be a name, an analytic family class '
                    f'or a `Transform`; got {transform!r}')
  opts = dict(max_log_scale=max_log_scale, spline_bins=spline_bins,
              spline_bound=spline_bound, invert=invert)
  names = transform.split('+')
  unknown = [n for n in names if n not in _BUILDERS]
  if unknown:
    raise ValueError(f'unknown transform {unknown[0]!r}; choose from '
                     f'{", ".join(TRANSFORM_NAMES)} (or join them with "+")')
  parts = [_BUILDERS[n](num_members, opts) for n in names]
  return parts[0] if len(parts) == 1 else _compose(parts)


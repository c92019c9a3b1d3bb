"""Elementwise throughput of the analytic families against TFP's bijectors.

    python -m benchmarks.elementwise            # N = 2^20, float32 and float64
    python -m benchmarks.elementwise --quick    # tiny N, few repeats (CI)

Every kernel runs under `tf.function(jit_compile=True)` on the same random
inputs; the table gives million elements per second and ratios to
`Shift∘Scale`, `SinhArcsinh` and `RationalQuadraticSpline` (8 bins) measured
in the same run, plus the trivial `x + 1` kernel as the floor.
"""

import argparse

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from benchmarks import _timing
from tfp_analytic import bijectors as tfab

tfb = tfp.bijectors

OPERATIONS = {
    'forward': lambda b, x: b.forward(x),
    'inverse': lambda b, x: b.inverse(x),
    'forward+fldj': lambda b, x: (b.forward(x),
                                  b.forward_log_det_jacobian(x, 0)),
    'inverse+ildj': lambda b, x: (b.inverse(x),
                                  b.inverse_log_det_jacobian(x, 0)),
}
BASELINES = ('shift_scale', 'sinh_arcsinh', 'spline8')


def _random(rng, shape, low, high, dtype):
  return tf.constant(rng.uniform(low, high, shape), dtype)


def bijectors(dtype, seed=0, members=(1, 4, 9)):
  """name -> bijector with random scalar parameters (batch shape `[]`).

  Each analytic family appears alone and as stacks of `members` members.
  """
  rng = np.random.default_rng(seed)
  made = {
      'shift_scale': tfb.Chain([tfb.Shift(_random(rng, [], -1, 1, dtype)),
                                tfb.Scale(_random(rng, [], 0.5, 2, dtype))]),
      'sinh_arcsinh': tfb.SinhArcsinh(_random(rng, [], -1, 1, dtype),
                                      _random(rng, [], 0.5, 2, dtype)),
      'spline8': tfb.RationalQuadraticSpline(
          bin_widths=tf.nn.softmax(_random(rng, [8], -1, 1, dtype)) * 6.,
          bin_heights=tf.nn.softmax(_random(rng, [8], -1, 1, dtype)) * 6.,
          knot_slopes=_random(rng, [7], 0.5, 2, dtype),
          range_min=-3.),
  }
  for family in tfab.FAMILIES:
    name = family.__name__
    for n in members:
      raw = _random(rng, [n * family.num_raw_params], -0.5, 0.5, dtype)
      made[name if n == 1 else f'{name}x{n}'] = (
          family.from_raw(raw) if n == 1
          else tfab.stack_from_raw(family, raw))
  return made


def measure(size, dtype, repeats, seed=0, members=(1, 4, 9)):
  """Seconds per call of every bijector and operation, plus the floor."""
  x = tf.constant(np.random.default_rng(seed).normal(0., 2., size), dtype)
  floor = _timing.median_seconds(
      tf.function(lambda x: x + 1., jit_compile=True), x, repeats=repeats)
  seconds = {}
  for name, bijector in bijectors(dtype, seed, members).items():
    seconds[name] = {
        op: _timing.median_seconds(
            tf.function(lambda x, fn=fn, b=bijector: fn(b, x),
                        jit_compile=True), x, repeats=repeats)
        for op, fn in OPERATIONS.items()}
  return floor, seconds


def table(size, floor, seconds):
  """Markdown rows: M elem/s per operation and ratios to the baselines."""
  rate = lambda s: size / s / 1e6
  lines = [f'x + 1 (floor): {rate(floor):.0f} M elem/s', '',
           '| bijector | ' + ' | '.join(OPERATIONS) +
           ' | fwd+fldj vs Shift∘Scale | fwd+fldj vs SinhArcsinh '
           '| inverse vs spline |',
           '|---' * (len(OPERATIONS) + 4) + '|']
  base = {name: seconds[name] for name in BASELINES}
  for name, ops in seconds.items():
    cells = [f'{rate(ops[op]):.0f}' for op in OPERATIONS]
    ratios = [base['shift_scale']['forward+fldj'] / ops['forward+fldj'],
              base['sinh_arcsinh']['forward+fldj'] / ops['forward+fldj'],
              base['spline8']['inverse'] / ops['inverse']]
    lines.append(f'| {name} | ' + ' | '.join(cells) + ' | ' +
                 ' | '.join(f'{r:.2f}×' for r in ratios) + ' |')
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(
      prog='python -m benchmarks.elementwise',
      description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='N = 2^12, 2 repeats, stacks of 1 and 2: checks '
                      'the code runs')
  parser.add_argument('--log2-size', type=int, default=20,
                      help='N = 2^k elements (default 20)')
  parser.add_argument('--repeats', type=int, default=15)
  parser.add_argument('--dtypes', nargs='+', default=['float32', 'float64'])
  parser.add_argument('--members', nargs='+', type=int, default=[1, 4, 9],
                      help='stack sizes of each family (default 1 4 9)')
  parser.add_argument('--out', default='benchmarks/results/elementwise.json',
                      help='JSON output (default: %(default)s)')
  args = parser.parse_args(argv)
  size = 2**(12 if args.quick else args.log2_size)
  repeats = 2 if args.quick else args.repeats
  members = (1, 2) if args.quick else tuple(args.members)
  results = dict(machine=_timing.machine(), size=size, repeats=repeats)
  for dtype_name in args.dtypes:
    floor, seconds = measure(size, tf.as_dtype(dtype_name), repeats,
                             members=members)
    print(f'\n## {dtype_name}, N = {size}\n')
    print(table(size, floor, seconds))
    results[dtype_name] = dict(floor_seconds=floor, seconds=seconds)
  _timing.write_json(args.out, results)
  return results


if __name__ == '__main__':
  main()

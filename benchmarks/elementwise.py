"""Elementwise throughput of the analytic families against TFP's bijectors.

    python -m benchmarks.elementwise            # N = 2^20, float32 and float64
    python -m benchmarks.elementwise --quick    # tiny N, few repeats (CI)
    python -m benchmarks.elementwise --bijx-python /tmp/jaxenv/bin/python

Every kernel runs under `tf.function(jit_compile=True)` on the same random
inputs, with per-element parameters (one set per input, as in a coupling
layer) passed as arguments. The table gives million elements per second; the
targets table gives the ratios to `Shift∘Scale`, `SinhArcsinh` and
`RationalQuadraticSpline` (8 bins) measured in the same run, and the cost of
an N-member stack in single members (each built from raw numbers, as the
stack's members are). The trivial `x + 1` kernel is the floor.

With `--bijx-python`, `benchmarks/bijx_elementwise.py` then measures the same
operations of bijx (the JAX reference implementation) in its own environment,
and a second table gives the ratios ours/bijx; a third compares each
family's rate as a fraction of its framework's `x + 1` floor (TF's XLA for
ours, JAX's for bijx), the fair measure across frameworks.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

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
# What `--bijx-python` needs: a virtual environment with these packages.
BIJX_PINS = 'jax==0.10.2 jaxlib==0.10.2 flax==0.12.8 bijx==1.3.2 numpy==2.4.6'
BIJX_SETUP = ('python3 -m venv /tmp/jaxenv && '
              f'/tmp/jaxenv/bin/pip install {BIJX_PINS}')


def _spline_params(uniform):
  """Valid per-element spline parameters: 8 bins on `[-3, 3]`."""
  size = lambda raw: tf.nn.softmax(raw, axis=-1) * 6.
  return (size(uniform(-1, 1, 8)), size(uniform(-1, 1, 8)),
          uniform(0.5, 2, 7))


def kernels(size, dtype, seed=0, members=(1, 4, 9)):
  """name -> `(build, params)`: `build(*params)` returns the bijector.

  Every parameter has a leading axis of `size`: one set per element. Each
  family appears with valid parameters (`Family`), built from raw numbers
  (`Family_raw`, the members of a stack) and as stacks (`FamilyxN`); raw
  numbers are uniform in +-0.5 around the identity.
  """
  rng = np.random.default_rng(seed)
  uniform = lambda low, high, *shape: tf.constant(
      rng.uniform(low, high, (size,) + shape), dtype)
  made = {
      'shift_scale': (lambda shift, scale: tfb.Chain(
          [tfb.Shift(shift), tfb.Scale(scale)]),
                      (uniform(-1, 1), uniform(0.5, 2))),
      'sinh_arcsinh': (tfb.SinhArcsinh, (uniform(-1, 1), uniform(0.5, 2))),
      'spline8': (lambda widths, heights, slopes: tfb.RationalQuadraticSpline(
          widths, heights, slopes, range_min=-3.), _spline_params(uniform)),
  }
  for family in tfab.FAMILIES:
    name, count = family.__name__, family.num_raw_params
    raw = uniform(-0.5, 0.5, count)
    valid = family.params_from_raw(raw)
    made[name] = (
        lambda *values, family=family: family(
            **dict(zip(family.raw_param_names, values))),
        tuple(valid[key] for key in family.raw_param_names))
    made[f'{name}_raw'] = (family.from_raw, (raw,))
    for n in members:
      if n > 1:
        made[f'{name}x{n}'] = (lambda raw, family=family: tfab.Stack(
            family, raw), (uniform(-0.5, 0.5, n * count),))
  return made


def measure(size, dtype, repeats, seed=0, members=(1, 4, 9)):
  """Seconds per call of every bijector and operation, plus the floor.

  The repeats of all kernels are interleaved, so that a shared machine's
  load affects them alike.
  """
  x = tf.constant(np.random.default_rng(seed).normal(0., 2., size), dtype)

  def compiled(fn, build):
    return tf.function(lambda x, *params: fn(build(*params), x),
                       jit_compile=True)

  calls = {('floor', None): (tf.function(lambda x: x + 1., jit_compile=True),
                             (x,))}
  for name, (build, params) in kernels(size, dtype, seed, members).items():
    for op, fn in OPERATIONS.items():
      calls[name, op] = (compiled(fn, build), (x, *params))
  timed = _timing.interleaved_median_seconds(calls, repeats=repeats)
  seconds = {}
  for (name, op), value in timed.items():
    if name != 'floor':
      seconds.setdefault(name, {})[op] = value
  return timed['floor', None], seconds


def table(size, floor, seconds):
  """Markdown rows: M elem/s per operation."""
  rate = lambda s: size / s / 1e6
  lines = [f'x + 1 (floor): {rate(floor):.0f} M elem/s', '',
           '| bijector | ' + ' | '.join(OPERATIONS) + ' |',
           '|---' * (len(OPERATIONS) + 1) + '|']
  for name, ops in seconds.items():
    lines.append(f'| {name} | ' + ' | '.join(
        f'{rate(ops[op]):.3g}' for op in OPERATIONS) + ' |')
  return '\n'.join(lines)


def targets(seconds):
  """`[(target, ratio, bound)]`: the speed targets, ratios of this run.

  A ratio above its bound meets the target, except for stacks, whose cost
  in single members must stay below theirs.
  """
  fwd = lambda name: seconds[name]['forward+fldj']
  inv = lambda name: seconds[name]['inverse+ildj']
  rows = [('CubicRational forward+fldj vs Shift∘Scale',
           fwd('shift_scale') / fwd('CubicRational'), 0.6)]
  for name in ('SinhConjugation', 'CubicConjugation'):
    rows.append((f'{name} forward+fldj vs SinhArcsinh',
                 fwd('sinh_arcsinh') / fwd(name), 1.0))
  for family in tfab.FAMILIES:
    name = family.__name__
    rows.append((f'{name} inverse+ildj vs spline (8 bins)',
                 inv('spline8') / inv(name), 3.0))
  for name in seconds:
    stem, _, n = name.rpartition('x')
    if stem in {f.__name__ for f in tfab.FAMILIES} and n.isdigit():
      rows.append((f'{name} forward+fldj in single members (at most)',
                   fwd(name) / (int(n) * fwd(f'{stem}_raw')), 1.25))
  return rows


def targets_table(rows):
  """Markdown: every target with its ratio and whether it is met."""
  lines = ['| target | ratio | bound | met? |', '|---|---|---|---|']
  for target, ratio, bound in rows:
    met = ratio <= bound if 'at most' in target else ratio >= bound
    lines.append(f'| {target} | {ratio:.2f}× | {bound}× | '
                 f'{"yes" if met else "no"} |')
  return '\n'.join(lines)


def run_bijx(python, log2_size, repeats, dtypes):
  """Runs `bijx_elementwise.py` under another Python.

  Args:
    python: path of the Python of a virtual environment with jax and bijx.
    log2_size: Python `int`, N = 2^log2_size elements.
    repeats: Python `int`, number of timed repeats.
    dtypes: names of the dtypes to measure.

  Returns:
    The script's JSON results: `machine`, and per dtype `floor_seconds` and
    `seconds[name][operation]`.
  """
  script = Path(__file__).with_name('bijx_elementwise.py')
  with tempfile.TemporaryDirectory() as tmp:
    out = Path(tmp) / 'bijx.json'
    subprocess.run([python, str(script), '--log2-size', str(log2_size),
                    '--repeats', str(repeats), '--dtypes', *dtypes,
                    '--out', str(out)], check=True)
    return json.loads(out.read_text())


def bijx_ratios(ours, theirs):
  """Throughput ratios ours/bijx, `{name: {operation: ratio}}`.

  Args:
    ours: `seconds[name][operation]` of `measure`.
    theirs: the same from `bijx_elementwise.py`; only names in both count.

  Returns:
    dict of dicts of Python floats, > 1 where ours is faster.
  """
  return {name: {op: theirs[name][op] / ours[name][op] for op in OPERATIONS}
          for name in theirs if name in ours}


def bijx_table(size, ours, theirs):
  """Markdown rows: M elem/s of ours and bijx's, and their ratio, per op.

  Args:
    size: Python `int`, the number of elements.
    ours: dict with `floor_seconds` and `seconds`, as in our JSON.
    theirs: the same from `bijx_elementwise.py`.

  Returns:
    Python `str`.
  """
  rate = lambda s: f'{size / s / 1e6:.0f}'
  ratios = bijx_ratios(ours['seconds'], theirs['seconds'])
  lines = [f'x + 1 (floor): ours {rate(ours["floor_seconds"])}, bijx '
           f'{rate(theirs["floor_seconds"])} M elem/s', '',
           'Cells: ours / bijx M elem/s (ratio ours/bijx).', '',
           '| bijector | ' + ' | '.join(OPERATIONS) + ' |',
           '|---' * (len(OPERATIONS) + 1) + '|']
  for name, by_op in ratios.items():
    cells = [f'{rate(ours["seconds"][name][op])} / '
             f'{rate(theirs["seconds"][name][op])} ({r:.2f}×)'
             for op, r in by_op.items()]
    lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines)


FLOOR_OPERATIONS = ('forward+fldj', 'inverse')


def floor_fractions(ours, theirs):
  """Each family's rate as a fraction of its framework's `x + 1` floor.

  Args:
    ours: dict with `floor_seconds` and `seconds`, as in our JSON.
    theirs: the same from `bijx_elementwise.py`; only names in both count.

  Returns:
    list of `(name, operation, ours_fraction, bijx_fraction)` for the
    operations of `FLOOR_OPERATIONS`; the target is met where ours is at
    least bijx's.
  """
  fraction = lambda r, name, op: r['floor_seconds'] / r['seconds'][name][op]
  return [(name, op, fraction(ours, name, op), fraction(theirs, name, op))
          for name in theirs['seconds'] if name in ours['seconds']
          for op in FLOOR_OPERATIONS]


def floor_table(rows):
  """Markdown: ours/TF-floor against bijx/JAX-floor, met or missed."""
  lines = ['| bijector | operation | ours / TF floor | bijx / JAX floor | '
           'met? |', '|---|---|---|---|---|']
  for name, op, ours, theirs in rows:
    lines.append(f'| {name} | {op} | {ours:.3f} | {theirs:.3f} | '
                 f'{"yes" if ours >= theirs else "no"} |')
  return '\n'.join(lines)


def argument_parser():
  """The command line of `main`."""
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
  parser.add_argument('--bijx-python', metavar='PATH',
                      help='the Python of a separate virtual environment with '
                      'jax and bijx; then bijx\'s analytic bijections are '
                      'measured too (same N, repeats and dtypes) and compared '
                      f'to ours. Make one with: {BIJX_SETUP}')
  return parser


def main(argv=None):
  args = argument_parser().parse_args(argv)
  log2_size = 12 if args.quick else args.log2_size
  size = 2**log2_size
  repeats = 2 if args.quick else args.repeats
  members = (1, 2) if args.quick else tuple(args.members)
  results = dict(machine=_timing.machine(), size=size, repeats=repeats)
  for dtype_name in args.dtypes:
    floor, seconds = measure(size, tf.as_dtype(dtype_name), repeats,
                             members=members)
    print(f'\n## {dtype_name}, N = {size}\n')
    print(table(size, floor, seconds))
    print(f'\n### Targets, {dtype_name}\n')
    print(targets_table(targets(seconds)))
    results[dtype_name] = dict(floor_seconds=floor, seconds=seconds,
                               targets=targets(seconds))
  if args.bijx_python:
    bijx = run_bijx(args.bijx_python, log2_size, repeats, args.dtypes)
    for dtype_name in args.dtypes:
      print(f'\n## ours vs bijx {bijx["machine"]["bijx"]}, {dtype_name}, '
            f'N = {size}\n')
      print(bijx_table(size, results[dtype_name], bijx[dtype_name]))
      bijx[dtype_name]['ratios'] = bijx_ratios(
          results[dtype_name]['seconds'], bijx[dtype_name]['seconds'])
      rows = floor_fractions(results[dtype_name], bijx[dtype_name])
      print(f'\n### Fractions of the x + 1 floor, {dtype_name}\n')
      print(floor_table(rows))
      bijx[dtype_name]['floor_fractions'] = rows
    results['bijx'] = bijx
  _timing.write_json(args.out, results)
  return results


if __name__ == '__main__':
  main()

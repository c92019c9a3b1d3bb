"""The benchmarks' quick modes run, so the suite never rots."""

import json

import numpy as np
import pytest

from benchmarks import elementwise
from benchmarks import training


def test_elementwise_quick(tmp_path):
  out = tmp_path / 'elementwise.json'
  elementwise.main(['--quick', '--dtypes', 'float32', '--out', str(out)])
  seconds = json.loads(out.read_text())['float32']['seconds']
  assert set(elementwise.BASELINES) <= set(seconds)
  assert {'CubicRational', 'SinhConjugationx2', 'CubicConjugationx2'} <= set(
      seconds)
  for ops in seconds.values():
    assert set(ops) == set(elementwise.OPERATIONS)
    assert all(np.isfinite(s) and s > 0. for s in ops.values())


def test_training_quick(tmp_path):
  out = tmp_path / 'training.json'
  training.main(['--quick', '--out', str(out)])
  results = json.loads(out.read_text())['results']
  assert set(results) == set(training.CONFIGS)
  for r in results.values():
    assert r['steps_per_second'] > 0. and r['parameters'] > 0
  guard = json.loads(out.read_text())['guard']
  assert set(guard) == {'affine'}
  assert guard['affine']['guarded_seconds'] > 0.
  assert guard['affine']['unguarded_seconds'] > 0.


def test_elementwise_bijx_flag():
  parser = elementwise.argument_parser()
  args = parser.parse_args(['--bijx-python', '/tmp/jaxenv/bin/python'])
  assert args.bijx_python == '/tmp/jaxenv/bin/python'
  assert parser.parse_args([]).bijx_python is None
  help_text = ' '.join(parser.format_help().split())
  assert 'pip install ' + elementwise.BIJX_PINS in help_text


def test_elementwise_bijx_table():
  ours = dict(floor_seconds=1e-3, seconds={
      'CubicRational': dict.fromkeys(elementwise.OPERATIONS, 1e-3),
      'spline8': dict.fromkeys(elementwise.OPERATIONS, 1e-3)})
  theirs = dict(floor_seconds=1e-3, seconds={
      'CubicRational': dict.fromkeys(elementwise.OPERATIONS, 3e-3)})
  ratios = elementwise.bijx_ratios(ours['seconds'], theirs['seconds'])
  assert ratios == {'CubicRational': dict.fromkeys(elementwise.OPERATIONS,
                                                   3.)}
  text = elementwise.bijx_table(3 * 10**6, ours, theirs)
  assert '| CubicRational | 3000 / 1000 (3.00×) |' in text
  assert 'spline8' not in text


def test_bijx_elementwise_quick(tmp_path):
  pytest.importorskip('jax')
  pytest.importorskip('bijx')
  from benchmarks import bijx_elementwise
  assert elementwise.BIJX_PINS in bijx_elementwise.__doc__
  out = tmp_path / 'bijx.json'
  bijx_elementwise.main(['--quick', '--out', str(out)])
  seconds = json.loads(out.read_text())['float32']['seconds']
  assert set(seconds) == set(bijx_elementwise.FAMILIES)
  for ops in seconds.values():
    assert set(ops) == set(elementwise.OPERATIONS)
    assert all(np.isfinite(s) and s > 0. for s in ops.values())

"""The benchmarks' quick modes run, so the suite never rots."""

import json

import numpy as np

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

"""The benchmarks' quick modes run, so the suite never rots."""

import json

import numpy as np
import pytest

from benchmarks import elementwise
from benchmarks import phi4
from benchmarks import training
from benchmarks import xla_profile


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
  assert set(guard['affine']) == {f'{variant}_seconds'
                                  for variant in training.GUARD_VARIANTS}
  assert all(seconds > 0. for seconds in guard['affine'].values())


def test_training_interleaved_rounds(tmp_path):
  out = tmp_path / 'training.json'
  training.main(['--quick', '--interleave', '2', '--out', str(out)])
  results = json.loads(out.read_text())['results']
  assert set(results) == set(training.CONFIGS)
  for r in results.values():
    assert len(r['round_seconds']) == 2 and r['compile_seconds'] > 0.
    assert r['peak_rss_growth_mib'] is None


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


def test_elementwise_floor_fractions():
  ours = dict(floor_seconds=1e-3, seconds={
      'CubicRational': dict.fromkeys(elementwise.OPERATIONS, 4e-3)})
  theirs = dict(floor_seconds=1e-3, seconds={
      'CubicRational': {**dict.fromkeys(elementwise.OPERATIONS, 2e-3),
                        'inverse': 8e-3}})
  rows = elementwise.floor_fractions(ours, theirs)
  assert rows == [('CubicRational', 'forward+fldj', 0.25, 0.5),
                  ('CubicRational', 'inverse', 0.25, 0.125)]
  text = elementwise.floor_table(rows)
  assert '| CubicRational | forward+fldj | 0.250 | 0.500 | no |' in text
  assert '| CubicRational | inverse | 0.250 | 0.125 | yes |' in text


def test_phi4_quick(tmp_path):
  out = tmp_path / 'phi4.json'
  rounds = phi4.main(['--quick', '--out', str(out)])
  assert len(rounds) == 1
  seconds = json.loads(out.read_text())['rounds'][0]['ours']
  assert set(seconds) == set(phi4.FLOWS)
  assert all(np.isfinite(s) and s > 0. for s in seconds.values())


def test_phi4_tables():
  rounds = [dict(load=1., ours={'cubic_rational+affine': 0.1, 'affine': 0.05},
                 bijx={'cubic_rational+affine': 0.2, 'affine': 0.05},
                 ratios={'cubic_rational+affine': 2., 'affine': 1.})]
  text = phi4.table(rounds)
  assert '| 1 | 1.0 | 10.00 | 5.00 | 2.00× | 20.00 | 20.00 | 1.00× |' in text
  targets = phi4.targets_table(rounds)
  assert '| cubic_rational+affine | 2.00× | ≥ 1.5× | yes |' in targets
  assert '| affine | 1.00× | (reported) | — |' in targets


def test_bijx_phi4_quick(capsys):
  pytest.importorskip('jax')
  pytest.importorskip('bijx')
  from benchmarks import bijx_phi4
  header = bijx_phi4.main(['--quick'])
  assert set(header['seconds']) == set(phi4.FLOWS) == set(bijx_phi4.FLOWS)
  assert all(s > 0. for s in header['seconds'].values())
  assert json.loads(capsys.readouterr().out)['seconds'] == header['seconds']


def test_xla_profile_by_kind():
  hlo = '\n'.join([
      '%fused_conv (p: f32[2]) -> f32[2] {',
      '  %c = f32[2] convolution(%p, %p)',
      '}',
      '%fused_log (p: f32[2]) -> f32[2] {',
      '  %l = f32[2] log(%p)',
      '}',
      'ENTRY %main {',
      '  %conv_fusion.3 = f32[2] fusion(%x), kind=kOutput, calls=%fused_conv',
      '  %loop_fusion.1 = f32[2] fusion(%x), kind=kLoop, calls=%fused_log',
      '  %loop_fusion.2 = f32[2] fusion(%x), kind=kLoop, calls=%fused_log',
      '  %transpose.7 = f32[2] transpose(%x), dimensions={0}',
      '}', ''])
  seconds = {'conv_fusion.3': 3., 'loop_fusion.1': 1., 'loop_fusion.2': 2.,
             'transpose.7': 0.5, 'ThunkExecutor::Execute': 9.}
  kinds, names = xla_profile.by_kind(seconds, hlo)
  assert kinds == {'convolution': 3., 'log/div (stacks)': 3.,
                   'transpose/copy': 0.5}
  assert names == {'conv_fusion': 3., 'loop_fusion': 3., 'transpose': 0.5}

"""Quick mode of every experiment: outputs exist, metrics finite, training
improves on the initial flow; the report collects them."""

import json
import math

import numpy as np
import pytest

from tfp_analytic.experiments import __main__ as cli
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import phi4_reference
from tfp_analytic.experiments import report
from tfp_analytic.experiments import spiral_coupling
from tfp_analytic.experiments import spiral_radial
from tfp_analytic.experiments import tabular

pytest.importorskip('matplotlib')


def _run(name, out, *extra):
  assert cli.main([name, '--quick', '--no-progress', '--out', str(out),
                   *extra]) == 0
  for filename in ('metrics.json', 'config.json', 'training_curve.png',
                   'density.png'):
    assert (out / filename).exists(), filename
  metrics = json.loads((out / 'metrics.json').read_text())
  _assert_finite(metrics)
  return metrics


def _assert_finite(value):
  if isinstance(value, dict):
    for v in value.values():
      _assert_finite(v)
  elif isinstance(value, list):
    for v in value:
      _assert_finite(v)
  elif isinstance(value, float):
    assert math.isfinite(value)


def _rows(metrics):
  return {k: v for k, v in metrics.items() if isinstance(v, dict)}


def test_help_lists_every_experiment(capsys):
  with pytest.raises(SystemExit):
    cli.main(['--help'])
  text = capsys.readouterr().out
  for name in ('1d', 'spiral-coupling', 'spiral-radial', 'ring-mixture',
               'phi4', 'phi4-reference', 'tabular', 'report'):
    assert name in text


@pytest.mark.parametrize('name,figure', [
    ('spiral-radial', 'coefficients.png'),
    ('spiral-coupling', 'latents.png'),
    ('ring-mixture', 'centers.png'),
])
def test_nll_experiments_improve(name, figure, tmp_path):
  metrics = _run(name, tmp_path)
  assert (tmp_path / figure).exists()
  for row in _rows(metrics).values():
    assert row['test_nll'] < row['initial_test_nll']


def test_spiral_radial_parameter_counts():
  counts = [_common.num_parameters(spiral_radial.fourier_radial_flow(m))
            for m in range(4)]
  assert counts == [49, 139, 229, 319]  # the paper's


def test_phi4_improves(tmp_path):
  metrics = _run('phi4', tmp_path)
  assert (tmp_path / 'ess.png').exists()
  row = metrics['bimodal/pretrain']  # the quick run's only arm
  assert row['reverse_kl'] < row['pretrained']['reverse_kl'] < (
      row['initial']['reverse_kl'])


def test_phi4_reference_writes_loadable_observables(tmp_path):
  assert cli.main(['phi4-reference', '--quick', '--no-progress', '--out',
                   str(tmp_path)]) == 0
  assert (tmp_path / 'config.json').exists()
  assert (tmp_path / 'magnetization.png').exists()
  metrics = json.loads((tmp_path / 'metrics.json').read_text())
  _assert_finite(metrics)
  assert set(metrics) == {'L4-lam5', 'L4-lam3'}
  lam3 = metrics['L4-lam3']
  assert lam3['bimodal'] and 0.5 < lam3['acceptance'] < 1.
  reference = phi4_reference.load_reference(tmp_path, 4, 3.)
  assert reference == lam3['observables']
  assert reference['abs_magnetization']['error'] > 0.


def test_tabular_sklearn_improves(tmp_path):
  metrics = _run('tabular', tmp_path)
  for row in _rows(metrics).values():
    assert row['test_nll'] < row['initial_test_nll']


def test_tabular_loader_layouts(tmp_path):
  rng = np.random.default_rng(0)
  data = rng.normal(3., 2., size=(200, 4))
  (tmp_path / 'miniboone').mkdir()
  np.save(tmp_path / 'miniboone' / 'data.npy', data)
  train, val, test = tabular.load_tabular(tmp_path, 'MINIBOONE')
  assert (len(train), len(val), len(test)) == (162, 18, 20)
  np.testing.assert_allclose(
      np.concatenate([train, val]).mean(axis=0), 0., atol=1e-5)
  np.testing.assert_array_equal(test, ((data[-20:] - data[:180].mean(0))
                                       / data[:180].std(0)).astype(np.float32))
  (tmp_path / 'power').mkdir()
  for split in ('train', 'val', 'test'):
    np.save(tmp_path / 'power' / f'{split}.npy', data[:50])
  splits = tabular.load_tabular(tmp_path, 'power')
  assert [x.shape for x in splits] == [(50, 4)] * 3
  with pytest.raises(FileNotFoundError):
    tabular.load_tabular(tmp_path, 'gas')
  # The experiment runs from such a folder too.
  metrics = _run('tabular', tmp_path / 'run', '--data-dir', str(tmp_path),
                 '--dataset', 'power', '--models', 'coupling',
                 '--transforms', 'affine', '--batch-size', '32')
  assert metrics['coupling/affine']['test_nll'] < (
      metrics['coupling/affine']['initial_test_nll'])


def test_report_collects_runs(tmp_path):
  runs = tmp_path / 'runs'
  _run('1d', runs / '1d', '--members', '3', '--steps', '50')
  results = tmp_path / 'results' / 'RESULTS.md'
  assert cli.main(['report', '--runs-dir', str(runs), '--results',
                   str(results)]) == 0
  text = results.read_text()
  assert '## 1d' in text and 'cubic_rational_x3' in text
  assert '../runs/1d/density.png' in text


def test_seeds_run_each_seed_and_report_aggregates(tmp_path):
  runs = tmp_path / 'runs'
  assert cli.main(['1d', '--quick', '--no-progress', '--seeds', '2',
                   '--members', '1', '--steps', '20', '--eval-samples',
                   '500', '--out', str(runs / '1d')]) == 0
  configs = [json.loads((runs / '1d' / f'seed{k}' / 'config.json')
                        .read_text()) for k in range(2)]
  assert [c['seed'] for c in configs] == [0, 1]
  assert [c['members'] for c in configs] == [[1], [1]]  # --members kept
  ess = [json.loads((runs / '1d' / f'seed{k}' / 'metrics.json').read_text())
         ['cubic_rational_x1']['ess'] for k in range(2)]
  assert ess[0] != ess[1]
  results = tmp_path / 'RESULTS.md'
  assert cli.main(['report', '--runs-dir', str(runs), '--results',
                   str(results)]) == 0
  text = results.read_text()
  assert 'seeds 0, 1 (n = 2)' in text
  mean, std = np.mean(ess), np.std(ess)
  assert report._format(mean) + ' ± ' + report._format(std) in text
  assert '(n = 2)' in text.split('| cubic_rational_x1 |')[1]


def test_report_marks_guessed_paper_numbers(tmp_path):
  run = tmp_path / 'runs' / 'spiral-radial'
  run.mkdir(parents=True)
  (run / 'metrics.json').write_text(json.dumps({'M=1': dict(
      test_nll=-0.5, forward_kl=0.355, paper=dict(
          test_nll=-0.61, forward_kl=0.245, guessed=['forward_kl']))}))
  report.write_report(tmp_path / 'runs', tmp_path / 'RESULTS.md')
  row = next(line for line in
             (tmp_path / 'RESULTS.md').read_text().splitlines()
             if line.startswith('| M=1 |'))
  assert row == '| M=1 | -0.500 | -0.610 | 0.355 | 0.245 (G) |'


def test_command_line_refuses_flags_it_would_ignore(capsys):
  with pytest.raises(SystemExit):
    cli.main(['report', '--quick'])
  with pytest.raises(SystemExit):
    cli.main(['1d', '--seed', '1', '--seeds', '2'])
  assert 'not allowed with argument' in capsys.readouterr().err


def test_quick_preset_yields_to_given_options():
  args = cli._parser().parse_args(['spiral-coupling', '--quick',
                                   '--layers', '3'])
  config = _config.from_args(spiral_coupling.Config, args)
  assert (config.layers, config.width, config.steps) == (3, 16, 100)
  full = _config.from_args(spiral_coupling.Config,
                           cli._parser().parse_args(['spiral-coupling']))
  assert full == spiral_coupling.Config()
  assert (full.layers, full.width, full.steps) == (12, 128, 5000)

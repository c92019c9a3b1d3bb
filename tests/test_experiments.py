"""Quick mode of every experiment: outputs exist, metrics finite, training
improves on the initial flow; the report collects them."""

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tfp_analytic.experiments import __main__ as cli
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import conditional
from tfp_analytic.experiments import phi4
from tfp_analytic.experiments import phi4_arms
from tfp_analytic.experiments import phi4_reference
from tfp_analytic.experiments import lr_stability
from tfp_analytic.experiments import radial_grid
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
  for name in ('1d', 'spiral-coupling', 'spiral-radial', 'radial-grid',
               'lr-stability', 'ring-mixture', 'phi4', 'phi4-reference',
               'tabular', 'conditional', 'report'):
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


def test_radial_grid_reduced_run_improves_and_is_labelled(tmp_path):
  assert cli.main(['radial-grid', '--quick', '--no-progress', '--out',
                   str(tmp_path), '--centers', '1', '--copies', '2', '3',
                   '--steps', '20', '--test-samples', '500']) == 0
  for name in ('grid.png', 'density.png'):
    assert (tmp_path / name).exists(), name
  config = json.loads((tmp_path / 'config.json').read_text())
  metrics = json.loads((tmp_path / 'metrics.json').read_text())
  _assert_finite(metrics)
  assert config['grid'] == metrics['grid'] == 'reduced'
  rows = _rows(metrics)
  assert set(rows) == {'cubic_conjugation 1x2', 'cubic_conjugation 1x3'}
  for row in rows.values():
    assert row['test_nll'] < row['initial_test_nll']
    assert row['forward_kl'] == pytest.approx(row['test_nll'] + 0.855)
    assert 0. <= row['round_trip_error'] < 1e-4
  # A rerun resumes every arm from its checkpoint: finished, so unchanged.
  assert (tmp_path / 'checkpoints' / 'cubic_conjugation_1x2').is_dir()
  assert cli.main(['radial-grid', '--quick', '--no-progress', '--out',
                   str(tmp_path), '--centers', '1', '--copies', '2', '3',
                   '--steps', '20', '--test-samples', '500']) == 0
  rerun = _rows(json.loads((tmp_path / 'metrics.json').read_text()))
  assert ({k: r['test_nll'] for k, r in rerun.items()}
          == {k: r['test_nll'] for k, r in rows.items()})
  assert radial_grid.Config().grid == 'full'
  paper = radial_grid._arm('sinh_conjugation', 40, 16, radial_grid.Config(),
                           0).paper
  assert paper == {'forward_kl': '< 0.2'}


def test_lr_stability_records_divergence(tmp_path):
  assert cli.main(['lr-stability', '--quick', '--no-progress', '--out',
                   str(tmp_path), '--models', 'radial', '--learning-rates',
                   '0.01', '1000', '--steps', '20', '--centers', '1',
                   '--test-samples', '500']) == 0
  assert (tmp_path / 'stability.png').exists()
  metrics = json.loads((tmp_path / 'metrics.json').read_text())
  _assert_finite(metrics)
  stable, diverged = metrics['radial lr=0.01'], metrics['radial lr=1000']
  assert stable['stable'] and stable['diverged_step'] is None
  assert stable['test_nll'] < stable['initial_test_nll']
  assert stable['round_trip_error'] < 1e-4
  assert not diverged['stable']
  assert 1 <= diverged['diverged_step'] <= 20 - 10 + 1
  assert diverged['skipped_steps'] >= 10
  assert metrics['radial: summary']['max_stable_lr'] == 0.01


def test_lr_stability_ratio_of_highest_stable_rates():
  config = lr_stability.Config(models=('radial', 'coupling'),
                               learning_rates=(1e-3, 1e-1))
  results = {
      f'{model} lr={rate:g}': dict(learning_rate=rate, stable=stable,
                                   test_nll=nll)
      for model, rate, stable, nll in [
          ('radial', 1e-3, True, 0.5), ('radial', 1e-1, True, -0.5),
          ('coupling', 1e-3, True, -0.2), ('coupling', 1e-1, False, None)]}
  rows = lr_stability.summary_rows(results, config)
  assert rows['radial: summary']['test_nll'] == -0.5
  assert rows['coupling: summary']['max_stable_lr'] == 1e-3
  assert rows['radial / coupling']['lr_ratio'] == pytest.approx(100.)
  assert rows['radial / coupling']['paper'] == {'lr_ratio': '10–100'}


def test_spiral_radial_best_radial_row():
  results = {f'M={m}': dict(test_nll=nll, forward_kl=nll + 0.855)
             for m, nll in [(0, -0.1), (1, -0.6), (2, -0.5)]}
  row = spiral_radial.best_radial_row(results, (0, 1, 2))
  assert (row['modes'], row['test_nll']) == (1, -0.6)
  assert row['paper']['test_nll'] == '-0.79'
  results['M=1'] = dict(test_nll=None, forward_kl=None)  # diverged
  assert spiral_radial.best_radial_row(results, (0, 1, 2))['modes'] == 2
  for m in (0, 2):
    results[f'M={m}'] = dict(test_nll=None, forward_kl=None)
  row = spiral_radial.best_radial_row(results, (0, 1, 2))
  assert (row['modes'], row['test_nll']) == (None, None)


def test_spiral_radial_parameter_counts():
  counts = [_common.num_parameters(spiral_radial.fourier_radial_flow(m))
            for m in range(4)]
  assert counts == [49, 139, 229, 319]  # the paper's


def _phi4(out, *extra):
  return cli.main(['phi4', '--quick', '--no-progress', '--out', str(out),
                   *extra])


def test_phi4_quick_queue_trains_skips_and_reports(tmp_path, capsys):
  assert _phi4(tmp_path) == 0
  results = tmp_path / 'results' / 'quick' / 'L4'
  arms = {}
  for arm in ('unimodal-cubic_rational', 'bimodal-naive', 'bimodal-pretrain'):
    for name in ('metrics.json', 'config.json', 'log.csv'):
      assert (results / arm / 'seed0' / name).exists(), (arm, name)
    arms[arm] = json.loads((results / arm / 'seed0' / 'metrics.json')
                           .read_text())
    _assert_finite(arms[arm])
    assert arms[arm]['reverse_kl'] < arms[arm]['initial']['reverse_kl']
  # Zero-mode pretraining: the head is exactly Z2-symmetric, so half the
  # samples have M < 0 at every log; and it beats the untrained flow.
  pretrain = arms['bimodal-pretrain']
  log = (results / 'bimodal-pretrain' / 'seed0' / 'log.csv').read_text()
  rows = [line.split(',') for line in log.splitlines()[1:]]
  assert [r[0] for r in rows].count('pretrain') == 4  # steps 0, 10, 20, 30
  for row in rows:
    if row[0] == 'pretrain':
      assert abs(float(row[4]) - 0.5) < 0.03, row
  for key, sign in (('ess', 1), ('reverse_kl', -1)):
    assert sign * pretrain['pretrained'][key] > sign * pretrain['initial'][key]
  assert pretrain['steps'] == {'pretrain': 30, 'train': 30}
  # The saved weights reload into a flow that gives the same evaluation.
  flow, config = phi4_arms.load_flow(
      tmp_path / 'quick' / 'L4' / 'bimodal-pretrain' / 'seed0')
  final = phi4_arms.evaluator(flow, phi4_arms.log_target(config),
                              config['eval_samples'], jit_compile=False)
  assert final((0, -1))['ess'] == pretrain['ess']
  # A rerun skips the finished arms.
  capsys.readouterr()
  assert _phi4(tmp_path, '--list') == 0
  assert capsys.readouterr().out.split() == [
      'done', 'quick/L4/unimodal-cubic_rational/seed0',
      'done', 'quick/L4/bimodal-naive/seed0',
      'done', 'quick/L4/bimodal-pretrain/seed0']
  assert _phi4(tmp_path) == 0
  assert 'training 0' in capsys.readouterr().out
  assert (results / 'ess.png').exists()
  _phi4_evaluates(tmp_path, results, capsys)
  report_path = tmp_path / 'report' / 'RESULTS.md'
  report_path.parent.mkdir()
  (tmp_path / 'report' / 'phi4').symlink_to(tmp_path / 'results')
  report.write_report(tmp_path / 'none', report_path)
  text = report_path.read_text()
  assert '### phi4 `quick/L4` bimodal' in text and '| pretrain | 1 |' in text
  assert '### phi4 `quick/L4`: observables against HMC' in text
  assert '| bimodal-pretrain | 1 |' in text
  assert '(phi4/quick/L4/ess.png)' in text
  assert ('(phi4/quick/L4/unimodal-cubic_rational/seed0/magnetization.png)'
          in text)


def _phi4_evaluates(tmp_path, results, capsys):
  """`phi4 --evaluate`: observables.json and magnetization.png per arm
  against a tiny HMC reference, once; an arm without a reference is skipped.
  """
  assert cli.main(['phi4-reference', '--quick', '--no-progress', '--lams',
                   '3', '--out', str(tmp_path / 'reference')]) == 0
  capsys.readouterr()
  assert _phi4(tmp_path, '--evaluate', '--reference',
               str(tmp_path / 'reference')) == 0
  out = capsys.readouterr().out
  assert 'unimodal-cubic_rational/seed0: no reference for L = 4, lam = 5' in out
  assert not (results / 'unimodal-cubic_rational' / 'seed0' /
              'observables.json').exists()
  for arm in ('bimodal-naive', 'bimodal-pretrain'):
    observables = json.loads((results / arm / 'seed0' / 'observables.json')
                             .read_text())
    _assert_finite(observables)
    assert 0. < observables['imh_acceptance'] <= 1.
    assert 0. < observables['ess'] <= 1.
    assert set(observables['reweighted']) >= {'abs_magnetization',
                                              'susceptibility', 'two_point'}
    assert (results / arm / 'seed0' / 'magnetization.png').exists()
  assert 'bimodal-naive/seed0: ESS' in out
  # The unimodal arm is evaluated once its reference exists; the others are
  # skipped.
  assert cli.main(['phi4-reference', '--quick', '--no-progress', '--lams',
                   '5', '--out', str(tmp_path / 'reference-5')]) == 0
  (tmp_path / 'reference' / 'L4-lam5').symlink_to(
      tmp_path / 'reference-5' / 'L4-lam5')
  capsys.readouterr()
  assert _phi4(tmp_path, '--evaluate', '--reference',
               str(tmp_path / 'reference')) == 0
  out = capsys.readouterr().out
  assert out.count('evaluated already') == 2
  assert 'unimodal-cubic_rational/seed0: ESS' in out


def test_phi4_arm_resumes_after_an_interruption(tmp_path, monkeypatch):
  config = phi4_arms.arm_config('bimodal', 'pretrain', 4, **dict(
      phi4.QUICK, max_steps=20, pretrain_steps=10, eval_samples=512))
  phi4_arms.train_arm(config, tmp_path / 'a', tmp_path / 'a-results')
  fit = phi4_arms.train.fit_reverse_kl

  def interrupted(*args, on_step, **kwargs):
    def hook(k):
      if k == 15 and kwargs['checkpoint_dir'].endswith('/train'):
        raise KeyboardInterrupt
      return on_step(k)
    return fit(*args, on_step=hook, **kwargs)

  monkeypatch.setattr(phi4_arms.train, 'fit_reverse_kl', interrupted)
  with pytest.raises(KeyboardInterrupt):
    phi4_arms.train_arm(config, tmp_path / 'b', tmp_path / 'b-results')
  assert not (tmp_path / 'b-results' / config['path']).exists()
  monkeypatch.setattr(phi4_arms.train, 'fit_reverse_kl', fit)
  # Resumes the second phase at its checkpoint (step 10), drops the log
  # rows after it, and does not pretrain again.
  phi4_arms.train_arm(config, tmp_path / 'b', tmp_path / 'b-results')
  logs = [np.genfromtxt(tmp_path / f'{r}-results' / config['path'] /
                        'log.csv', delimiter=',', names=True, dtype=None,
                        encoding='utf-8') for r in 'ab']
  assert list(logs[1]['phase']) == ['pretrain'] * 2 + ['train'] * 3
  np.testing.assert_array_equal(logs[1]['step'], [0, 10, 0, 10, 20])
  # The same run: TF's convolution gradients on CPU are not bit-for-bit
  # reproducible from run to run, so compare to float32 rounding.
  for key in ('ess', 'reverse_kl', 'fraction_negative'):
    np.testing.assert_allclose(logs[1][key], logs[0][key], rtol=1e-4)
  flows_ = [phi4_arms.load_flow(tmp_path / r / config['path'])[0]
            for r in 'ab']
  phi = flows_[0].sample(8, seed=(1, 2))
  np.testing.assert_allclose(flows_[1].log_prob(phi), flows_[0].log_prob(phi),
                             rtol=1e-4)


def test_phi4_queues_and_arm_settings():
  cpu = phi4.cpu_queue()
  assert [a[2:4] for a in cpu[:5]] == [(8, 0)] * 5  # L = 8, seed 0 first
  assert [a[:3] for a in cpu[5:7]] == [  # then the bimodal arms at L = 8
      ('bimodal', 'naive', 8), ('bimodal', 'pretrain', 8)]
  assert sum(a[2] == 20 and a[0] == 'unimodal' for a in cpu) == 5
  # then seeds 1 and 2 at L = 8, then L = 20 (the paper's size), then L = 12
  assert [a[2] for a in cpu] == [8] * 17 + [20] * 7 + [12] * 15
  assert all(a[4]['min_steps'] >= 10_000 for a in cpu if a[2] == 20)
  assert {(a[0], a[1], a[2]) for a in cpu if a[0] == 'bimodal'} == {
      ('bimodal', arm, size) for arm in ('naive', 'pretrain')
      for size in (8, 20)}
  paper = phi4.paper_queue()
  assert len(paper) == 7 and all(a[4]['max_steps'] == 100_000 for a in paper)
  config = phi4_arms.arm_config('unimodal', 'sinh_conjugation', 20)
  assert config['transform'] == 'sinh_conjugation+affine'
  assert config['path'] == 'L20/unimodal-sinh_conjugation/seed0'
  with pytest.raises(ValueError, match='no arm'):
    phi4_arms.arm_config('bimodal', 'affine', 8)
  with pytest.raises(ValueError, match='even'):
    phi4_arms.arm_config('unimodal', 'affine', 7)


def test_phi4_paper_queue_in_quick_mode(tmp_path):
  assert _phi4(tmp_path, '--queue', 'paper', '--regimes', 'unimodal') == 0
  assert (tmp_path / 'results' / 'quick' / 'paper' / 'L4' /
          'unimodal-cubic_rational' / 'seed0' / 'metrics.json').exists()


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


@pytest.mark.parametrize('context', [(-1., -1.), (-0.8, -0.5), (0., 0.25),
                                     (1., 1.)])
def test_arc_density_integrates_to_one(context):
  # The narrowest radial profile (c1 = -1: r ~ 0.5, sd 0.05) spans 10 cells.
  xs, points = _common.grid_2d(2.5, 1001)
  log_p = conditional.arc_log_prob(points.astype(np.float64),
                                   np.broadcast_to(context, points.shape))
  total = np.exp(log_p.numpy()).sum() * (xs[1] - xs[0])**2
  assert total == pytest.approx(1., abs=1e-4)


@pytest.mark.parametrize('context', [(-0.8, -0.5), (0.8, 0.9)])
def test_arc_sampler_agrees_with_the_density(context):
  num_samples, bins = 40_000, 10
  x, c = conditional.arc_sample(num_samples, (3, 4), context=context)
  np.testing.assert_array_equal(
      c, np.broadcast_to(np.float32(context), c.shape))
  counts = np.histogram2d(x[:, 0].numpy(), x[:, 1].numpy(), bins=bins,
                          range=[[-2.5, 2.5]] * 2)[0]
  # The probability of each bin by quadrature: the midpoints of 100 x 100
  # cells per bin, x1 on the first axis as in histogram2d.
  cells = 100
  centers = -2.5 + (np.arange(bins * cells) + 0.5) * 5. / (bins * cells)
  points = np.stack(np.meshgrid(centers, centers, indexing='ij'), axis=-1)
  density = np.exp(conditional.arc_log_prob(
      points, np.broadcast_to(context, points.shape)).numpy())
  expected = density.reshape(bins, cells, bins, cells).sum(axis=(1, 3)) * (
      centers[1] - centers[0])**2
  assert counts.sum() == num_samples  # nothing beyond the range
  std = np.sqrt(expected * (1. - expected) / num_samples)
  np.testing.assert_array_less(np.abs(counts / num_samples - expected),
                               5. * std + 2e-3)


def test_conditional_quick_run_writes_every_arm(tmp_path):
  out = tmp_path / 'runs' / 'conditional'
  assert cli.main(['conditional', '--quick', '--no-progress', '--out',
                   str(out)]) == 0
  for name in ('config.json', 'density.png', 'training_curve_arc.png',
               'training_curve_diabetes.png'):
    assert (out / name).exists(), name
  metrics = json.loads((out / 'metrics.json').read_text())
  _assert_finite(metrics)
  rows = _rows(metrics)
  assert set(rows) == {f'{task} {model}/cubic_rational'
                       for task in ('arc', 'diabetes')
                       for model in ('coupling', 'maf')}
  entropy = metrics['arc: conditional entropy']
  for name, row in rows.items():
    assert row['test_nll'] < row['initial_test_nll'], name
    if name.startswith('arc'):
      assert row['forward_kl'] == pytest.approx(row['test_nll'] - entropy)
    else:
      assert 'forward_kl' not in row and row['best_step'] > 0
  config = json.loads((out / 'config.json').read_text())
  assert (config['steps'], config['batch_size']) == (30, 128)
  # The report renders the run: ours only, the paper has no such experiment.
  results = tmp_path / 'RESULTS.md'
  report.write_report(tmp_path / 'runs', results)
  text = results.read_text()
  assert '## conditional' in text and 'Not written by' not in text
  assert '| run | test_nll | forward_kl | parameters |' in text
  assert '| arc maf/cubic_rational |' in text


def test_report_collects_runs(tmp_path):
  runs = tmp_path / 'runs'
  _run('1d', runs / '1d', '--members', '3', '--steps', '50')
  results = tmp_path / 'results' / 'RESULTS.md'
  assert cli.main(['report', '--runs-dir', str(runs), '--results',
                   str(results)]) == 0
  text = results.read_text()
  assert '## 1d' in text and 'cubic_rational_x3' in text
  assert '../runs/1d/density.png' in text
  # What the current code writes passes the provenance check, and the run
  # gets a verdict on the claim about its row (a quick run: 1 seed).
  assert 'Not written by the current code' not in text
  claim = next(line for line in text.splitlines()
               if line.startswith('| 1-D, cubic_rational × 3:'))
  assert '`1d` (amplitude 2)' in claim and '(1 seed) |' in claim


def test_in_fresh_process_runs_elsewhere_and_raises_what_fails_there():
  # Each seed and phi4 arm runs so: XLA's memory ends with its process.
  assert _common.in_fresh_process(os.getpid) != os.getpid()
  with pytest.raises(ValueError, match='invalid literal'):
    _common.in_fresh_process(int, 'not a number')


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='the child learns of its parent\'s end by prctl')
def test_killing_a_run_ends_its_fresh_process(tmp_path):
  started = tmp_path / 'started'
  work = (f'import os, pathlib, time\n'
          f'pathlib.Path({str(started)!r}).write_text(str(os.getpid()))\n'
          f'time.sleep(600)')
  parent = subprocess.Popen([sys.executable, '-c', (
      'import sys\nfrom tfp_analytic.experiments import _common\n'
      '_common.in_fresh_process(exec, sys.argv[1])'), work])
  deadline = time.monotonic() + 60
  while not started.exists() or not started.read_text():
    assert time.monotonic() < deadline, 'the fresh process never started'
    time.sleep(0.2)
  status = Path(f'/proc/{started.read_text()}/status')
  parent.kill()
  parent.wait()
  deadline = time.monotonic() + 20
  while (status.exists() and 'State:\tZ' not in status.read_text()
         and time.monotonic() < deadline):
    time.sleep(0.2)
  assert not status.exists() or 'State:\tZ' in status.read_text()


def test_seeds_run_each_seed_and_report_aggregates(tmp_path):
  runs = tmp_path / 'runs'
  command = [sys.executable, '-m', 'tfp_analytic.experiments', '1d',
             '--quick', '--no-progress', '--seeds', '2', '--members', '1',
             '--eval-samples', '500', '--out', str(runs / '1d'), '--steps']
  # Through `python -m`: the seeds' processes must find what they run.
  subprocess.run(command + ['20'], check=True)
  first = (runs / '1d' / 'seed1' / 'metrics.json').read_text()
  # Rerun: the finished seeds are skipped; with other settings, run again.
  rerun = subprocess.run(command + ['20'], check=True, capture_output=True,
                         text=True).stdout
  assert rerun.count('is finished with these settings; skipped') == 2
  # A seed that wrote its metrics but did not return is not finished.
  (runs / '1d' / 'seed1' / 'finished.json').unlink()
  rerun = subprocess.run(command + ['20'], check=True, capture_output=True,
                         text=True).stdout
  assert rerun.count('is finished with these settings; skipped') == 1
  assert 'seed 1 of 0..1: ' in rerun and (runs / '1d' / 'seed1' /
                                           'finished.json').exists()
  other = subprocess.run(command + ['21'], check=True, capture_output=True,
                         text=True).stdout
  assert 'skipped' not in other
  assert (runs / '1d' / 'seed1' / 'metrics.json').read_text() != first
  subprocess.run(command + ['20'], check=True)
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
  mean, std = np.mean(ess), np.std(ess, ddof=1)
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
  # The paper's figures come from `paper.CLAIMS`, with their source.
  assert row == ('| M=1 | -0.500 | -0.61 (fig. 12, later version) | 0.355 '
                 '| 0.245 (G) |')


def test_report_shows_paper_bounds_as_text(tmp_path):
  run = tmp_path / 'runs' / 'radial-grid'
  run.mkdir(parents=True)
  (run / 'metrics.json').write_text(json.dumps({
      'sinh_conjugation 40x16': dict(forward_kl=0.15, paper=dict(
          forward_kl='< 0.2'))}))
  report.write_report(tmp_path / 'runs', tmp_path / 'RESULTS.md')
  assert '| sinh_conjugation 40x16 | 0.150 | < 0.2 (§5.4, fig. 11) |' in (
      tmp_path / 'RESULTS.md').read_text()


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

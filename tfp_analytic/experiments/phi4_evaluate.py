"""Finished phi^4 arms against the HMC reference, and their figures.

`evaluate_arms` reloads each finished arm's flow (`phi4_arms.load_flow`),
runs `lattice.compare_with_reference` against the HMC reference of its L and
lam (`phi4_reference.load_reference`) and writes `observables.json` (ESS,
independence-Metropolis acceptance, reweighted and chain observables with
agreement flags) and `magnetization.png` beside the arm's `metrics.json`.
`plot_logs` draws `<folder>/L<L>/ess.png` from the arms' `log.csv`;
`observable_lines` is the report's table. docs/experiments.md#phi4.
"""

import csv
import json
from pathlib import Path

import numpy as np

from tfp_analytic import lattice
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import phi4_arms
from tfp_analytic.experiments import phi4_reference

DEFAULT_REFERENCE = Path('results', 'runs', 'phi4-reference')


def evaluate_arms(configs, runs_dir, results_dir, reference_dir,
                  num_samples=16384):
  """Compares every finished, not yet evaluated arm with its reference.

  Args:
    configs: arm configs (`phi4_arms.arm_config`).
    runs_dir: the folder of the arms' runs (weights).
    results_dir: the folder of the arms' results; `observables.json` and
      `magnetization.png` go to `<results_dir>/<path>/`.
    reference_dir: the `phi4-reference` output folder.
    num_samples: Python `int`, flow samples per arm.

  Returns:
    `dict` of arm path to its `observables.json` content.
  """
  evaluated = {}
  for config in configs:
    folder = Path(results_dir) / config['path']
    if not (folder / 'metrics.json').exists():
      continue
    if (folder / 'observables.json').exists():
      print(f'{config["path"]}: evaluated already')
      continue
    try:
      reference = phi4_reference.load_reference(
          reference_dir, config['lattice_size'], config['lam'])
    except FileNotFoundError:
      print(f'{config["path"]}: no reference for L = '
            f'{config["lattice_size"]}, lam = {config["lam"]:g} in '
            f'{reference_dir}; skipped', flush=True)
      continue
    evaluated[config['path']] = _evaluate_arm(
        config, Path(runs_dir) / config['path'], folder, reference,
        num_samples)
  return evaluated


def _evaluate_arm(config, run_dir, folder, reference, num_samples):
  """Evaluates one arm, writes its files and prints a summary line."""
  flow, _ = phi4_arms.load_flow(run_dir)
  result = lattice.compare_with_reference(
      flow, config['m2'], config['lam'], reference, num_samples=num_samples,
      seed=(config['seed'], -2), return_samples=True)
  magnetization = result.pop('magnetization')
  log_w = result.pop('log_weights')
  weights = np.exp(log_w - log_w.max())
  # |M|, chi and G(d) are even in M: a flow on one sign of M can agree on
  # them; the fraction at M < 0 shows it (0.5 for the symmetric target).
  result['fraction_negative'] = dict(
      samples=float(np.mean(magnetization < 0)),
      reweighted=float(weights @ (magnetization < 0) / weights.sum()))
  _common.write_json(folder / 'observables.json', result)
  _plot_magnetization(magnetization, weights, reference, config, folder)
  rw = result['reweighted']
  print(f'{config["path"]}: ESS {result["ess"]:.1%}, IMH acceptance '
        f'{result["imh_acceptance"]:.1%}, <|M|> '
        f'{_value(rw["abs_magnetization"])}, chi '
        f'{_value(rw["susceptibility"])}, M < 0 (reweighted) '
        f'{result["fraction_negative"]["reweighted"]:.1%}, '
        f'{"agrees" if result["agrees"] else "DISAGREES"}', flush=True)
  return result


def _value(row):
  """`value ± error (reference r ± e)` of a `compare_observables` row."""
  return (f'{row["value"]:.4f} ± {row["error"]:.4f} (reference '
          f'{row["reference"]:.4f} ± {row["reference_error"]:.4f})')


def _plot_magnetization(magnetization, weights, reference, config, folder):
  """Histogram of M, raw and reweighted, with the reference <|M|> marked."""
  plt = _common.pyplot()
  fig, ax = plt.subplots(figsize=(4.5, 3), layout='constrained')
  bins = np.linspace(magnetization.min(), magnetization.max(), 50)
  ax.hist(magnetization, bins=bins, density=True, histtype='step',
          label='flow samples')
  ax.hist(magnetization, bins=bins, weights=weights, density=True,
          histtype='step', label='reweighted')
  abs_m = reference['abs_magnetization']['value']
  for sign in (-1, 1):
    ax.axvline(sign * abs_m, color='k', linestyle=':', linewidth=1,
               label='HMC ±<|M|>' if sign > 0 else None)
  ax.set_xlabel('M')
  ax.set_ylabel('density')
  ax.set_title(config['path'], fontsize=8)
  ax.legend(fontsize=7)
  return _common.save_figure(fig, folder, 'magnetization.png')


def _read_log(path):
  """`{phase: (steps, ess, fraction_negative)}` of one `log.csv`."""
  phases = {}
  with Path(path).open() as f:
    for row in csv.DictReader(f):
      phases.setdefault(row['phase'], []).append(
          [float(row[k]) for k in ('step', 'ess', 'fraction_negative')])
  return {p: np.array(rows).T for p, rows in phases.items()}


def _size_folders(results_dir):
  """`{L folder: {arm folder name: [log.csv paths]}}` under `results_dir`."""
  folders = {}
  for path in sorted(Path(results_dir).glob('**/seed*/log.csv')):
    arm = path.parent.parent
    folders.setdefault(arm.parent, {}).setdefault(arm.name, []).append(path)
  return folders


def plot_logs(results_dir):
  """Writes `ess.png` in every lattice-size folder of `results_dir`.

  Left: ESS against training steps per arm (mean ± standard deviation band
  over seeds when there are several); right: the fraction of samples with
  M < 0 of the bimodal arms, the pretraining phase before the training one.
  Returns the paths written.
  """
  plt = _common.pyplot()
  written = []
  for folder, arms in _size_folders(results_dir).items():
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout='constrained')
    for name, paths in arms.items():
      logs = [_read_log(p) for p in paths]
      _band(axes[0], logs, 1, name)
      if name.startswith('bimodal'):
        _band(axes[1], logs, 2, name)
    axes[0].set_ylabel('ESS')
    axes[1].set_ylabel('fraction M < 0')
    for ax in axes:
      ax.set_xlabel('step (pretraining, then training)')
      if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6)
      else:
        ax.text(0.5, 0.5, 'no bimodal arm', ha='center',
                transform=ax.transAxes)
    fig.suptitle(str(folder.relative_to(results_dir)), fontsize=9)
    written.append(_common.save_figure(fig, folder, 'ess.png'))
  return written


def _band(ax, logs, column, label):
  """Mean over seeds (and a ± std band) of one `log.csv` column."""
  series = []
  for log in logs:
    offset, steps, values = 0., [], []
    for phase in ('pretrain', 'train'):
      if phase in log:
        steps.append(log[phase][0] + offset)
        values.append(log[phase][column])
        offset = steps[-1][-1]
    series.append(dict(zip(np.concatenate(steps), np.concatenate(values))))
  steps = sorted(set().union(*series))
  table = np.array([[s.get(k, np.nan) for k in steps] for s in series])
  mean = np.nanmean(table, axis=0)
  line, = ax.plot(steps, mean, label=f'{label} ({len(logs)})', linewidth=1)
  if len(logs) > 1:
    std = np.nanstd(table, axis=0)
    ax.fill_between(steps, mean - std, mean + std, alpha=0.2,
                    color=line.get_color())


def observable_lines(results_dir, link_prefix='phi4'):
  """Markdown: the evaluated arms' observables against the reference.

  One table per lattice-size folder of `results_dir`, one row per arm:
  ESS and independence-Metropolis acceptance, reweighted <|M|> and
  susceptibility beside the reference (mean ± std over seeds when several),
  whether every reweighted observable agrees (seeds agreeing / seeds), the
  reweighted fraction of samples with M < 0, and the paper's ESS (for a
  20 x 20 lattice, shown beside every lattice size, labelled so); then the
  folder's figures, with `link_prefix` the path of
  `results_dir` from the report.
  """
  lines = []
  for folder, arms in _size_folders(results_dir).items():
    relative = folder.relative_to(results_dir).as_posix()
    rows = []
    for name in arms:
      found = sorted(folder.glob(f'{name}/seed*/observables.json'))
      if found:
        rows.append(_observable_row(name, found))
    figures = sorted(p.relative_to(results_dir).as_posix()
                     for p in folder.glob('**/*.png'))
    if not rows and not figures:
      continue
    lines += [f'### phi4 `{relative}`: observables against HMC', '']
    if rows:
      lines += ['| arm | seeds | ESS | IMH acceptance | <\\|M\\|> | reference '
                '| chi | reference | agrees | M < 0 | paper ESS (20 × 20) |',
                '|---|---|---|---|---|---|---|---|---|---|---|', *rows, '']
    lines += [f'![{f}]({link_prefix}/{f})' if f.endswith('ess.png')
              else f'- [{f}]({link_prefix}/{f})' for f in figures]
    lines.append('')
  return lines


def _observable_row(name, paths):
  """One table row from an arm's seeds' `observables.json`."""
  results = [json.loads(p.read_text()) for p in paths]
  rw = [r['reweighted'] for r in results]
  figures = paper.numbers('phi4', name) or {}
  cells = [name, str(len(results)),
           _spread([r['ess'] for r in results], '.1%'),
           _spread([r['imh_acceptance'] for r in results], '.1%')]
  for key in ('abs_magnetization', 'susceptibility'):
    cells += [_spread([r[key]['value'] for r in rw], '.4f')
              + (f' ± {rw[0][key]["error"]:.4f}' if len(rw) == 1 else ''),
              f'{rw[0][key]["reference"]:.4f} ± '
              f'{rw[0][key]["reference_error"]:.4f}']
  cells += [f'{sum(r["agrees"] for r in results)}/{len(results)}',
            _spread([r['fraction_negative']['reweighted'] for r in results],
                    '.0%'),
            figures.get('ess', '—')]
  return '| ' + ' | '.join(cells) + ' |'


def _spread(values, spec):
  """`mean ± std` over seeds, or the single value."""
  values = np.array(values)
  if len(values) == 1:
    return format(values[0], spec)
  return (f'{format(values.mean(), spec)} ± '
          f'{format(values.std(ddof=1), spec)}')

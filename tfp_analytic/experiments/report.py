"""Collects the latest runs into `results/RESULTS.md`, ours beside the paper.

Reads `<runs-dir>/<experiment>/metrics.json` (and `config.json`) of every
experiment, or, for a run of several seeds (`--seeds N`), those of
`<runs-dir>/<experiment>/seed<k>/`. A metrics entry that is a dict with a
`'paper'` key is one row: each metric the paper reports, ours beside it,
plus our metrics the paper has no number for. Over seeds a cell is
`mean ± std (n = seeds)`. The paper column holds the paper's numbers only; a
number listed in the paper entry's `guessed` is our estimate and marked
`(G)`. The figures of each run (of its first seed) are linked under its table.
"""

import json
import os
from pathlib import Path

import numpy as np

from tfp_analytic.experiments import phi4

# Settings named in a run's heading line when its config has them.
_SETTINGS = ('family', 'amplitude', 'members', 'modes', 'transforms',
             'grid')
# Metrics shown when present, in this order.
_COLUMNS = ('test_nll', 'forward_kl', 'ess', 'fraction_negative',
            'reverse_kl', 'parameters', 'learning_rate', 'diverged_step',
            'skipped_steps', 'max_stable_lr', 'lr_ratio')


def add_arguments(parser):
  parser.add_argument('--runs-dir', default='runs',
                      help='folder of the runs (one subfolder each)')
  parser.add_argument('--results', default=os.path.join('results',
                                                        'RESULTS.md'),
                      help='the Markdown file to write')


def _format(value):
  if value is None:
    return '—'
  if isinstance(value, str):  # A bound or range the paper gives, '< 0.2'.
    return value
  if isinstance(value, int):
    return f'{value:,}'
  if abs(value) >= 1e4 or (value and abs(value) < 1e-2):
    return f'{value:.3g}'
  return f'{value:.3f}'


def aggregate(runs):
  """Rows of the metrics of one or more seeds: each cell over the seeds.

  Args:
    runs: list of metrics dicts (one per seed), as in `metrics.json`.

  Returns:
    `{row: {metric: values, 'paper': paper}}`: for each row (an entry with
    a `'paper'` key) and metric of `_COLUMNS`, the list of its values over
    the seeds that have it, and the paper's entry of the first seed.

  #### Example

  ```python
  from tfp_analytic.experiments import report
  rows = report.aggregate([{'a': dict(ess=0.5, paper=None)},
                           {'a': dict(ess=0.7, paper=None)}])
  rows['a']['ess']  # ==> [0.5, 0.7]
  ```
  """
  rows = {}
  for metrics in runs:
    for name, entry in metrics.items():
      if not (isinstance(entry, dict) and 'paper' in entry):
        continue
      row = rows.setdefault(name, {'paper': entry['paper'] or {}})
      for column in _COLUMNS:
        if isinstance(entry.get(column), (int, float)):
          row.setdefault(column, []).append(entry[column])
  return rows


def _cell(values):
  """One value as it is; several as `mean ± std (n = count)`."""
  if not values:
    return '—'
  if len(values) == 1:
    return _format(values[0])
  return (f'{_format(float(np.mean(values)))} ± '
          f'{_format(float(np.std(values)))} (n = {len(values)})')


def _paper_cell(paper, column):
  cell = _format(paper.get(column))
  return f'{cell} (G)' if column in paper.get('guessed', ()) else cell


def _table(runs):
  rows = aggregate(runs)
  columns = [c for c in _COLUMNS if any(c in row for row in rows.values())]
  lines = ['| run | ' + ' | '.join(f'{c} | paper' for c in columns) + ' |',
           '|---' * (2 * len(columns) + 1) + '|']
  for name, row in rows.items():
    cells = [f'{_cell(row.get(c))} | {_paper_cell(row["paper"], c)}'
             for c in columns]
    lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
  return lines


def _run_groups(runs_dir):
  """`[(folder, [run folders])]`: a folder's own run, or its seed<k> runs."""
  groups = []
  for folder in sorted(p for p in runs_dir.glob('*') if p.is_dir()):
    if (folder / 'metrics.json').exists():
      groups.append((folder, [folder]))
      continue
    seeds = sorted((p.parent for p in folder.glob('seed*/metrics.json')),
                   key=lambda p: int(p.name[4:]) if p.name[4:].isdigit()
                   else -1)
    if seeds:
      groups.append((folder, seeds))
  return groups


def _read(path):
  return json.loads(path.read_text()) if path.exists() else {}


def _section(folder, run_folders, results_dir):
  """The Markdown lines of one experiment's run (or seeds)."""
  configs = [_read(f / 'config.json') for f in run_folders]
  config = configs[0]
  title = config.get('experiment', folder.name)
  heading = title if folder.name == title else f'{title}: `{folder.name}`'
  seeds = [c.get('seed') for c in configs]
  seeds = (f'seed {seeds[0]}' if len(seeds) == 1 else
           f'seeds {", ".join(map(str, seeds))} (n = {len(seeds)})')
  settings = ''.join(f', {key} {config[key]}' for key in _SETTINGS
                     if key in config)
  lines = [f'## {heading}', '',
           f'{"quick" if config.get("quick") else "full"} run, {seeds}, '
           f'steps {config.get("steps")}{settings}, started '
           f'{config.get("started")}.', '']
  lines += _table([_read(f / 'metrics.json') for f in run_folders]) + ['']
  for png in sorted(run_folders[0].glob('*.png')):
    link = Path(os.path.relpath(png, results_dir)).as_posix()
    lines.append(f'![{png.stem}]({link})')
  return lines + [''], title


def write_report(runs_dir, results_path):
  """Writes the Markdown report; returns the experiments it covers.

  #### Example

  ```python
  from tfp_analytic.experiments import report
  report.write_report('runs', '/tmp/RESULTS.md')  # ==> [...] (found runs)
  ```
  """
  runs_dir, results_path = Path(runs_dir), Path(results_path)
  results_path.parent.mkdir(parents=True, exist_ok=True)
  lines = ['# Results', '',
           'Generated by `python -m tfp_analytic.experiments report` from '
           f'`{runs_dir}/*/metrics.json` (and `*/seed<k>/`). Each metric: '
           'ours (over several seeds: mean ± standard deviation (ddof 0), '
           'n = seeds), then the '
           'paper\'s number (— where there is none; (G): our estimate, not '
           'printed in the paper). Quick runs are smoke tests, not results.',
           '']
  covered = []
  for folder, run_folders in _run_groups(runs_dir):
    section, title = _section(folder, run_folders, results_path.parent)
    lines += section
    covered.append(title)
  lines += _phi4_section(results_path.parent / 'phi4')
  results_path.write_text('\n'.join(lines))
  print(f'wrote {results_path} ({len(covered)} runs)')
  return covered


def _phi4_section(phi4_dir):
  """The phi4 arms' tables (`phi4.report_lines`), if any have finished."""
  lines = phi4.report_lines(phi4_dir) if phi4_dir.is_dir() else []
  if not lines:
    return []
  return ['## phi4 arms', '', f'Finished arms of `{phi4_dir}` (`python -m '
          'tfp_analytic.experiments phi4`), one table per folder and regime; '
          'mean ± standard deviation over seeds. The observables tables '
          '(`phi4 --evaluate`) compare each flow with the HMC reference.',
          '', *lines]


def run(args):
  return write_report(args.runs_dir, args.results)

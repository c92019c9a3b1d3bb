"""Collects the latest runs into `results/RESULTS.md`, ours beside the paper.

Reads `<runs-dir>/<experiment>/metrics.json` (and `config.json`) of every
experiment, or, for a run of several seeds (`--seeds N`), those of
`<runs-dir>/<experiment>/seed<k>/`, and the phi4 arms beside the report
(`results/phi4/`). First the claims table: each claim of the paper
(`paper.CLAIMS`), the runs that test it and their verdicts
(`verdicts.judge`), or "not run". Then a section per run: a metrics entry
that is a dict with a `'paper'` key is one row, each metric ours beside the
paper's figure and its source (from `paper.CLAIMS`, not from the run's
copy, so a corrected figure needs no rerun; (G): our reconstruction). Over
seeds a cell is `mean ± std (n = seeds)`. A run whose `config.json` the
current code could not have written (`provenance.problems`) is marked, and
its verdicts carry a †. The figures of each run (of its first seed) are
linked under its table.
"""

import collections
import fnmatch
import json
import os
from pathlib import Path

import numpy as np

from tfp_analytic.experiments import paper
from tfp_analytic.experiments import phi4
from tfp_analytic.experiments import phi4_reference
from tfp_analytic.experiments import provenance
from tfp_analytic.experiments import verdicts

# Settings named in a run's heading line when its config has them.
_SETTINGS = ('family', 'amplitude', 'members', 'modes', 'transforms',
             'grid')
# Metrics shown when present, in this order.
_COLUMNS = ('test_nll', 'forward_kl', 'ess', 'fraction_negative',
            'reverse_kl', 'parameters', 'learning_rate', 'diverged_step',
            'skipped_steps', 'max_stable_lr', 'lr_ratio')
# Experiments whose metrics have no rows: their own table of a run folder.
_TABLES = {'phi4-reference': phi4_reference.report_lines}
# Settings named beside a run in the claims table.
_CLAIM_SETTINGS = {'1d': ('amplitude',), 'spiral-coupling': ('learning_rate',),
                   'phi4': ('lattice_size',)}
# One run (or its seeds) as the claims table reads it: `rows` is
# `{row: {metric: [value per seed]}}`, `problems` `provenance.problems`.
Evidence = collections.namedtuple('Evidence',
                                  'label experiment config rows problems')


def add_arguments(parser):
  parser.add_argument('--runs-dir', default='runs',
                      help='folder of the runs (one subfolder each)')
  parser.add_argument('--results', default=os.path.join('results',
                                                        'RESULTS.md'),
                      help='the Markdown file to write')


def _format(value, percent=False):
  if value is None:
    return '—'
  if isinstance(value, str):  # A bound or range the paper gives, '< 0.2'.
    return value
  if percent:
    return f'{100 * value:.1f} %'
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
    `{row: {metric: values}}`: for each row (an entry with a `'paper'` key)
    and metric of `_COLUMNS`, the list of its values over the seeds that
    have it.

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
      row = rows.setdefault(name, {})
      for column in _COLUMNS:
        if isinstance(entry.get(column), (int, float)):
          row.setdefault(column, []).append(entry[column])
  return rows


def _cell(values, percent=False):
  """One value as it is; several as `mean ± std (n = count)` (ddof 1)."""
  if not values:
    return '—'
  if len(values) == 1:
    return _format(values[0], percent)
  return (f'{_format(float(np.mean(values)), percent)} ± '
          f'{_format(float(np.std(values, ddof=1)), percent)} '
          f'(n = {len(values)})')


def _paper_cell(claims, column):
  """The paper's figures for one metric, each with its source; (G): ours."""
  figures = [f'{c.paper} (G)' if c.guessed else f'{c.paper} ({c.source})'
             for c in claims if c.metric == column]
  return '; '.join(figures) or '—'


def _table(rows, experiment, config):
  """Ours beside the paper's figures; ours alone for an experiment of which
  the paper prints no figure (tabular, conditional)."""
  columns = [c for c in _COLUMNS if any(c in row for row in rows.values())]
  with_paper = any(c.experiment == experiment for c in paper.CLAIMS)
  headings = [f'{c} | paper' if with_paper else c for c in columns]
  lines = ['| run | ' + ' | '.join(headings) + ' |',
           '|---' * (len(columns) * (1 + with_paper) + 1) + '|']
  for name, row in rows.items():
    claims = paper.claims_for(experiment, name, config)
    cells = [_cell(row.get(c)) + (f' | {_paper_cell(claims, c)}'
                                  if with_paper else '') for c in columns]
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


def _problems(configs):
  """The provenance problems of a run's seeds, each said once."""
  return list(dict.fromkeys(p for c in configs
                            for p in provenance.problems(c)))


def _section(folder, run_folders, results_dir):
  """The Markdown lines of one experiment's run (or seeds), its evidence."""
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
  problems = _problems(configs)
  if problems:
    lines += ['**† Not written by the current code** (its verdicts stand '
              'until it is rerun): ' + '; '.join(problems) + '.', '']
  rows = aggregate([_read(f / 'metrics.json') for f in run_folders])
  if title in _TABLES:
    lines += _TABLES[title](run_folders[0]) + ['']
  elif rows:
    lines += _table(rows, title, config) + ['']
  for png in sorted(run_folders[0].glob('*.png')):
    link = Path(os.path.relpath(png, results_dir)).as_posix()
    lines.append(f'![{png.stem}]({link})')
  evidence = Evidence(folder.name, title, config, rows, problems)
  return lines + [''], evidence


def write_report(runs_dir, results_path):
  """Writes the Markdown report; returns the experiments it covers.

  #### Example

  ```python
  from tfp_analytic.experiments import report
  report.write_report('results/runs', '/tmp/RESULTS.md')  # ['1d', ...]
  ```
  """
  runs_dir, results_path = Path(runs_dir), Path(results_path)
  results_path.parent.mkdir(parents=True, exist_ok=True)
  phi4_dir = results_path.parent / 'phi4'
  sections, evidence, covered = [], _phi4_evidence(phi4_dir), []
  for folder, run_folders in _run_groups(runs_dir):
    section, run_evidence = _section(folder, run_folders, results_path.parent)
    sections += section
    evidence.append(run_evidence)
    covered.append(run_evidence.experiment)
  lines = [*_header(runs_dir, phi4_dir), *claims_table(evidence), *sections,
           *_phi4_section(phi4_dir)]
  results_path.write_text('\n'.join(lines))
  print(f'wrote {results_path} ({len(covered)} runs)')
  return covered


def _header(runs_dir, phi4_dir):
  return [
      '# Results', '',
      'Generated by `python -m tfp_analytic.experiments report` from '
      f'`{runs_dir}/*/metrics.json` (and `*/seed<k>/`) and the phi4 arms of '
      f'`{phi4_dir}`; only machine-written files count. First the claims '
      'of the paper and their verdicts, then each run. Each metric: ours '
      '(over several seeds: mean ± standard deviation (ddof 1), n = seeds), '
      'then the paper\'s figure as the paper prints it and its source '
      '(section, figure or table; "later version": a revised version of the '
      'paper, whose numbers the text we worked from lacks), — where it has '
      'none (an experiment of which it prints no figure, tabular or '
      'conditional, has no paper columns); (G): our reconstruction, not '
      'printed in the paper. †: a run '
      'whose config.json the current code could not have written (older '
      'code, or a hand edit); its numbers stand until it is rerun. Quick '
      'runs are smoke tests, not results.', '']


def claims_table(evidence):
  """Markdown: every claim of `paper.CLAIMS` but the guessed, its verdicts.

  Args:
    evidence: list of `Evidence`, the runs found.

  Returns:
    The lines of the claims section: the rule (`verdicts.RULE`), a count of
    the verdicts, and one table row per claim and run testing it (one
    "not run" row for a claim no run tests).

  #### Example

  ```python
  from tfp_analytic.experiments import report
  run = report.Evidence('ring-mixture', 'ring-mixture', {},
                        {'radial': {'parameters': [1664]}}, [])
  lines = report.claims_table([run])
  [l for l in lines if l.startswith('| ring mixture, radial')]
  # ==> ['| ring mixture, radial flow: parameters | ... | 1.6k | 100 |
  #      `ring-mixture` | 1,664 | met within noise (1 seed) |']
  ```
  """
  rows, counts = [], collections.Counter()
  kinds = (verdicts.BEATEN, verdicts.MET, verdicts.MISSED, verdicts.NOT_RUN)
  for claim in paper.CLAIMS:
    if claim.guessed:
      continue
    tolerance = _format(claim.tolerance, claim.paper.endswith('%'))
    for run, ours, verdict in _claim_results(claim, evidence):
      counts[next(k for k in kinds if verdict.startswith(k))] += 1
      rows.append(f'| {claim.statement} | {claim.source} | {claim.paper} | '
                  f'{tolerance} | {run} | {ours} | {verdict} |')
  summary = ', '.join(f'{counts[k]} {k}' for k in kinds)
  return ['## Claims of the paper', '', verdicts.RULE, '',
          f'Verdicts (a row per claim and run): {summary}.', '',
          '| claim | source | paper | tol. | run | ours | verdict |',
          '|---' * 7 + '|', *rows, '']


def _claim_results(claim, evidence):
  """`[(run, ours, verdict)]` of every run that tests `claim`."""
  results = []
  for run in evidence:
    if run.experiment != claim.experiment:
      continue
    names = [name for name, row in run.rows.items()
             if claim.metric in row
             and any(fnmatch.fnmatchcase(name, p) for p in claim.rows)]
    values = [run.rows[name][claim.metric] for name in names]
    if claim.kind == 'value':
      results += [_claim_result(claim, run, [v], name)
                  for name, v in zip(names, values)]
    elif len(values) > 1:
      results.append(_claim_result(claim, run, values, None))
  return results or [('—', '—', verdicts.NOT_RUN)]


def _claim_result(claim, run, values, row):
  """One run's `(run, ours, verdict)` on `claim`."""
  settings = ', '.join(f'{key} {run.config[key]:g}' for key in
                       _CLAIM_SETTINGS.get(run.experiment, ())
                       if key in run.config)
  wildcard = any(c in p for p in claim.rows for c in '*?[')
  label = f'`{run.label}`' + (f' ({settings})' if settings else '') + (
      f': {row}' if row and wildcard else '')
  percent = claim.paper.endswith('%')
  ours = (_cell(values[0], percent) if claim.kind == 'value' else
          ' → '.join(_format(float(np.mean(v))) for v in values)
          + (f' (n = {len(values[0])})' if len(values[0]) > 1 else ''))
  if not claim.applies_to(run.config):
    wanted = ', '.join(f'{key} {value}' for key, value in claim.where)
    return label, ours, f'{verdicts.NOT_RUN} at {wanted}'
  verdict = verdicts.judge(claim, values)
  if len(values[0]) == 1:
    verdict += ' (1 seed)'
  return label, ours, verdict + (' †' if run.problems else '')


def _phi4_evidence(phi4_dir):
  """`Evidence` of each phi4 arm under `phi4_dir`: its seeds' ESS and
  fraction of samples at M < 0, in a row `<regime>-<arm>`."""
  arms = collections.defaultdict(list)
  for path in sorted(Path(phi4_dir).glob('**/seed*/metrics.json')):
    arms[path.parent.parent].append(path.parent)
  evidence = []
  for folder, seeds in arms.items():
    configs = [_read(s / 'config.json') for s in seeds]
    metrics = [_read(s / 'metrics.json') for s in seeds]
    row = {key: [m[key] for m in metrics] for key in ('ess',
                                                      'fraction_negative')}
    label = folder.relative_to(Path(phi4_dir).parent).as_posix()
    evidence.append(Evidence(
        label, 'phi4', configs[0],
        {f'{configs[0]["regime"]}-{configs[0]["arm"]}': row},
        _problems(configs)))
  return evidence


def _phi4_section(phi4_dir):
  """The phi4 arms' tables (`phi4.report_lines`), if any have finished."""
  lines = phi4.report_lines(phi4_dir) if phi4_dir.is_dir() else []
  if not lines:
    return []
  return ['## phi4 arms', '', f'Finished arms of `{phi4_dir}` (`python -m '
          'tfp_analytic.experiments phi4`), one table per folder and regime; '
          'mean ± standard deviation over seeds. The observables tables '
          '(`phi4 --evaluate`) compare each flow with the HMC reference of '
          'its lattice. The paper trains on a 20 × 20 lattice only: its ESS, '
          'shown beside our arms of every size, is a verdict for our L = 20 '
          'arms alone (claims table); a smaller lattice is an easier target.',
          '', *lines]

def run(args):
  return write_report(args.runs_dir, args.results)

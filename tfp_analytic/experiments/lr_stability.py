"""Training stability over learning rates: radial vs coupling (paper §5.4).

The paper trains radial flows at learning rates 10-100x those of coupling
flows "without observing training instability". Here each model trains on
the spiral at each rate of `--learning-rates` (1e-4 to 1e-1), with its
paper schedule: the radial flows at a constant rate, the coupling flow with
warmup to the rate, then decay 10x (docs/experiments.md#lr-stability). The
models: `radial`, angle-free, 10 centers x 8 copies (the paper's
"reasonable" grid cell, §5.4); `fourier`, one Fourier radial layer with
M = 3 (`spiral-radial`); `coupling`, the `spiral-coupling` flow (12 layers,
ResNet conditioners of width 128). All use the same analytic family
(`--family`), but `fourier` uses sinh conjugations, as in the paper.

A step whose loss or gradients are not finite, or that breaks the flow's
round trip (`_fit.ROUND_TRIP_TOLERANCE`), is refused; after
`--max-bad-steps` of them in a row training stops: the run diverged at the
first step of that streak (`diverged_step`), and its test NLL is that of
the last accepted weights (`None` if not finite). A rate is *stable* for a
model when its run finished without a refused step and improved the test
NLL.
Metrics per (model, rate): test NLL, forward KL, `diverged_step`,
`skipped_steps`; per model: the highest stable rate and the best test NLL;
`<radial model> / coupling`: the ratio of their highest stable rates.
Figure `stability.png`: final test NLL against the rate, diverged runs
marked.
"""

import dataclasses
import re
import warnings

import numpy as np

from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import spiral_coupling
from tfp_analytic.experiments import spiral_radial
from tfp_analytic.experiments import targets

option = _config.option
MODELS = ('radial', 'fourier', 'coupling')


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` tries two rates on tiny flows."""
  models: tuple = option(MODELS, 'models to train', choices=MODELS,
                         quick=('radial', 'coupling'))
  learning_rates: tuple = option(
      (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1), 'learning rates (the '
      'coupling flow\'s peak rate)', quick=(1e-3, 1e-1))
  steps: int = option(5000, 'training steps', quick=30)
  batch_size: int = option(256, 'batch size')
  family: str = option('cubic_conjugation', 'family of the radial and '
                       'coupling stacks',
                       choices=tuple(flows.ANALYTIC_FAMILIES))
  centers: int = option(10, 'centers of the radial flow', quick=2)
  copies: int = option(8, 'copies per center of the radial flow', quick=2)
  modes: int = option(3, 'harmonics M of the Fourier radial flow')
  coupling_members: int = option(9, 'members per coupling stack', quick=2)
  coupling_layers: int = option(12, 'coupling layers', quick=2)
  coupling_width: int = option(128, 'ResNet width of the coupling flow',
                               quick=16)
  max_bad_steps: int = option(10, 'refused steps in a row that stop a run')
  test_samples: int = option(100_000, 'held-out samples', quick=2000)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def _arm(model, rate, config, seed):
  """The flow `model` and its schedule at the (peak) `rate`."""
  fit_kwargs = dict(max_bad_steps=config.max_bad_steps)
  if model == 'coupling':
    coupling = spiral_coupling.Config(
        steps=config.steps, members=(config.coupling_members,),
        layers=config.coupling_layers, width=config.coupling_width,
        learning_rate=rate)
    flow = spiral_coupling.make_flow(coupling, config.family,
                                     config.coupling_members)
    return _fit.Arm(flow, dict(fit_kwargs, **coupling.schedule))
  if model == 'radial':
    flow = flows.radial_flow(2, num_centers=config.centers,
                             transform=config.family,
                             num_members=config.copies, seed=seed)
  else:
    flow = spiral_radial.fourier_radial_flow(config.modes, seed=seed)
  return _fit.Arm(flow, dict(fit_kwargs, learning_rate=rate))


def train_at_rate(name, arm, test, args, config):
  """One run: its row, with `diverged_step` and `skipped_steps`."""
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always', RuntimeWarning)
    row = _fit.fit_arm(name, arm, targets.spiral_sample, test, args,
                       config.steps, config.batch_size,
                       entropy=targets.SPIRAL_ENTROPY)[0]
  row.setdefault('diverged_step', None)
  skipped = [re.search(r'skipped (\d+) of', str(w.message)) for w in caught]
  row['skipped_steps'] = sum(int(m.group(1)) for m in skipped if m)
  if row['diverged_step'] is not None:
    row['skipped_steps'] = max(row['skipped_steps'], config.max_bad_steps)
  row['stable'] = (row['diverged_step'] is None and not row['skipped_steps']
                   and row['test_nll'] is not None
                   and row['test_nll'] < row['initial_test_nll'])
  return row


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dataclasses.asdict(config))
  test = _fit.spiral_test_set(config.test_samples, args.seed)
  results = dict(target_entropy=targets.SPIRAL_ENTROPY)
  for model in config.models:
    for rate in config.learning_rates:
      name = f'{model} lr={rate:g}'
      row = train_at_rate(name, _arm(model, rate, config, args.seed), test,
                          args, config)
      results[name] = dict(row, model=model, learning_rate=rate)
      _common.write_metrics(out, results)
  results.update(summary_rows(results, config))
  _common.write_metrics(out, results)
  _plot(results, config, out)
  return results


def summary_rows(results, config):
  """Per model its highest stable rate and best test NLL; the rate ratios."""
  rows, highest = {}, {}
  for model in config.models:
    runs = [results[f'{model} lr={rate:g}'] for rate in config.learning_rates]
    stable = [r['learning_rate'] for r in runs if r['stable']]
    finished = [r for r in runs if r['test_nll'] is not None]
    best = min(finished, key=lambda r: r['test_nll'],
               default=dict(learning_rate=None, test_nll=None))
    highest[model] = max(stable, default=None)
    rows[f'{model}: summary'] = dict(
        max_stable_lr=highest[model], learning_rate=best['learning_rate'],
        test_nll=best['test_nll'], paper=None)
  for model in config.models:
    if model != 'coupling' and highest.get('coupling') and highest[model]:
      # §5.4: rates "between one and two orders of magnitude larger".
      name = f'{model} / coupling'
      rows[name] = dict(lr_ratio=highest[model] / highest['coupling'],
                        paper=paper.numbers('lr-stability', name))
  return rows


def _plot(results, config, out):
  """Final test NLL against the rate; a cross where a run diverged."""
  plt = _common.pyplot()
  fig, ax = plt.subplots(figsize=(6, 4), layout='constrained')
  for model in config.models:
    runs = [results[f'{model} lr={rate:g}'] for rate in config.learning_rates]
    nll = [np.nan if r['test_nll'] is None else r['test_nll'] for r in runs]
    line, = ax.plot(config.learning_rates, nll, 'o-', label=model)
    bad = [(r['learning_rate'], n) for r, n in zip(runs, nll)
           if not r['stable']]
    if bad:
      rates, values = zip(*bad)
      top = np.nanmax(nll) if np.any(np.isfinite(nll)) else 0.
      ax.plot(rates, [top if np.isnan(v) else v for v in values], 'x',
              color=line.get_color(), ms=10, mew=2)
  ax.axhline(targets.SPIRAL_ENTROPY, color='0.5', ls='--', lw=1.,
             label='target entropy (best NLL)')
  ax.set_xscale('log')
  ax.set_xlabel('learning rate (coupling: peak)')
  ax.set_ylabel('final test NLL')
  ax.set_title('x: diverged, skipped steps or no improvement', fontsize=9)
  ax.legend(fontsize=8)
  ax.grid(alpha=0.3)
  return _common.save_figure(fig, out, 'stability.png')

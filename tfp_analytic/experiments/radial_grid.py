"""Angle-free radial flows on the spiral: centers x copies (paper §5.4).

For each analytic family, radial flows of `C` centers, each a stack of `K`
copies (members) of the family (`flows.radial_flow`, one `RadialChain`),
on the grid `C` in {5, 10, 20, 40} x `K` in {4, 8, 16, 32}. Trained by NLL
on fresh spiral samples for 10,000 steps, batch 128, at a constant learning
rate (docs/experiments.md#radial-grid). Metric: the forward KL
`test NLL - H` (`H = -0.855`). `--centers`, `--copies` and `--families`
run part of the grid; config.json and metrics.json then say `grid:
reduced`. metrics.json is written after every cell, so a run cut short keeps
the cells it finished. Figures: forward KL against copies, one line per
number of centers, one panel per family (`grid.png`); the target beside the
best flow of each family (`density.png`).
"""

import dataclasses

import numpy as np

from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import targets

option = _config.option

FAMILIES = tuple(flows.ANALYTIC_FAMILIES)


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains a 2 x 2 grid of one family."""
  families: tuple = option(FAMILIES, 'analytic families',
                           quick=('cubic_conjugation',), choices=FAMILIES)
  centers: tuple = option((5, 10, 20, 40), 'numbers of centers C',
                          quick=(1, 2))
  copies: tuple = option((4, 8, 16, 32), 'copies K per center (members of '
                         'each radial stack)', quick=(2, 3))
  steps: int = option(10_000, 'training steps', quick=40)
  batch_size: int = option(128, 'batch size')
  learning_rate: float = option(1e-2, 'constant learning rate')
  test_samples: int = option(100_000, 'held-out samples', quick=2000)

  @property
  def grid(self):
    """`'full'` for the paper's grid of every family, else `'reduced'`."""
    full = Config()
    same = all(getattr(self, key) == getattr(full, key)
               for key in ('families', 'centers', 'copies'))
    return 'full' if same else 'reduced'


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def row_name(family, centers, copies):
  """The metrics row of one cell, e.g. `'sinh_conjugation 40x16'`."""
  return f'{family} {centers}x{copies}'


def _arm(family, centers, copies, config, seed):
  flow = flows.radial_flow(2, num_centers=centers, transform=family,
                           num_members=copies, seed=seed,
                           name=f'radial_{centers}x{copies}')
  return _fit.Arm(flow, dict(learning_rate=config.learning_rate),
                  paper.numbers('radial-grid',
                                row_name(family, centers, copies)))


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dict(
      dataclasses.asdict(config), grid=config.grid,
      entropy=targets.SPIRAL_ENTROPY))
  test = _fit.spiral_test_set(config.test_samples, args.seed)
  results = dict(grid=config.grid, target_entropy=targets.SPIRAL_ENTROPY)
  best = {}  # family -> (test NLL, row name, traced log_prob)
  for family in config.families:
    for centers in config.centers:
      for copies in config.copies:
        name = row_name(family, centers, copies)
        row, _, log_prob = _fit.fit_arm(
            name, _arm(family, centers, copies, config, args.seed),
            targets.spiral_sample, test, args, config.steps,
            config.batch_size, entropy=targets.SPIRAL_ENTROPY,
            out=out)
        results[name] = dict(row, family=family, centers=centers,
                             copies=copies)
        if row['test_nll'] is not None and (
            family not in best or row['test_nll'] < best[family][0]):
          best[family] = (row['test_nll'], name, log_prob)
        _common.write_metrics(out, results)
  _plot_grid(results, config, out)
  _fit.plot_densities(
      targets.spiral_log_prob, targets.SPIRAL_ENTROPY,
      {name: log_prob for _, name, log_prob in best.values()}, results, out,
      extent=1., quick=args.quick)
  return results


def _plot_grid(results, config, out):
  """Forward KL against copies, a line per number of centers, per family."""
  plt = _common.pyplot()
  fig, axes = plt.subplots(1, len(config.families),
                           figsize=(3.6 * len(config.families), 3.2),
                           squeeze=False, sharey=True, layout='constrained')
  colors = plt.cm.viridis(np.linspace(0., 0.9, len(config.centers)))
  for ax, family in zip(axes[0], config.families):
    for centers, color in zip(config.centers, colors):
      kl = [results[row_name(family, centers, k)]['forward_kl']
            for k in config.copies]
      # A cell whose last accepted weights give no finite NLL: no point.
      kl = [np.nan if value is None else value for value in kl]
      ax.plot(config.copies, kl, 'o-', color=color, label=f'{centers} centers')
    ax.axhline(0.2, color='0.5', ls='--', lw=1.,
               label='paper: < 0.2 at 40 centers, 16-32 copies')
    ax.set_xscale('log', base=2)
    ax.set_xticks(config.copies, [str(k) for k in config.copies])
    ax.set_xlabel('copies per center')
    ax.set_title(family, fontsize=9)
    ax.grid(alpha=0.3)
  axes[0][0].set_ylabel('forward KL (nats)')
  axes[0][-1].legend(fontsize=7)
  fig.suptitle(f'radial flows on the spiral ({config.grid} grid)', fontsize=9)
  return _common.save_figure(fig, out, 'grid.png')

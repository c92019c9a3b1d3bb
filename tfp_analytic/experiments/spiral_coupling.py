"""Coupling flows on the 2-D spiral: analytic vs spline vs affine (paper §5.3).

12 coupling layers with ResNet conditioners (width 128, GELU), identical for
every transform; per coordinate a stack of N = 9 analytic bijections
(cubic rational, sinh or cubic conjugation; `--members 1 3 9` trains one
flow per N, rows `<family>_x<N>`), a rational-quadratic spline (8
bins on [-1.2, 1.2]) or an affine map. Trained by NLL on fresh samples with
warmup to a peak rate of 1e-3, then exponential decay
(docs/experiments.md#spiral-coupling; our first guess, 1e-4, did worse for
every transform). Metrics:
held-out test NLL and forward KL `NLL - H` (`H = -0.855`), beside the
paper's forward KL. Figures: densities vs the target, training curves, and
the inverse images of target samples (how well each flow Gaussianizes the
spiral).
"""

import dataclasses

import numpy as np

from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import targets

TRANSFORMS = (*flows.ANALYTIC_FAMILIES, 'spline', 'affine')
option = _config.option


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains two tiny flows."""
  transforms: tuple = option(TRANSFORMS, 'transforms to compare',
                             quick=('cubic_conjugation', 'affine'),
                             choices=TRANSFORMS)
  steps: int = option(5000, 'training steps', quick=100)
  members: tuple = option((9,), 'members N of each analytic stack (one '
                          'flow per N)', quick=(3,))
  layers: int = option(12, 'coupling layers', quick=2)
  width: int = option(128, 'conditioner width', quick=16)
  mlp: bool = option(False, '2-layer MLP conditioners instead of ResNets')
  spline_bound: float = option(1.2, 'the spline\'s domain [-b, b]')
  batch_size: int = option(256, 'batch size')
  learning_rate: float = option(
      1e-3, 'peak rate: warmup, then decay 10x (a first guess, 1e-4, did '
      'worse for every transform; against the paper: results/RESULTS.md)',
      quick=3e-3)
  test_samples: int = option(100_000, 'held-out samples', quick=2000)

  @property
  def hidden_units(self):
    return (self.width,) * (2 if self.mlp else 3)

  @property
  def schedule(self):
    """`train.fit_nll` arguments: warmup to the peak, then decay 10x."""
    return dict(learning_rate=self.learning_rate,
                warmup_steps=min(100, self.steps // 10),
                final_learning_rate=self.learning_rate / 10.)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def row_name(transform, members):
  """`'cubic_conjugation_x9'`; a spline or affine map has no members."""
  return transform if members is None else f'{transform}_x{members}'


def make_flow(config, transform, members):
  """The coupling flow of `config` with `transform` (`members` per stack)."""
  return flows.coupling_flow(
      2, flows.get_transform(transform, members or 1,
                             spline_bound=config.spline_bound),
      num_layers=config.layers, hidden_units=config.hidden_units,
      residual=not config.mlp, name=row_name(f'coupling_{transform}',
                                             members))


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dict(
      dataclasses.asdict(config), hidden_units=config.hidden_units,
      residual=not config.mlp, **config.schedule,
      entropy=targets.SPIRAL_ENTROPY))
  arms = {}
  for name in config.transforms:
    for members in (config.members if name in flows.ANALYTIC_FAMILIES
                    else (None,)):
      row = row_name(name, members)
      arms[row] = _fit.Arm(make_flow(config, name, members), config.schedule,
                           paper.numbers('spiral-coupling', row))
  results, test = _fit.fit_spiral(arms, config, out, args)
  _plot_latents({name: arm.flow for name, arm in arms.items()},
                test[:2000], out)
  return results


def _plot_latents(trained, samples, out):
  """Target samples mapped back to the base: ideally standard normal."""
  plt = _common.pyplot()
  fig, axes = plt.subplots(1, len(trained), figsize=(2.6 * len(trained), 2.8),
                           squeeze=False)
  for ax, (name, flow) in zip(axes[0], trained.items()):
    z = np.asarray(flow.bijector.inverse(samples))
    ax.scatter(z[:, 0], z[:, 1], s=1, alpha=0.4, c=np.arange(len(z)) % 7,
               cmap='tab10')
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)
    ax.set_aspect('equal')
    ax.set_title(f'{name}: inverse images', fontsize=9)
  return _common.save_figure(fig, out, 'latents.png')

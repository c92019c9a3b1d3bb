"""Radial-Fourier flows on the 2-D spiral (paper §4.5, §5.4).

One `FourierRadial` layer about a learnable center (the origin at first),
its radial map a stack of 9 `SinhConjugation` members whose raw numbers are
Fourier series of the angle up to the M-th harmonic: 49 / 139 / 229 / 319
parameters for M = 0..3. Trained by NLL on fresh spiral samples every step,
at a constant learning rate (docs/experiments.md#spiral-radial); `--coupling`
adds a coupling-flow baseline (cubic conjugations x 9, as `spiral-coupling`)
and the row "radial (best M)", the paper's comparison of its best radial
flow with a coupling flow (-0.79 vs -0.52). Metrics:
held-out test NLL and the forward KL `NLL - H` with the spiral's entropy
`H = -0.855`.
Figures: densities vs the target, training curves, the images of concentric
circles under the flow and the learned parameters as functions of the angle.
"""

import dataclasses

import numpy as np
import tensorflow_probability as tfp

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import targets

tfd = tfp.distributions
option = _config.option

BEST_RADIAL = 'radial (best M)'


def fourier_radial_flow(num_modes, num_members=9, seed=0):
  """`N(0, I_2)` through one `FourierRadial` layer of sinh conjugations."""
  bijector = tfab.FourierRadial(num_modes, tfab.SinhConjugation, num_members,
                                seed=seed)
  return tfd.TransformedDistribution(
      tfd.Sample(tfd.Normal(0., 1.), [2]), bijector,
      name=f'fourier_radial_m{num_modes}')


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains M = 1 for a few steps."""
  modes: tuple = option((0, 1, 2, 3), 'harmonics M to train', quick=(1,))
  members: int = option(9, 'SinhConjugation members of the radial map')
  steps: int = option(5000, 'training steps', quick=60)
  batch_size: int = option(256, 'batch size')
  learning_rate: float = option(1e-2,
                                'constant learning rate of the radial flows')
  coupling: bool = option(False, 'also train a coupling-flow baseline; '
                          f'adds the row "{BEST_RADIAL}"')
  coupling_transform: str = option(
      'cubic_conjugation', 'transform of the baseline (the paper\'s best)',
      choices=tuple(flows.TRANSFORM_NAMES))
  coupling_learning_rate: float = option(
      1e-3, 'peak rate of the baseline (warmup 100, decay 10x; as '
      'spiral-coupling)')
  coupling_members: int = option(9, 'members of the baseline\'s stacks',
                                 quick=3)
  coupling_layers: int = option(12, 'coupling layers of the baseline',
                                quick=2)
  coupling_hidden_units: tuple = option(
      (128, 128, 128), 'the baseline\'s conditioner widths', quick=(16, 16))
  test_samples: int = option(100_000, 'held-out samples', quick=2000)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def _arms(config, seed):
  arms = {f'M={m}': _fit.Arm(
      fourier_radial_flow(m, config.members, seed=seed),
      dict(learning_rate=config.learning_rate),
      paper.numbers('spiral-radial', f'M={m}'))
          for m in config.modes}
  if config.coupling:
    rate = config.coupling_learning_rate
    arms['coupling'] = _fit.Arm(
        flows.coupling_flow(2, config.coupling_transform,
                            num_members=config.coupling_members,
                            num_layers=config.coupling_layers,
                            hidden_units=config.coupling_hidden_units,
                            residual=True),
        dict(learning_rate=rate, warmup_steps=100,
             final_learning_rate=rate / 10.),
        paper.numbers('spiral-radial', 'coupling'))
  return arms


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dict(dataclasses.asdict(config),
                                          entropy=targets.SPIRAL_ENTROPY))
  arms = _arms(config, args.seed)
  results, _ = _fit.fit_spiral(arms, config, out, args)
  if config.coupling:
    results[BEST_RADIAL] = best_radial_row(results, config.modes)
    _common.write_metrics(out, results)
  radial = {name: arm.flow for name, arm in arms.items()
            if name.startswith('M=')}
  _plot_circles(radial, out)
  _plot_coefficients(radial[f'M={max(config.modes)}'].bijector, out)
  return results


def best_radial_row(results, modes):
  """The radial row of the lowest test NLL, beside the paper's best radial
  flow (its comparison with coupling flows)."""
  names = {f'M={m}': m for m in modes}
  best = _fit.lowest_test_nll(results, names)
  row = results[best] if best else dict(test_nll=None, forward_kl=None)
  return dict(modes=names.get(best), test_nll=row['test_nll'],
              forward_kl=row['forward_kl'],
              paper=paper.numbers('spiral-radial', BEST_RADIAL))


def _plot_circles(radial_flows, out):
  """Images of base-space circles (radii 0.25..2.5) under each flow."""
  plt = _common.pyplot()
  angles = np.linspace(0., 2. * np.pi, 400)
  radii = np.linspace(0.25, 2.5, 10)
  fig, axes = plt.subplots(1, len(radial_flows),
                           figsize=(2.8 * len(radial_flows), 2.9),
                           squeeze=False)
  for ax, (name, flow) in zip(axes[0], radial_flows.items()):
    colors = plt.cm.viridis(np.linspace(0., 1., len(radii)))
    for radius, color in zip(radii, colors):
      circle = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
      image = flow.bijector.forward(circle.astype(np.float32)).numpy()
      ax.plot(image[:, 0], image[:, 1], color=color, lw=1.)
    ax.set_title(f'{name}: images of circles', fontsize=9)
    ax.set_aspect('equal')
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
  return _common.save_figure(fig, out, 'circles.png')


def _plot_coefficients(bijector, out):
  """Each valid parameter of each member as a function of the angle."""
  plt = _common.pyplot()
  theta = np.linspace(-np.pi, np.pi, 361).astype(np.float32)
  params = bijector.params_at_angle(theta)
  fig, axes = plt.subplots(1, len(params), figsize=(3.0 * len(params), 3.0),
                           squeeze=False, layout='constrained')
  for ax, (name, value) in zip(axes[0], params.items()):
    ax.plot(theta, np.asarray(value), lw=1.)
    ax.set_title(name, fontsize=9)
    ax.set_xlabel('angle')
  fig.suptitle(f'learned parameters by angle (M = {bijector.num_modes}, '
               'one line per member)', fontsize=9)
  return _common.save_figure(fig, out, 'coefficients.png')

"""A 5-component ring mixture: radial flows vs a coupling flow (paper §5.2).

Target: equal-weight Gaussians `N(R (cos 2 pi k/5, sin 2 pi k/5), s^2 I)`
(`R = 2`, `s = 0.2` guessed, docs/experiments.md#ring-mixture). Models, all with
cubic conjugations: a radial flow of 32 centers x 12 members (~1.6k parameters),
its angular version with Fourier terms up to M = 2 (~7.8k; both one
`RadialChain`, so XLA compiles one layer), and a coupling
flow of 16 layers with ResNet conditioners of width 256 (~2.3M). Trained by
NLL on fresh samples. Metrics: held-out NLL, forward KL `NLL - H` (`H` by
Monte Carlo from the target), parameter counts. Figures: densities vs the
target, training curves, the learned centers over the radial flow's density.
"""

import dataclasses

import numpy as np

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import targets

MODELS = ('radial', 'angular', 'coupling')
option = _config.option


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains tiny flows."""
  models: tuple = option(
      MODELS, 'models to train ("angular": Fourier radial layers, M = 2)',
      choices=MODELS)
  steps: int = option(5000, 'training steps', quick=100)
  radius: float = option(2., 'radius of the ring of components')
  width: float = option(0.2, 'standard deviation of each component')
  centers: int = option(32, 'centers of the radial flows', quick=2)
  members: int = option(12, 'cubic conjugations per radial map or '
                        'coordinate', quick=2)
  coupling_layers: int = option(16, 'layers of the coupling flow', quick=2)
  coupling_width: int = option(256, 'conditioner width of the coupling flow',
                               quick=16)
  batch_size: int = option(256, 'batch size')
  learning_rate: float = option(1e-2, 'constant rate of the radial flows')
  coupling_learning_rate: float = option(
      1e-4, 'peak rate of the coupling flow (warmup, decay)', quick=3e-3)
  test_samples: int = option(100_000, 'held-out samples', quick=2000)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def _arm(name, config, seed):
  """The flow `name` and its training schedule."""
  if name == 'coupling':
    flow = flows.coupling_flow(
        2, 'cubic_conjugation', num_members=config.members,
        num_layers=config.coupling_layers,
        hidden_units=(config.coupling_width,) * 3, residual=True,
        name='coupling')
    rate = config.coupling_learning_rate
    schedule = dict(learning_rate=rate, warmup_steps=100,
                    final_learning_rate=rate / 10.)
  else:
    flow = flows.radial_flow(
        2, num_centers=config.centers, transform='cubic_conjugation',
        num_members=config.members,
        angular='fourier' if name == 'angular' else None, num_modes=2,
        center_stddev=config.radius, seed=seed, name=name)
    schedule = dict(learning_rate=config.learning_rate)
  # The paper gives parameter counts; its comparison is qualitative (radial
  # smoothest), so there are no NLLs to match.
  return _fit.Arm(flow, schedule, paper.numbers('ring-mixture', name))


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dataclasses.asdict(config))
  target = targets.ring_mixture(radius=config.radius, scale=config.width)
  test = target.sample(config.test_samples, seed=(args.seed, 12345)).numpy()
  entropy = -float(np.mean(target.log_prob(test)))
  arms = {name: _arm(name, config, args.seed) for name in config.models}
  results, log_probs = _fit.fit_and_evaluate(
      arms, lambda n, seed: target.sample(n, seed=seed), test, out, args,
      config.steps, config.batch_size, entropy=entropy)
  extent = config.radius + 4. * config.width + 0.5
  _fit.plot_densities(target.log_prob, entropy, log_probs, results, out,
                      extent=extent, quick=args.quick)
  radial = [name for name in config.models if name != 'coupling']
  if radial:
    _plot_centers(arms[radial[0]].flow, extent,
                  results[radial[0]]['test_nll'], out)
  return results


def _plot_centers(flow, extent, nll, out):
  """The radial flow's density (held-out `nll`) with its learned centers."""
  plt = _common.pyplot()
  xs, points = _common.grid_2d(extent, 150)
  log_density = _common.traced_log_prob(flow)(points)
  density = np.exp(log_density).reshape(len(xs), len(xs))
  fig, ax = plt.subplots(figsize=(4.6, 4), layout='constrained')
  image = ax.imshow(density, origin='lower', cmap='magma',
                    extent=(xs[0], xs[-1], xs[0], xs[-1]))
  fig.colorbar(image, ax=ax, shrink=0.8, label='density')
  ax.set_xlabel('$x_1$')
  ax.set_ylabel('$x_2$')
  centers = np.concatenate([
      np.reshape(layer.center.numpy(), [-1, 2])
      for layer in flow.bijector.bijectors
      if isinstance(layer, (tfab.ConditionalRadial, tfab.RadialChain))])
  ax.scatter(centers[:, 0], centers[:, 1], s=12, c='cyan', marker='x')
  ax.set_title(f'{flow.name}: learned centers (NLL {nll:.3f})', fontsize=9)
  return _common.save_figure(fig, out, 'centers.png')

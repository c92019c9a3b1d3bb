"""A 5-component ring mixture: radial flows vs a coupling flow (paper §5.2).

Target: equal-weight Gaussians `N(R (cos 2 pi k/5, sin 2 pi k/5), s^2 I)`
(`R = 2`, `s = 0.2` guessed, docs/experiments.md#ring-mixture). Models, all with
cubic conjugations: a radial flow of 32 centers x 12 members (~1.6k parameters),
its angular version with Fourier terms up to M = 2 (~7.8k), and a coupling
flow of 16 layers with ResNet conditioners of width 256 (~2.3M). Trained by
NLL on fresh samples. Metrics: held-out NLL, forward KL `NLL - H` (`H` by
Monte Carlo from the target), parameter counts. Figures: densities vs the
target, training curves, the learned centers over the radial flow's density.
"""

import numpy as np

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import targets

# Parameter counts the paper reports (docs/experiments.md#ring-mixture); its
# comparison is qualitative (radial smoothest), so there are no NLLs to match.
PAPER_PARAMETERS = {'radial': 1664, 'angular': 7808, 'coupling': 2_310_912}
MODELS = ('radial', 'angular', 'coupling')


def add_arguments(parser):
  parser.add_argument('--models', nargs='+', choices=MODELS, default=None,
                      help='default: radial coupling. "angular" (Fourier '
                      'radial, M = 2) chains 32 separately compiled layers: '
                      'on CPU its XLA compilation takes many GB')
  parser.add_argument('--radius', type=float, default=2.)
  parser.add_argument('--width', type=float, default=0.2,
                      help='standard deviation of each component')
  parser.add_argument('--centers', type=int, default=32)
  parser.add_argument('--members', type=int, default=12,
                      help='cubic conjugations per radial map or coordinate')
  parser.add_argument('--batch-size', type=int, default=256)
  parser.add_argument('--learning-rate', type=float, default=1e-2,
                      help='constant rate of the radial flows')
  parser.add_argument('--coupling-learning-rate', type=float, default=1e-4,
                      help='peak rate of the coupling flow (warmup, decay)')


def _build(name, args):
  """(flow, training schedule) for one model; tiny ones in quick mode."""
  centers, members = ((2, 2) if args.quick else (args.centers, args.members))
  if name == 'coupling':
    layers, width = (2, 16) if args.quick else (16, 256)
    flow = flows.coupling_flow(2, 'cubic_conjugation', num_members=members,
                               num_layers=layers, hidden_units=(width,) * 3,
                               residual=True, name='coupling')
    rate = 3e-3 if args.quick else args.coupling_learning_rate
    return flow, dict(learning_rate=rate, warmup_steps=100,
                      final_learning_rate=rate / 10.)
  flow = flows.radial_flow(
      2, num_centers=centers, transform='cubic_conjugation',
      num_members=members, angular='fourier' if name == 'angular' else None,
      num_modes=2, center_stddev=args.radius, seed=args.seed, name=name)
  return flow, dict(learning_rate=args.learning_rate)


def run(args):
  models = args.models or ['radial', 'coupling']
  steps = args.steps or (100 if args.quick else 5000)
  num_test = 2000 if args.quick else 100_000
  config = dict(models=models, radius=args.radius, width=args.width,
                centers=args.centers, members=args.members, steps=steps,
                batch_size=args.batch_size, learning_rate=args.learning_rate,
                coupling_learning_rate=args.coupling_learning_rate,
                test_samples=num_test)
  out = _common.prepare_output(args, config)
  target = targets.ring_mixture(radius=args.radius, scale=args.width)
  test = target.sample(num_test, seed=(args.seed, 12345)).numpy()
  entropy = -float(np.mean(target.log_prob(test)))

  results, histories, trained = {}, {}, {}
  for name in models:
    flow, schedule = _build(name, args)
    initial = _common.mean_nll(flow, test)
    history = train.fit_nll(
        flow, lambda n, seed: target.sample(n, seed=seed), steps,
        batch_size=args.batch_size, **_common.fit_options(args), **schedule)
    nll = _common.mean_nll(flow, test)
    results[name] = dict(
        parameters=_common.num_parameters(flow), initial_test_nll=initial,
        test_nll=nll, forward_kl=nll - entropy,
        paper=dict(parameters=PAPER_PARAMETERS[name]))
    histories[name] = history['loss']
    trained[name] = flow
    print(f'{name}: {results[name]["parameters"]} parameters, test NLL '
          f'{initial:.3f} -> {nll:.3f}, forward KL {nll - entropy:.3f}')
  results['target_entropy'] = entropy

  _common.write_metrics(out, results)
  _common.plot_training_curves(histories, out, ylabel='NLL')
  extent = args.radius + 4. * args.width + 0.5
  densities = {'target': target.log_prob}
  densities.update({name: _common.traced_log_prob(flow)
                    for name, flow in trained.items()})
  nll = {name: results[name]['test_nll'] for name in models}
  _common.plot_densities_2d(densities, out, extent=extent,
                            size=60 if args.quick else 150,
                            nll=dict(nll, target=entropy))
  radial = [n for n in models if n != 'coupling']
  if radial:
    _plot_centers(trained[radial[0]], extent, results[radial[0]]['test_nll'],
                  out)
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

"""Radial-Fourier flows on the 2-D spiral (paper §4.5, §5.4).

One `FourierRadial` layer about a learnable center (the origin at first),
its radial map a stack of 9 `SinhConjugation` members whose raw numbers are
Fourier series of the angle up to the M-th harmonic: 49 / 139 / 229 / 319
parameters for M = 0..3. Trained by NLL on fresh spiral samples every step,
at a constant learning rate (docs/experiments.md#spiral-radial); `--coupling`
adds a coupling-flow baseline (docs/experiments.md#spiral-coupling). Metrics:
held-out test NLL and the forward KL `NLL - H` with the spiral's entropy
`H = -0.855`.
Figures: densities vs the target, training curves, the images of concentric
circles under the flow and the learned parameters as functions of the angle.
"""

import numpy as np
import tensorflow_probability as tfp

from tfp_analytic import bijectors as tfab
from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import targets

tfd = tfp.distributions

# The paper's test NLL (its later version, docs/experiments.md#spiral-radial);
# the coupling row is its
# "radial vs coupling" comparison.
PAPER_NLL = {0: -0.09, 1: -0.61, 2: -0.69, 3: -0.74}
PAPER_PARAMETERS = {0: 49, 1: 139, 2: 229, 3: 319}  # 9 sinh members
PAPER_COUPLING_NLL = -0.52


def fourier_radial_flow(num_modes, num_members=9, seed=0):
  """`N(0, I_2)` through one `FourierRadial` layer of sinh conjugations."""
  bijector = tfab.FourierRadial(num_modes, tfab.SinhConjugation, num_members,
                                seed=seed)
  return tfd.TransformedDistribution(
      tfd.Sample(tfd.Normal(0., 1.), [2]), bijector,
      name=f'fourier_radial_m{num_modes}')


def add_arguments(parser):
  parser.add_argument('--modes', type=int, nargs='+', default=None,
                      help='harmonics M to train (default 0 1 2 3)')
  parser.add_argument('--members', type=int, default=9,
                      help='SinhConjugation members of the radial map')
  parser.add_argument('--batch-size', type=int, default=256)
  parser.add_argument('--learning-rate', type=float, default=1e-2,
                      help='constant learning rate of the radial flows')
  parser.add_argument('--coupling', action='store_true',
                      help='also train a coupling-flow baseline')
  parser.add_argument('--coupling-learning-rate', type=float, default=1e-4,
                      help='peak rate of the baseline (warmup 100, decay 10x)')
  parser.add_argument('--test-samples', type=int, default=None,
                      help='held-out samples (default 100000; quick 4000)')


def _coupling_baseline(quick):
  if quick:
    return flows.coupling_flow(2, 'cubic_rational', num_members=3,
                               num_layers=2, hidden_units=(16, 16),
                               residual=True)
  return flows.coupling_flow(2, 'cubic_rational', num_members=9,
                             num_layers=12, hidden_units=(128, 128, 128),
                             residual=True)


def run(args):
  modes = args.modes or ([1] if args.quick else [0, 1, 2, 3])
  steps = args.steps or (60 if args.quick else 5000)
  num_test = args.test_samples or (2000 if args.quick else 100_000)
  config = dict(modes=modes, members=args.members, steps=steps,
                batch_size=args.batch_size, learning_rate=args.learning_rate,
                coupling=args.coupling,
                coupling_learning_rate=args.coupling_learning_rate,
                test_samples=num_test, entropy=targets.SPIRAL_ENTROPY)
  out = _common.prepare_output(args, config)
  test = targets.spiral_sample(num_test, (args.seed, 12345)).numpy()

  models = {f'M={m}': (fourier_radial_flow(m, args.members, seed=args.seed),
                       dict(learning_rate=args.learning_rate),
                       PAPER_NLL.get(m), PAPER_PARAMETERS.get(m))
            for m in modes}
  if args.coupling:
    models['coupling'] = (
        _coupling_baseline(args.quick),
        dict(learning_rate=args.coupling_learning_rate, warmup_steps=100,
             final_learning_rate=args.coupling_learning_rate / 10.),
        PAPER_COUPLING_NLL, None)

  results, histories = {}, {}
  for name, (flow, schedule, paper_nll, paper_size) in models.items():
    initial = _common.mean_nll(flow, test)
    history = train.fit_nll(
        flow, targets.spiral_sample, steps, batch_size=args.batch_size,
        **_common.fit_options(args), **schedule)
    nll = _common.mean_nll(flow, test)
    results[name] = dict(
        parameters=_common.num_parameters(flow), initial_test_nll=initial,
        test_nll=nll, forward_kl=nll - targets.SPIRAL_ENTROPY,
        paper=None if paper_nll is None else dict(
            test_nll=paper_nll,
            forward_kl=paper_nll - targets.SPIRAL_ENTROPY,
            **({} if paper_size is None else dict(parameters=paper_size))))
    histories[name] = history['loss']
    print(f'{name}: {results[name]["parameters"]} parameters, test NLL '
          f'{initial:.3f} -> {nll:.3f} (paper {paper_nll})')

  _common.write_metrics(out, results)
  _common.plot_training_curves(histories, out, ylabel='NLL')
  densities = {'target': targets.spiral_log_prob}
  densities.update({name: _common.traced_log_prob(flow)
                    for name, (flow, *_) in models.items()})
  nll = {name: result['test_nll'] for name, result in results.items()}
  _common.plot_densities_2d(densities, out, extent=1.,
                            size=60 if args.quick else 150,
                            nll=dict(nll, target=targets.SPIRAL_ENTROPY))
  radial = {name: flow for name, (flow, *_) in models.items()
            if name.startswith('M=')}
  _plot_circles(radial, out)
  _plot_coefficients(radial[f'M={max(modes)}'].bijector, out)
  return results


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

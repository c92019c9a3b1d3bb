"""1-D multimodal target: stacks of scalar analytic bijections (paper §5.1).

Target `log p~(x) = sin(5x) exp(-5x^2) + a cos(10x) - 0.2 x^4` (`a = 2` by
default; `--amplitude 0.5` reproduces the paper's curves,
docs/experiments.md#1d). A standard normal pushed through N members of one
family, parameters learned directly (spread `loc`s), trained by reverse KL.
Metrics: ESS on fresh samples, and forward KL by quadrature (1-D, so exact up to
the grid).
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import bijectors as tfab
from tfp_analytic import train
from tfp_analytic.experiments import _common
from tfp_analytic.flows import ANALYTIC_FAMILIES

tfd = tfp.distributions

PAPER = {  # 3P numbers of the paper's later version (docs/experiments.md#1d).
    ('cubic_rational', 27): dict(ess=0.99, forward_kl=3.5e-3),
}
_GRID = np.linspace(-4., 4., 16001)  # The target is negligible beyond +-4.


def target_log_prob(x, amplitude=2.):
  """`sin(5x) exp(-5x^2) + amplitude cos(10x) - 0.2 x^4` (unnormalized).

  #### Example

  ```python
  from tfp_analytic.experiments.one_d import target_log_prob
  target_log_prob(0.)  # ==> 2.
  ```
  """
  return (tf.sin(5. * x) * tf.exp(-5. * x**2) + amplitude * tf.cos(10. * x)
          - 0.2 * x**4)


def forward_kl(flow, amplitude):
  """`KL(p || q)` by the trapezoid rule on [-4, 4], q through its inverse."""
  log_p = target_log_prob(_GRID, amplitude)
  log_p = log_p - np.log(np.trapezoid(np.exp(log_p), _GRID))
  log_q = flow.log_prob(_GRID.astype(np.float32)).numpy().astype(np.float64)
  return float(np.trapezoid(np.exp(log_p) * (log_p - log_q), _GRID))


def evaluate(flow, amplitude, num_samples, seed):
  x, log_q = flow.experimental_sample_and_log_prob(num_samples, seed=seed)
  ess = train.effective_sample_size(target_log_prob(x, amplitude), log_q)
  return dict(ess=float(ess), forward_kl=forward_kl(flow, amplitude))


def add_arguments(parser):
  parser.add_argument('--family', choices=sorted(ANALYTIC_FAMILIES),
                      default='cubic_rational', help='the scalar family')
  parser.add_argument('--members', type=int, nargs='+', default=None,
                      help='stack sizes to train (default 1 3 9 27)')
  parser.add_argument('--amplitude', type=float, default=2.,
                      help='cosine amplitude a of the target (paper: 2; 0.5 '
                           'reproduces its curves)')
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--learning-rate', type=float, default=1e-2,
                      help='initial rate; decays exponentially 10x')


def run(args):
  members = args.members or ([1, 3, 9] if args.quick else [1, 3, 9, 27])
  steps = args.steps or (300 if args.quick else 15_000)
  num_eval = 10_000 if args.quick else 100_000
  config = dict(family=args.family, members=members, steps=steps,
                amplitude=args.amplitude, batch_size=args.batch_size,
                learning_rate=args.learning_rate, eval_samples=num_eval)
  out = _common.prepare_output(args, config)
  family = ANALYTIC_FAMILIES[args.family]
  target = lambda x: target_log_prob(x, args.amplitude)

  results, histories, flows = {}, {}, {}
  for n in members:
    flow = tfd.TransformedDistribution(
        tfd.Normal(0., 1.),
        tfab.trainable_stack(family, n, seed=(args.seed, n)))
    initial = evaluate(flow, args.amplitude, num_eval, (args.seed, 1))
    history = train.fit_reverse_kl(
        flow, target, steps, batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        final_learning_rate=args.learning_rate / 10., seed=args.seed,
        checkpoint_dir=str(out / f'checkpoints_{n}'),
        progress=not args.no_progress)
    final = evaluate(flow, args.amplitude, num_eval, (args.seed, 2))
    results[f'{args.family}_x{n}'] = dict(
        members=n, initial=initial, **final,
        final_loss=float(np.mean(history['loss'][-100:])),
        paper=PAPER.get((args.family, n)))
    histories[f'N = {n}'] = history['loss']
    flows[n] = flow
    print(f'{args.family} x{n}: ESS {initial["ess"]:.1%} -> {final["ess"]:.1%}'
          f', forward KL {initial["forward_kl"]:.3g} -> '
          f'{final["forward_kl"]:.3g}')
    # After every stack size, so that a run cut short keeps what it learned.
    _common.write_metrics(out, results)

  _common.plot_training_curves(histories, out, ylabel='reverse KL - log Z')
  _plot_densities(flows, args.amplitude, out)
  return results


def _plot_densities(flows, amplitude, out):
  plt = _common.pyplot()
  log_p = target_log_prob(_GRID, amplitude)
  density = np.exp(log_p) / np.trapezoid(np.exp(log_p), _GRID)
  fig, ax = plt.subplots(figsize=(7, 4))
  ax.fill_between(_GRID, density, color='0.85', label='target')
  for n, flow in flows.items():
    ax.plot(_GRID, np.exp(flow.log_prob(_GRID.astype(np.float32))),
            label=f'{n} members')
  ax.set_xlabel('x')
  ax.set_ylabel('density')
  ax.legend()
  _common.save_figure(fig, out, 'density.png')

"""phi^4 lattice field theory: lattice flows trained by reverse KL (§5.5).

Target `p ~ exp(-S)` with `S = sum_x [sum_mu (phi(x+mu) - phi(x))^2 + m2
phi^2 + lam phi^4]` on a periodic L x L lattice, `m2 = -4`. The flow is
`flows.lattice_flow`: per-orbit Fourier scaling, then 12 checkerboard
couplings whose ConvNets (2 x 16 channels) parametrize 8 analytic members
plus an affine map per site (or an affine map / a spline alone).

Two regimes (docs/experiments.md#phi4; lam chosen from our HMC: lam = 5 is
unimodal with correlation length ~3.6, lam = 3 has two modes at |M| ~ 0.69):
- unimodal: one run per transform; metric ESS (paper 20 x 20: cubic rational
  39.7 %, cubic 38.9 %, sinh 38.5 %, spline 34.3 %, affine 31.9 %);
- bimodal: `naive` training, which tends to collapse onto one sign of the
  magnetization M, and `pretrain`, which first trains the Fourier scaling
  and a `ZeroModeBijector` alone (the couplings stay at their identity
  initialisation) and then the full flow. Metrics: ESS and the fraction of
  samples with M < 0 (0.5 when both modes are kept).
Figures: M histograms of the flow and reweighted to the target, reverse-KL
training curves, ESS during training.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import flows
from tfp_analytic import lattice
from tfp_analytic import train
from tfp_analytic.experiments import _common

tfd = tfp.distributions
tfb = tfp.bijectors

TRANSFORMS = (*flows.ANALYTIC_FAMILIES, 'spline', 'affine')
PAPER_ESS = {'cubic_rational': 0.3966, 'cubic_conjugation': 0.3885,
             'sinh_conjugation': 0.3851, 'spline': 0.3434, 'affine': 0.3185}
# Paper §5.5.2: naive ESS ~ 90 % with every sample at M < 0; pretraining
# keeps exactly half the samples at M < 0 ("similar ESS", no number).
PAPER_BIMODAL = {'naive': dict(ess=0.9, fraction_negative=1.0),
                 'pretrain': dict(fraction_negative=0.5)}


def add_arguments(parser):
  parser.add_argument('--regimes', nargs='+', default=None,
                      choices=('unimodal', 'bimodal'), help='default: both')
  parser.add_argument('--transforms', nargs='+', choices=TRANSFORMS,
                      default=None, help='unimodal runs (default: all five)')
  parser.add_argument('--bimodal-arms', nargs='+', default=None,
                      choices=('naive', 'pretrain'), help='default: both')
  parser.add_argument('--bimodal-transform', choices=TRANSFORMS,
                      default='cubic_conjugation')
  parser.add_argument('--lattice-size', type=int, default=None,
                      help='L (default 20; quick 4)')
  parser.add_argument('--m2', type=float, default=-4.)
  parser.add_argument('--lam-unimodal', type=float, default=5.)
  parser.add_argument('--lam-bimodal', type=float, default=3.)
  parser.add_argument('--members', type=int, default=8,
                      help='analytic members per site')
  parser.add_argument('--layers', type=int, default=12)
  parser.add_argument('--pretrain-steps', type=int, default=None,
                      help='zero-mode pretraining steps (default = --steps)')
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=1e-4)
  parser.add_argument('--eval-samples', type=int, default=None,
                      help='samples for ESS (default 4096; quick 1024)')


def _transform_name(name):
  """The paper's per-site map: analytic members, then an affine map."""
  return name if name in ('spline', 'affine') else f'{name}+affine'


def _evaluate(flow, log_target, num_samples, seed):
  """Metrics on fresh samples, and the samples' `(M, log w)` for plots."""
  phi, log_q = flow.experimental_sample_and_log_prob(num_samples, seed=seed)
  log_w = log_target(phi) - log_q
  m = lattice.magnetization(phi)
  metrics = dict(
      ess=float(train.effective_sample_size(log_w, 0.)),
      reverse_kl=float(-tf.reduce_mean(log_w)),
      fraction_negative=float(tf.reduce_mean(tf.cast(m < 0., tf.float32))))
  return metrics, (m.numpy(), log_w.numpy())


def run(args):
  regimes = args.regimes or (['bimodal'] if args.quick
                             else ['unimodal', 'bimodal'])
  transforms = args.transforms or (['cubic_rational'] if args.quick
                                   else list(TRANSFORMS))
  arms = args.bimodal_arms or (['pretrain'] if args.quick
                               else ['naive', 'pretrain'])
  size = args.lattice_size or (4 if args.quick else 20)
  steps = args.steps or (60 if args.quick else 100_000)
  pretrain_steps = args.pretrain_steps or steps
  num_eval = args.eval_samples or (512 if args.quick else 4096)
  layers, channels, members = ((2, (8,), 2) if args.quick else
                               (args.layers, (16, 16), args.members))
  learning_rate = 1e-2 if args.quick else args.learning_rate
  config = dict(regimes=regimes, transforms=transforms, bimodal_arms=arms,
                bimodal_transform=args.bimodal_transform, lattice_size=size,
                m2=args.m2, lam_unimodal=args.lam_unimodal,
                lam_bimodal=args.lam_bimodal, members=members, layers=layers,
                hidden_channels=channels, steps=steps,
                pretrain_steps=pretrain_steps, batch_size=args.batch_size,
                learning_rate=learning_rate, eval_samples=num_eval)
  out = _common.prepare_output(args, config)

  runs = [('unimodal', t, args.lam_unimodal, False) for t in transforms
          if 'unimodal' in regimes]
  runs += [('bimodal', arm, args.lam_bimodal, arm == 'pretrain')
           for arm in arms if 'bimodal' in regimes]
  results, histories, ess_curves, samples = {}, {}, {}, {}
  fit = dict(batch_size=args.batch_size, learning_rate=learning_rate,
             **_common.fit_options(args))
  for regime, arm, lam, zero_mode in runs:
    name = f'{regime}/{arm}'
    transform = args.bimodal_transform if regime == 'bimodal' else arm
    flow = flows.lattice_flow(
        size, _transform_name(transform), num_members=members,
        num_layers=layers, hidden_channels=channels, zero_mode=zero_mode,
        seed=args.seed, name=f'lattice_{arm}')
    log_target = (lambda phi, lam=lam:
                  -lattice.phi4_action(phi, m2=args.m2, lam=lam))
    initial, _ = _evaluate(flow, log_target, num_eval, (args.seed, 1))
    result = {}
    if zero_mode:
      # The couplings start at the identity, so the flow without them is the
      # full flow with the couplings frozen at initialisation.
      head = tfd.TransformedDistribution(flow.distribution, tfb.Chain([
          b for b in flow.bijector.bijectors
          if isinstance(b, (lattice.ZeroModeBijector,
                            lattice.FourierScaling))]))
      pre = train.fit_reverse_kl(head, log_target, pretrain_steps, **fit)
      result['pretrained'], _ = _evaluate(flow, log_target, num_eval,
                                          (args.seed, 3))
    history = train.fit_reverse_kl(flow, log_target, steps, **fit)
    final, samples[name] = _evaluate(flow, log_target, num_eval,
                                     (args.seed, 2))
    paper = None
    if size == 20:  # the paper's lattice
      paper = (dict(ess=PAPER_ESS[arm]) if regime == 'unimodal'
               else PAPER_BIMODAL[arm])
    results[name] = dict(initial=initial, **final, **result,
                         parameters=_common.num_parameters(flow),
                         lam=lam, paper=paper)
    loss = history['loss']
    histories[name] = (np.concatenate([pre['loss'], loss]) if zero_mode
                       else loss)
    ess_curves[name] = (np.concatenate([pre['ess'], history['ess']])
                        if zero_mode else history['ess'])
    print(f'{name}: ESS {initial["ess"]:.1%} -> {final["ess"]:.1%}, '
          f'reverse KL {initial["reverse_kl"]:.2f} -> '
          f'{final["reverse_kl"]:.2f}, M < 0: {final["fraction_negative"]:.0%}')

  _common.write_metrics(out, results)
  _common.plot_training_curves(histories, out, ylabel='reverse KL - log Z')
  _plot_magnetization(samples, out)
  _plot_ess(ess_curves, out)
  return results


def _plot_magnetization(samples, out):
  """Histogram of M under the flow, and reweighted by `p / q` (the target)."""
  plt = _common.pyplot()
  fig, axes = plt.subplots(1, len(samples), figsize=(3 * len(samples), 2.8),
                           squeeze=False)
  for ax, (name, (m, log_w)) in zip(axes[0], samples.items()):
    weights = np.exp(log_w - log_w.max())
    bins = np.linspace(m.min(), m.max(), 40)
    ax.hist(m, bins=bins, density=True, alpha=0.6, label='flow')
    ax.hist(m, bins=bins, weights=weights, density=True, histtype='step',
            color='k', label='reweighted (target)')
    ax.set_title(name, fontsize=9)
    ax.set_xlabel('magnetization M')
  axes[0][0].legend(fontsize=7)
  return _common.save_figure(fig, out, 'density.png')


def _plot_ess(ess_curves, out):
  """Batch ESS during training, smoothed."""
  plt = _common.pyplot()
  fig, ax = plt.subplots(figsize=(6, 4))
  for name, ess in ess_curves.items():
    window = max(1, len(ess) // 50)
    ax.plot(np.convolve(ess, np.ones(window) / window, mode='valid'),
            label=name)
  ax.set_xlabel('step')
  ax.set_ylabel('batch ESS')
  ax.legend()
  ax.grid(alpha=0.3)
  return _common.save_figure(fig, out, 'ess.png')

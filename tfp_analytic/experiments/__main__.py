"""Command line: `python -m tfp_analytic.experiments <name> [options]`."""

import argparse
import copy
import importlib
import os
import sys
from pathlib import Path

import tf_keras

from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import report

# name -> (module, one line of help)
EXPERIMENTS = {
    '1d': ('one_d', '1-D multimodal target, stacks of scalar bijections '
                    '(reverse KL)'),
    'spiral-coupling': ('spiral_coupling', '2-D spiral, coupling flows with '
                        'analytic vs spline vs affine transforms (NLL)'),
    'spiral-radial': ('spiral_radial', '2-D spiral, single-center '
                      'radial-Fourier flows M = 0..3 (NLL)'),
    'radial-grid': ('radial_grid', '2-D spiral, angle-free radial flows: '
                    'centers x copies for each family (forward KL)'),
    'lr-stability': ('lr_stability', '2-D spiral, radial vs coupling flows '
                     'over learning rates: divergence and final NLL'),
    'ring-mixture': ('ring_mixture', '5-component ring mixture, radial flow '
                     'with 32 centers vs coupling (NLL)'),
    'phi4': ('phi4', 'phi^4 lattice field theory, lattice flows by reverse '
             'KL; ESS, zero-mode pretraining'),
    'phi4-reference': ('phi4_reference', 'phi^4 reference observables '
                       'from HMC (|M|, susceptibility, G(d)) with errors'),
    'tabular': ('tabular', 'tabular density estimation (UCI files or '
                'scikit-learn data), MAF and coupling flows'),
    'conditional': ('conditional', 'conditional coupling and MAF flows '
                    'p(x | context): a 2-D arc (forward KL) and scikit-learn '
                    'diabetes data (NLL)'),
}
REPORT_HELP = ('collect runs/<name>/metrics.json (and runs/<name>/seed<k>/) '
               'and the phi4 arms into results/RESULTS.md: a verdict per '
               'claim of the paper, then each run, seeds as mean ± std')


def _add_common_arguments(command, name, module):
  command.add_argument('--quick', action='store_true',
                       help='tiny run (seconds): a smoke test of the code')
  command.add_argument('--steps', type=int, default=None,
                       help='training steps (default: the paper\'s)')
  if getattr(module, 'QUEUED_SEEDS', False):
    # A queue of arms, each with its seed: `--seeds N` keeps seeds 0..N-1.
    command.add_argument('--seeds', type=int, default=None, metavar='N',
                         help='only the arms of seeds 0..N-1')
    command.set_defaults(queued_seeds=True)
  else:
    _add_seed_arguments(command)
  command.add_argument('--out', default=os.path.join('runs', name),
                       help=f'output folder (default: runs/{name})')
  command.add_argument('--no-progress', action='store_true',
                       help='hide progress bars')
  command.add_argument('--no-jit', action='store_true',
                       help='train without XLA (always so with --quick, '
                            'where compiling would take longer than '
                            'training)')


def _add_seed_arguments(command):
  seeds = command.add_mutually_exclusive_group()
  seeds.add_argument('--seed', type=int, default=0, help='random seed')
  seeds.add_argument('--seeds', type=int, default=None, metavar='N',
                     help='run seeds 0..N-1, each into OUT/seed<k>')


def _parser():
  parser = argparse.ArgumentParser(
      prog='python -m tfp_analytic.experiments',
      description='Run our versions of the experiments of "Analytic '
                  'Bijections for Smooth and Interpretable Normalizing '
                  'Flows"; results/RESULTS.md says, claim by claim, whether '
                  'our numbers meet the paper\'s.')
  sub = parser.add_subparsers(dest='experiment', required=True,
                              metavar='EXPERIMENT')
  for name, (module_name, help_text) in EXPERIMENTS.items():
    module = importlib.import_module(f'tfp_analytic.experiments.{module_name}')
    command = sub.add_parser(name, help=help_text, description=help_text)
    _add_common_arguments(command, name, module)
    module.add_arguments(command)
    command.set_defaults(run=module.run)
  command = sub.add_parser('report', help=REPORT_HELP,
                           description=REPORT_HELP)
  report.add_arguments(command)
  command.set_defaults(run=report.run)
  return parser


def run_seeds(args):
  """Runs `args.run` once, or for seeds 0..N-1 into `<out>/seed<k>`.

  Each run first seeds TensorFlow, NumPy and Python (`tf_keras.utils.
  set_random_seed`): the conditioners' Keras layers draw their initial
  weights from there. With `--seeds`, each seed runs in a process of its own
  (`_common.in_fresh_process`), so memory does not grow from seed to seed,
  and a seed already finished with the same settings is skipped, so that a
  rerun continues an interrupted `--seeds` run.
  """
  if getattr(args, 'queued_seeds', False):
    return [args.run(args)]
  if getattr(args, 'seeds', None) is None:
    if hasattr(args, 'seed'):
      tf_keras.utils.set_random_seed(args.seed)
    return [args.run(args)]
  if args.seeds < 1:
    raise SystemExit(f'--seeds must be at least 1, got {args.seeds}')
  results = []
  for seed in range(args.seeds):
    seeded = copy.copy(args)
    seeded.seed, seeded.out = seed, str(Path(args.out) / f'seed{seed}')
    if _config.finished(seeded):
      print(f'seed {seed} of 0..{args.seeds - 1}: {seeded.out} is finished '
            f'with these settings; skipped (delete it to run it again)',
            flush=True)
      continue
    print(f'seed {seed} of 0..{args.seeds - 1}: {seeded.out}', flush=True)
    results.append(_common.in_fresh_process(_common.run_seeded, seeded))
  return results


def main(argv=None):
  run_seeds(_parser().parse_args(argv))
  return 0


if __name__ == '__main__':
  sys.exit(main())

"""Command line: `python -m tfp_analytic.experiments <name> [options]`."""

import argparse
import importlib
import os
import sys

# name -> (module, one line of help)
EXPERIMENTS = {
    '1d': ('one_d', '1-D multimodal target, stacks of scalar bijections '
                    '(reverse KL)'),
    'spiral-coupling': ('spiral_coupling', '2-D spiral, coupling flows with '
                        'analytic vs spline vs affine transforms (NLL)'),
    'spiral-radial': ('spiral_radial', '2-D spiral, single-center '
                      'radial-Fourier flows M = 0..3 (NLL)'),
    'ring-mixture': ('ring_mixture', '5-component ring mixture, radial flow '
                     'with 32 centers vs coupling (NLL)'),
    'phi4': ('phi4', 'phi^4 lattice field theory, lattice flows by reverse '
             'KL; ESS, zero-mode pretraining'),
    'phi4-reference': ('phi4_reference', 'phi^4 reference observables '
                       'from HMC (|M|, susceptibility, G(d)) with errors'),
    'tabular': ('tabular', 'tabular density estimation (UCI files or '
                'scikit-learn data), MAF and coupling flows'),
    'report': ('report', 'collect runs/<name>/metrics.json into '
               'results/RESULTS.md'),
}


def _parser():
  parser = argparse.ArgumentParser(
      prog='python -m tfp_analytic.experiments',
      description='Reproduce the experiments of "Analytic Bijections for '
                  'Smooth and Interpretable Normalizing Flows".')
  sub = parser.add_subparsers(dest='experiment', required=True,
                              metavar='EXPERIMENT')
  for name, (module_name, help_text) in EXPERIMENTS.items():
    module = importlib.import_module(f'tfp_analytic.experiments.{module_name}')
    command = sub.add_parser(name, help=help_text, description=help_text)
    command.add_argument('--quick', action='store_true',
                         help='tiny run (seconds): a smoke test of the code')
    command.add_argument('--steps', type=int, default=None,
                         help='training steps (default: the paper\'s)')
    command.add_argument('--seed', type=int, default=0, help='random seed')
    command.add_argument('--out', default=os.path.join('runs', name),
                         help=f'output folder (default: runs/{name})')
    command.add_argument('--no-progress', action='store_true',
                         help='hide progress bars')
    command.add_argument('--no-jit', action='store_true',
                         help='train without XLA (always so with --quick, '
                              'where compiling would take longer than '
                              'training)')
    module.add_arguments(command)
    command.set_defaults(run=module.run)
  return parser


def main(argv=None):
  args = _parser().parse_args(argv)
  args.run(args)
  return 0


if __name__ == '__main__':
  sys.exit(main())

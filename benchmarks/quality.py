"""Steps to quality: held-out NLL of 2-D coupling flows at equal steps.

    python -m benchmarks.quality            # 2 targets x 3 seeds, 1,500 steps
    python -m benchmarks.quality --quick    # tiny: checks the code runs (CI)

Coupling flows (8 layers, 2x64 MLP conditioners, N = 4 members per analytic
transform) are trained by `train.fit_nll` for the same number of steps at the
same learning rate, and their NLL on held-out samples is compared with the
spline flow's (8 bins). Rows `<family>_loc0` are the ablation: the
conditioners' output biases at zero, so that every member of a stack starts
with `loc = 0` (the factories spread them, `flows.transforms.output_bias`).
Every finished run is appended to the results JSON at once; a rerun with the
same `--out` skips the runs already there, so an interrupted sweep resumes.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras

from benchmarks import _timing
from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.experiments import targets
from tfp_analytic.train import metrics

TRANSFORMS = ('spline', 'cubic_rational', 'sinh_conjugation',
              'cubic_conjugation')
ABLATIONS = ('cubic_rational_loc0', 'sinh_conjugation_loc0')
TARGETS = {
    'spiral': targets.spiral_sample,
    'ring': lambda n, seed: targets.ring_mixture().sample(n, seed=seed),
}


def build(name, quick):
  """The coupling flow `name` (a transform name, or `<family>_loc0`)."""
  family = name.removesuffix('_loc0')
  transform = flows.get_transform(family, num_members=2 if quick else 4)
  if name.endswith('_loc0'):
    transform = transform._replace(initial_raw=None)
  return flows.coupling_flow(
      2, transform, num_layers=2 if quick else 8,
      hidden_units=(16,) if quick else (64, 64))


def run_one(target, name, seed, args):
  """Held-out NLL of flow `name` trained on `target` with `seed`."""
  sample = TARGETS[target]
  data = sample(args.train_size, seed=(seed, 0)).numpy()
  test = sample(args.test_size, seed=(seed, 1)).numpy()
  tf_keras.utils.set_random_seed(seed)  # The conditioners' hidden layers.
  flow = build(name, args.quick)
  train.fit_nll(flow, data, args.steps, batch_size=args.batch_size,
                learning_rate=args.learning_rate, seed=seed, progress=False)
  return metrics.mean_nll(tf.function(flow.log_prob), test)


def summary(runs):
  """`{target: {name: (mean, std, n)}}` over seeds, and gaps to the spline."""
  table = {}
  for run in runs:
    table.setdefault(run['target'], {}).setdefault(run['name'], []).append(
        run['nll'])
  return {target: {name: (float(np.mean(v)), float(np.std(v)), len(v))
                   for name, v in by_name.items()}
          for target, by_name in table.items()}


def markdown(stats):
  """One row per target and flow: NLL mean ± std and the gap to spline."""
  lines = ['| target | flow | held-out NLL (mean ± std) | seeds | '
           'vs spline | within 0.02 or better? |', '|---|---|---|---|---|---|']
  for target, by_name in stats.items():
    spline = by_name.get('spline', (np.nan,))[0]
    for name, (mean, std, n) in by_name.items():
      gap = mean - spline
      lines.append(f'| {target} | {name} | {mean:.3f} ± {std:.3f} | {n} | '
                   f'{gap:+.3f} | {"yes" if gap <= 0.02 else "no"} |')
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(prog='python -m benchmarks.quality',
                                   description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='tiny flows, 20 steps, one seed (CI)')
  parser.add_argument('--seeds', type=int, default=3)
  parser.add_argument('--steps', type=int, default=1500)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--batch-size', type=int, default=256)
  parser.add_argument('--train-size', type=int, default=20_000)
  parser.add_argument('--test-size', type=int, default=20_000)
  parser.add_argument('--targets', nargs='+', default=list(TARGETS),
                      choices=list(TARGETS))
  parser.add_argument('--out', default='benchmarks/results/quality.json',
                      help='JSON results; runs already there are skipped '
                      '(default: %(default)s)')
  args = parser.parse_args(argv)
  if args.quick:
    args.seeds, args.steps, args.train_size, args.test_size = 1, 20, 512, 256
  out = Path(args.out)
  runs = json.loads(out.read_text())['runs'] if out.exists() else []
  done = {(r['target'], r['name'], r['seed']) for r in runs}
  for target in args.targets:
    names = TRANSFORMS + (ABLATIONS if target == 'spiral' else ())
    for seed in range(args.seeds):
      for name in names:
        if (target, name, seed) in done:
          continue
        runs.append(dict(target=target, name=name, seed=seed,
                         nll=run_one(target, name, seed, args)))
        print(json.dumps(runs[-1]), flush=True)
        _timing.write_json(out, dict(
            machine=_timing.machine(), steps=args.steps,
            learning_rate=args.learning_rate, quick=args.quick, runs=runs))
  stats = summary(runs)
  print(markdown(stats))
  return stats


if __name__ == '__main__':
  main()

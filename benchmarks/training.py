"""Training-step throughput and memory of coupling and radial flows.

    python -m benchmarks.training            # full: 2-D, 12 layers, batch 256
    python -m benchmarks.training --quick    # tiny: checks the code runs (CI)
    python -m benchmarks.training --guard    # the finite-step guard's cost only
    python -m benchmarks.training --interleave 7   # one process, 7 rounds

One XLA-compiled Adam step on `-mean(log_prob(x))`. Coupling flows (12
layers, 2×128 MLP conditioner) with each analytic transform (N = 4 members)
against the affine and spline (8 bins) flows, and a radial flow with 32
centers. In full mode every flow runs in a fresh process, so the peak memory
(max RSS growth over the first steps) is its own.

The guard rows time the step that `train.fit_nll` compiles without a guard,
with the check that skips non-finite steps, and with the round-trip check
too (`round_trip_tolerance`), alternating them in one process.

With `--interleave R` every flow is compiled in one process and timed in R
rounds that alternate the flows, so that a change in the machine's load
affects every flow alike; the tables take the median over rounds (peak
memory is then not measured: it needs a process per flow).
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf
import tf_keras

from benchmarks import _timing
from tfp_analytic import flows
from tfp_analytic.train import _guard
from tfp_analytic.train import _step

CONFIGS = {
    'affine': dict(kind='coupling', transform='affine'),
    'spline8': dict(kind='coupling', transform='spline'),
    'cubic_rational': dict(kind='coupling', transform='cubic_rational'),
    'sinh_conjugation': dict(kind='coupling', transform='sinh_conjugation'),
    'cubic_conjugation': dict(kind='coupling', transform='cubic_conjugation'),
    # log_prob through the families' forward maps (`invert=True`).
    'cubic_rational_inverted': dict(kind='coupling', transform='cubic_rational',
                                    invert=True),
    'sinh_conjugation_inverted': dict(
        kind='coupling', transform='sinh_conjugation', invert=True),
    'cubic_conjugation_inverted': dict(
        kind='coupling', transform='cubic_conjugation', invert=True),
    'radial32': dict(kind='radial', transform='cubic_conjugation'),
}


def build(name, quick):
  """The flow `name`; `quick` makes it tiny (1 layer, 2 members, 2 centers)."""
  config = CONFIGS[name]
  num_members = 2 if quick else 4
  if config['kind'] == 'radial':
    return flows.radial_flow(2, num_centers=2 if quick else 32,
                             transform=config['transform'],
                             num_members=num_members)
  transform = flows.get_transform(config['transform'], num_members,
                                  invert=config.get('invert', False))
  return flows.coupling_flow(
      2, transform=transform,
      num_layers=1 if quick else 12,
      hidden_units=(16, 16) if quick else (128, 128))


def adam_step(variables, loss_fn, learning_rate=1e-4):
  """`step(*args)`: an XLA-compiled Adam step on `loss_fn(*args)`.

  Args:
    variables: the trainable `tf.Variable`s.
    loss_fn: callable returning a scalar loss `Tensor`.
    learning_rate: Python `float`.

  Returns:
    A `tf.function` that updates `variables` and returns the loss.
  """
  optimizer = tf_keras.optimizers.Adam(learning_rate)
  optimizer.build(variables)

  @tf.function(jit_compile=True)
  def step(*args):
    with tf.GradientTape() as tape:
      loss = loss_fn(*args)
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss
  return step


def train_step(flow):
  """An XLA-compiled Adam step on the NLL of a batch."""
  return adam_step(flow.trainable_variables,
                   lambda x: -tf.reduce_mean(flow.log_prob(x)))


def _max_rss_mib():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def measure_one(name, quick, batch_size, repeats):
  """Steps per second (and peak RSS growth of the first steps) of one flow."""
  flow = build(name, quick)
  x = tf.constant(np.random.default_rng(0).normal(0., 0.3, (batch_size, 2)),
                  tf.float32)
  step = train_step(flow)
  before = _max_rss_mib()
  start = time.perf_counter()
  step(x).numpy()  # Trace and compile.
  compile_seconds = time.perf_counter() - start
  step(x)
  seconds = _timing.median_seconds(step, x, repeats=repeats)
  num_params = int(sum(np.prod(v.shape) for v in flow.trainable_variables))
  return dict(steps_per_second=1. / seconds, parameters=num_params,
              compile_seconds=compile_seconds,
              peak_rss_growth_mib=_max_rss_mib() - before)


GUARD_FLOWS = ('affine', 'cubic_rational', 'radial32')

# The steps timed by `guard_cost`: (skip non-finite steps, round-trip
# tolerance), as `train.fit_nll` compiles them.
GUARD_VARIANTS = {'unguarded': (False, None), 'finite': (True, None),
                  'round_trip': (True, 1e-3)}


def guard_cost(name, quick, batch_size, repeats, rounds=5):
  """Seconds per `fit_nll` step without a guard, with the finite-step guard,
  and with the round-trip guard too (`round_trip_tolerance=1e-3`).

  Every step is XLA-compiled on the same flow (each with its own Adam); the
  median of each is taken over `rounds` alternating measurements.
  """
  flow = build(name, quick)
  x = tf.constant(np.random.default_rng(0).normal(0., 0.3, (batch_size, 2)),
                  tf.float32)
  strategy = tf.distribute.get_strategy()
  steps = {}
  for variant, (skip, tolerance) in GUARD_VARIANTS.items():
    guard = _guard.RoundTripGuard(flow, tolerance)
    per_example_loss = (lambda batch, _, guard=guard:
                        (guard(-flow.log_prob(batch), batch)[0], {}))
    optimizer = tf_keras.optimizers.Adam(1e-5)
    optimizer.build(flow.trainable_variables)
    steps[variant] = _step.make_step(
        flow.trainable_variables, per_example_loss, optimizer, strategy,
        batch_size, None, jit_compile=True, skip_nonfinite=skip)
    steps[variant](x)  # Compile.
  seconds = {variant: [] for variant in steps}
  for _ in range(rounds):
    for variant, step in steps.items():
      seconds[variant].append(
          _timing.median_seconds(step, x, repeats=repeats))
  return {f'{variant}_seconds': float(np.median(values))
          for variant, values in seconds.items()}


def guard_table(results):
  lines = ['| flow | no guard (ms) | finite guard (ms) | + round trip (ms) '
           '| overheads |', '|---|---|---|---|---|']
  for name, r in results.items():
    ms = [1e3 * r[f'{variant}_seconds'] for variant in GUARD_VARIANTS]
    lines.append(f'| {name} | {ms[0]:.2f} | {ms[1]:.2f} | {ms[2]:.2f} | '
                 f'{100. * (ms[1] / ms[0] - 1.):+.1f} %, '
                 f'{100. * (ms[2] / ms[0] - 1.):+.1f} % |')
  return '\n'.join(lines)


def measure_interleaved(names, quick, batch_size, repeats, rounds):
  """Steps/s (median over alternating rounds) and compile time per flow."""
  x = tf.constant(np.random.default_rng(0).normal(0., 0.3, (batch_size, 2)),
                  tf.float32)
  steps, results = {}, {}
  for name in names:
    flow = build(name, quick)
    steps[name] = train_step(flow)
    start = time.perf_counter()
    steps[name](x).numpy()  # Trace and compile.
    results[name] = dict(
        compile_seconds=time.perf_counter() - start,
        parameters=int(sum(np.prod(v.shape)
                           for v in flow.trainable_variables)),
        peak_rss_growth_mib=None)
  seconds = {name: [] for name in names}
  for _ in range(rounds):
    for name in names:
      seconds[name].append(
          _timing.median_seconds(steps[name], x, repeats=repeats))
  for name in names:
    results[name]['steps_per_second'] = 1. / float(np.median(seconds[name]))
    results[name]['round_seconds'] = seconds[name]
  return results


def _in_subprocess(name, batch_size, repeats):
  out = subprocess.run(
      [sys.executable, '-m', 'benchmarks.training', '--one', name,
       '--batch-size', str(batch_size), '--repeats', str(repeats)],
      check=True, capture_output=True, text=True).stdout
  return json.loads(out.strip().splitlines()[-1])


def table(results):
  """Markdown: one row per flow, with its ratios to the spline and affine."""
  affine = results['affine']
  spline = results['spline8']
  lines = ['| flow | parameters | steps/s | vs spline | step time vs affine '
           '| compile (s) | compile vs spline | peak RSS growth (MiB) |',
           '|---|---|---|---|---|---|---|---|']
  for name, r in results.items():
    lines.append(
        f'| {name} | {r["parameters"]} | {r["steps_per_second"]:.1f} | '
        f'{r["steps_per_second"] / spline["steps_per_second"]:.2f}× | '
        f'{affine["steps_per_second"] / r["steps_per_second"]:.2f}× | '
        f'{r["compile_seconds"]:.1f} | '
        f'{r["compile_seconds"] / spline["compile_seconds"]:.2f}× | '
        + ('—' if r['peak_rss_growth_mib'] is None
           else f'{r["peak_rss_growth_mib"]:.0f}') + ' |')
  return '\n'.join(lines)


def targets_table(results):
  """Markdown: the coupling targets, per analytic flow of the default
  direction (steps/s >= 1.2x the spline's, step time <= 1.3x the affine's,
  compile time <= 2x the spline's)."""
  affine, spline = results['affine'], results['spline8']
  lines = ['| flow | steps/s vs spline (>= 1.2×) | step time vs affine '
           '(<= 1.3×) | compile vs spline (<= 2×) |', '|---|---|---|---|']
  for name in ('cubic_rational', 'sinh_conjugation', 'cubic_conjugation'):
    if name not in results:
      continue
    r = results[name]
    ratios = (r['steps_per_second'] / spline['steps_per_second'],
              affine['steps_per_second'] / r['steps_per_second'],
              r['compile_seconds'] / spline['compile_seconds'])
    met = (ratios[0] >= 1.2, ratios[1] <= 1.3, ratios[2] <= 2.)
    lines.append(f'| {name} | ' + ' | '.join(
        f'{ratio:.2f}× ({"met" if ok else "missed"})'
        for ratio, ok in zip(ratios, met)) + ' |')
  return '\n'.join(lines)


def _flow_results(args):
  """Steps/s, compile time and memory of `args.flows`, as `args` asks."""
  if args.interleave:
    return measure_interleaved(
        args.flows, args.quick, 64 if args.quick else args.batch_size,
        2 if args.quick else args.repeats, args.interleave)
  if args.guard:
    return {}
  if args.quick:
    return {name: measure_one(name, True, 64, 2) for name in args.flows}
  return {name: _in_subprocess(name, args.batch_size, args.repeats)
          for name in args.flows}


def main(argv=None):
  parser = argparse.ArgumentParser(prog='python -m benchmarks.training',
                                   description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='small flows, few repeats, one process (CI)')
  parser.add_argument('--batch-size', type=int, default=256)
  parser.add_argument('--repeats', type=int, default=20)
  parser.add_argument('--guard', action='store_true',
                      help='measure only the cost of the training guards')
  parser.add_argument('--interleave', type=int, metavar='ROUNDS',
                      default=None, help='time every flow in one process, '
                      'alternating them over ROUNDS rounds')
  parser.add_argument('--flows', nargs='+', choices=list(CONFIGS),
                      default=list(CONFIGS), help='flows to measure')
  parser.add_argument('--one', choices=sorted(CONFIGS),
                      help='measure one flow and print JSON (used internally)')
  parser.add_argument('--out', default=None,
                      help='JSON output (default: benchmarks/results/'
                           'training.json, or training_guard.json with '
                           '--guard)')
  args = parser.parse_args(argv)
  if args.one:
    print(json.dumps(measure_one(args.one, False, args.batch_size,
                                 args.repeats)))
    return None
  results = _flow_results(args)
  guard = {} if args.interleave and not args.guard else {
      name: guard_cost(name, args.quick,
                       64 if args.quick else args.batch_size,
                       2 if args.quick else args.repeats,
                       rounds=1 if args.quick else 5)
      for name in (GUARD_FLOWS[:1] if args.quick else GUARD_FLOWS)}
  if {'affine', 'spline8'} <= set(results):
    print(table(results))
    print(targets_table(results))
  if guard:
    print(guard_table(guard))
  out = args.out or ('benchmarks/results/training_guard.json' if args.guard
                     else 'benchmarks/results/training.json')
  _timing.write_json(out, dict(machine=_timing.machine(),
                                    batch_size=args.batch_size,
                                    quick=args.quick, results=results,
                                    guard=guard))
  return results


if __name__ == '__main__':
  main()

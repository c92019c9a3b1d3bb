"""Training-step rate of the phi^4 lattice flows, ours against bijx's.

    python -m benchmarks.phi4                    # L = 20, ours only
    python -m benchmarks.phi4 --bijx-python /tmp/jaxenv/bin/python
    python -m benchmarks.phi4 --quick            # tiny flows (CI)
    XLA_FLAGS=--xla_cpu_enable_xprof_traceme=true \\
        python -m benchmarks.phi4 --profile      # where our step's time goes

One XLA-compiled Adam step of the reverse KL `E_q[log q + S]` (phi^4 action,
m2 = -4, lam = 5) on a batch of 64 fresh samples of
`flows.lattice_flow(20, 'cubic_rational+affine', num_members=8,
num_layers=12, hidden_channels=(16, 16))` and of its affine-only twin.

With `--bijx-python`, `benchmarks/bijx_phi4.py` builds the same flows from
bijx's classes in that environment and stays up (`--serve`): each round times
our steps, then bijx's, the flows alternating within each, so that the load of
a shared machine affects both alike. The ratios are rates, ours over bijx's,
per round and their median; the load average is recorded with every round.
"""

import argparse
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import tensorflow as tf

from benchmarks import _timing
from benchmarks import xla_profile
from benchmarks.training import adam_step
from tfp_analytic import flows
from tfp_analytic import lattice

FLOWS = ('cubic_rational+affine', 'affine')
TARGET = 1.5  # Steps/s of the analytic flow, in bijx's.


def settings(quick):
  """The flows' sizes: the paper's, or tiny ones for `--quick`."""
  if quick:
    return dict(size=4, members=2, layers=2, hidden_channels=[4],
                batch_size=64)
  return dict(size=20, members=8, layers=12, hidden_channels=[16, 16],
              batch_size=64)


def reverse_kl_step(transform, config, m2=-4., lam=5.):
  """`step(seed)`: an Adam step of the reverse KL of a new lattice flow."""
  flow = flows.lattice_flow(
      config['size'], transform, num_members=config['members'],
      num_layers=config['layers'],
      hidden_channels=tuple(config['hidden_channels']))

  def loss(seed):
    phi, log_q = flow.experimental_sample_and_log_prob(
        config['batch_size'], seed=seed)
    return tf.reduce_mean(log_q + lattice.phi4_action(phi, m2, lam))

  return adam_step(flow.trainable_variables, loss)


class Bijx:
  """`benchmarks/bijx_phi4.py --serve` under another Python."""

  def __init__(self, python, config, coupling):
    script = Path(__file__).with_name('bijx_phi4.py')
    self._process = subprocess.Popen(
        [python, str(script), '--serve', '--coupling', coupling,
         '--size', str(config['size']), '--members', str(config['members']),
         '--layers', str(config['layers']),
         '--batch-size', str(config['batch_size']), '--hidden-channels',
         *map(str, config['hidden_channels'])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    self.header = None

  def _read(self):
    line = self._process.stdout.readline()
    if not line:
      raise RuntimeError(f'bijx_phi4.py exited ({self._process.wait()})')
    return json.loads(line)

  def ready(self):
    """Waits for the compiled steps; returns the script's header."""
    self.header = self.header or self._read()
    return self.header

  def round(self, repeats):
    """Median seconds per step of each flow over `repeats` steps."""
    self._process.stdin.write(f'{repeats}\n')
    self._process.stdin.flush()
    return {name: float(np.median(s)) for name, s in self._read().items()}

  def close(self):
    self._process.stdin.close()
    self._process.wait()


def measure(config, rounds, repeats, bijx=None):
  """Per round: the load average and seconds per step of ours (and bijx's)."""
  seed = tf.constant([0, 1], tf.int32)
  calls = {name: (reverse_kl_step(name, config), (seed,)) for name in FLOWS}
  if bijx is not None:
    bijx.ready()
  results = []
  for _ in range(rounds):
    row = dict(load=os.getloadavg()[0],
               ours=_timing.interleaved_median_seconds(calls, repeats))
    if bijx is not None:
      row['bijx'] = bijx.round(repeats)
      row['ratios'] = {name: row['bijx'][name] / row['ours'][name]
                       for name in FLOWS}
    results.append(row)
  return results


def table(rounds):
  """Markdown: steps/s per round, ours and bijx's, and the rate ratios."""
  with_bijx = 'bijx' in rounds[0]
  lines = ['| round | load | ' + ' | '.join(
      f'{name} ours' + (f' | bijx | ratio' if with_bijx else '')
      for name in FLOWS) + ' |']
  lines.append('|---' * (2 + len(FLOWS) * (3 if with_bijx else 1)) + '|')
  for k, row in enumerate(rounds):
    cells = []
    for name in FLOWS:
      cells.append(f'{1. / row["ours"][name]:.2f}')
      if with_bijx:
        cells += [f'{1. / row["bijx"][name]:.2f}',
                  f'{row["ratios"][name]:.2f}×']
    lines.append(f'| {k + 1} | {row["load"]:.1f} | ' + ' | '.join(cells) +
                 ' |')
  return '\n'.join(lines)


def targets_table(rounds):
  """Markdown: the median ratio over rounds per flow, and the target."""
  lines = ['| flow | steps/s vs bijx (median of rounds) | target | met? |',
           '|---|---|---|---|']
  for name in FLOWS:
    ratio = float(np.median([row['ratios'][name] for row in rounds]))
    target = TARGET if name == FLOWS[0] else None
    met = '—' if target is None else ('yes' if ratio >= target else 'no')
    lines.append(f'| {name} | {ratio:.2f}× | '
                 f'{"≥ %.1f×" % target if target else "(reported)"} | '
                 f'{met} |')
  return '\n'.join(lines)


def profile(config, transform, steps=5):
  """Our step's time by HLO instruction kind (`benchmarks/xla_profile.py`).

  Returns:
    dict: `wall_seconds` per step, `kinds` and the 15 costliest instruction
    `names` (suffixes dropped), in seconds per step.
  """
  seed = tf.constant([0, 1], tf.int32)
  step = reverse_kl_step(transform, config)
  wall = _timing.median_seconds(step, seed, repeats=5)
  seconds = xla_profile.hlo_seconds(step, (seed,), steps)
  hlo = step.experimental_get_compiler_ir(seed)(stage='optimized_hlo')
  kinds, names = xla_profile.by_kind(seconds, hlo)
  return dict(wall_seconds=wall, kinds=dict(kinds.most_common()),
              names=dict(names.most_common(15)))


def profile_table(result):
  """Markdown: milliseconds per step and share of the profiled HLO time."""
  total = sum(result['kinds'].values())
  lines = [f'step {1e3 * result["wall_seconds"]:.1f} ms (wall), HLO events '
           f'{1e3 * total:.1f} ms', '', '| kind | ms per step | share |',
           '|---|---|---|']
  for group in ('kinds', 'names'):
    for name, value in result[group].items():
      lines.append(f'| {name} | {1e3 * value:.2f} | '
                   f'{100. * value / total:.0f} % |')
    if group == 'kinds':
      lines += ['', '| instruction | ms per step | share |', '|---|---|---|']
  return '\n'.join(lines)


def argument_parser():
  parser = argparse.ArgumentParser(prog='python -m benchmarks.phi4',
                                   description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='L = 4, 2 layers of 2 members, 1 round of 2')
  parser.add_argument('--rounds', type=int, default=3)
  parser.add_argument('--repeats', type=int, default=10,
                      help='timed steps per flow and round (default 10)')
  parser.add_argument('--bijx-python', metavar='PATH',
                      help='the Python of a virtual environment with jax and '
                      'bijx (see benchmarks/bijx_elementwise.py)')
  parser.add_argument('--bijx-coupling', choices=('split', 'mask'),
                      default='split',
                      help='bijx\'s coupling: on the active sites only, as '
                      'ours (split), or masked on every site (mask)')
  parser.add_argument('--profile', action='store_true',
                      help='profile our steps instead (needs XLA_FLAGS='
                      '--xla_cpu_enable_xprof_traceme=true); JSON to '
                      'benchmarks/results/phi4_profile.json')
  parser.add_argument('--out', default=None,
                      help='JSON output (default: benchmarks/results/'
                      'phi4.json, or phi4_profile.json with --profile)')
  return parser


def main(argv=None):
  args = argument_parser().parse_args(argv)
  config = settings(args.quick)
  if args.profile:
    results = {name: profile(config, name) for name in FLOWS}
    for name, result in results.items():
      print(f'\n## {name}\n\n{profile_table(result)}')
    _timing.write_json(args.out or 'benchmarks/results/phi4_profile.json',
                       dict(machine=_timing.machine(), settings=config,
                            profiles=results))
    return results
  rounds, repeats = (1, 2) if args.quick else (args.rounds, args.repeats)
  bijx = (Bijx(args.bijx_python, config, args.bijx_coupling)
          if args.bijx_python else None)
  try:
    results = measure(config, rounds, repeats, bijx)
  finally:
    if bijx is not None:
      bijx.close()
  print(table(results))
  if bijx is not None:
    print()
    print(targets_table(results))
  _timing.write_json(args.out or 'benchmarks/results/phi4.json', dict(
      machine=_timing.machine(), settings=config, rounds=results,
      bijx=bijx and dict(bijx.header, coupling=args.bijx_coupling)))
  return results


if __name__ == '__main__':
  main()

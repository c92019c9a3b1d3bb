"""phi^4 lattice field theory: lattice flows trained by reverse KL (§5.5).

Target `p ~ exp(-S)` with `S = sum_x [sum_mu (phi(x+mu) - phi(x))^2 + m2
phi^2 + lam phi^4]` on a periodic L x L lattice, `m2 = -4`. The flow is
`flows.lattice_flow`: per-orbit Fourier scaling, then 12 checkerboard
couplings whose ConvNets (2 x 16 channels) parametrize 8 analytic members
plus an affine map per site (or an affine map / a spline alone).

Two regimes (docs/experiments.md#phi4; lam chosen from our HMC: lam = 5 is
unimodal with correlation length ~3.6, lam = 3 has two modes at |M| ~ 0.69):
- unimodal: one arm per transform; metric ESS (the paper's, at 20 x 20, in
  `paper.CLAIMS`);
- bimodal: `naive` training, which tends to collapse onto one sign of the
  magnetization M, and `pretrain`, which first trains the Fourier scaling
  and a `ZeroModeBijector` alone (the couplings stay at their identity
  initialisation) and then the full flow. Metrics: ESS and the fraction of
  samples with M < 0 (0.5 when both modes are kept).

The command runs a queue of arms (`phi4_arms.train_arm`), one after the
other, each resumable and skipped once finished: `--queue cpu` (sized for a
CPU, stopping at a plateau) or `--queue paper` (the paper's 100,000
steps per arm at L = 20).
"""

import json
import time
from pathlib import Path

import numpy as np

from tfp_analytic import train
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import paper
from tfp_analytic.experiments import phi4_arms
from tfp_analytic.experiments import phi4_evaluate

TRANSFORMS = phi4_arms.TRANSFORMS
BIMODAL_ARMS = phi4_arms.BIMODAL_ARMS
# Until, over 5 logs (one per 1,000 steps), the ESS gains no more than 1
# point and the reverse KL falls by no more than 0.05 nats, after at least
# `min_steps`.
PLATEAU = dict(plateau_logs=5, plateau_gain=0.01, plateau_kl_gain=0.05)
# Quick mode: every arm shrunk to seconds, one seed, few arms.
QUICK = dict(members=2, layers=2, hidden_channels=(8,), learning_rate=1e-2,
             log_every=10, eval_samples=4096, max_steps=30, min_steps=0,
             pretrain_steps=30, plateau_logs=None, jit_compile=False)
QUICK_ARMS = ('cubic_rational', 'naive', 'pretrain')
# The paper's training steps per arm (and per pretraining).
PAPER_STEPS = 100_000
# Every arm of the queue has its own seed; `--seeds N` keeps seeds 0..N-1.
QUEUED_SEEDS = True


def _unimodal(size, seeds, **budget):
  return [('unimodal', t, size, s, budget) for s in seeds for t in TRANSFORMS]


def _bimodal(size, seeds, **budget):
  return [('bimodal', a, size, s, budget) for s in seeds for a in BIMODAL_ARMS]


def cpu_queue():
  """The CPU queue, in an order that yields useful results early.

  L = 8 (every transform, seed 0), the bimodal arms at L = 8, seeds 1 and 2
  at L = 8 (the ranking over 3 seeds), then L = 20, where the paper's
  numbers are (10,000 steps per arm), and its bimodal arms, then L = 12
  (3 seeds). At L = 8 and 12 an arm stops at a plateau of both ESS and
  reverse KL (`PLATEAU`), after 5,000 and at most 20,000 steps. Returns
  `(regime, arm, L, seed, budget)` tuples.
  """
  small = dict(max_steps=20_000, min_steps=5_000, **PLATEAU)
  large = dict(max_steps=10_000, min_steps=10_000)
  return (_unimodal(8, [0], **small) + _bimodal(8, [0], **small)
          + _unimodal(8, [1, 2], **small)
          + _unimodal(20, [0], **large) + _bimodal(20, [0], **large)
          + _unimodal(12, [0, 1, 2], **small))


def paper_queue():
  """The paper's arms: L = 20, 100,000 steps each (pretraining 100,000 more).
  """
  return _unimodal(20, [0], max_steps=PAPER_STEPS) + _bimodal(
      20, [0], max_steps=PAPER_STEPS, pretrain_steps=PAPER_STEPS)


QUEUES = {'cpu': cpu_queue, 'paper': paper_queue}


def add_arguments(parser):
  parser.add_argument('--queue', choices=sorted(QUEUES), default='cpu',
                      help='cpu: plateau-stopped arms at L = 8, 12, 20; '
                           'paper: 100,000 steps per arm at L = 20')
  parser.add_argument('--lattice-size', type=int, nargs='+', default=None,
                      help='only arms of these L')
  parser.add_argument('--regimes', nargs='+', default=None,
                      choices=('unimodal', 'bimodal'), help='default: both')
  parser.add_argument('--transforms', nargs='+', choices=TRANSFORMS,
                      default=None, help='unimodal arms (default: all five)')
  parser.add_argument('--bimodal-arms', nargs='+', default=None,
                      choices=BIMODAL_ARMS, help='default: both')
  parser.add_argument('--max-arms', type=int, default=None,
                      help='train at most this many unfinished arms')
  parser.add_argument('--results', default=None,
                      help='folder of the finished arms\' metrics (default '
                           'results/phi4; quick: OUT/results)')
  parser.add_argument('--evaluate', action='store_true',
                      help='compare every finished arm not yet evaluated '
                           'with the HMC reference (observables.json, '
                           'magnetization.png), draw the figures, and exit '
                           '(the queue evaluates each arm as it finishes)')
  parser.add_argument('--plots', action='store_true',
                      help='draw <results>/<L>/ess.png from the arms\' '
                           'log.csv, and exit')
  parser.add_argument('--reference', default=None,
                      help='phi4-reference output folder (default '
                           f'{phi4_evaluate.DEFAULT_REFERENCE})')
  parser.add_argument('--evaluation-samples', type=int, default=None,
                      help='flow samples per evaluated arm (default 16384; '
                           'quick 1024)')
  parser.add_argument('--list', action='store_true',
                      help='print the queue and the state of each arm')
  parser.add_argument('--time-steps', action='store_true',
                      help='measure seconds per training step for each L '
                           'of the queue, and exit')
  parser.add_argument('--learning-rate', type=float, default=None,
                      help='default 1e-4')
  parser.add_argument('--batch-size', type=int, default=None,
                      help='default 64')


def queue(args):
  """The arm configs of `args`' queue, filtered and (quick) shrunk."""
  configs = []
  for regime, arm, size, seed, budget in QUEUES[args.queue]():
    if args.quick:
      if seed or arm not in QUICK_ARMS:
        continue
      budget, size = QUICK, 4
    budget = dict(budget)
    if args.steps:
      budget.update(max_steps=args.steps, pretrain_steps=args.steps,
                    min_steps=min(args.steps, budget.get('min_steps', 0)))
    for key in ('learning_rate', 'batch_size'):
      if getattr(args, key):
        budget[key] = getattr(args, key)
    if args.no_jit:
      budget['jit_compile'] = False
    keep = ((args.regimes is None or regime in args.regimes)
            and (args.lattice_size is None or size in args.lattice_size)
            and (args.seeds is None or seed < args.seeds)
            and (regime != 'unimodal' or args.transforms is None
                 or arm in args.transforms)
            and (regime != 'bimodal' or args.bimodal_arms is None
                 or arm in args.bimodal_arms))
    if keep and not any(c['path'].endswith(f'L{size}/{regime}-{arm}/seed{seed}')
                        for c in configs):  # Quick runs shrink every L to 4.
      prefix = '/'.join(p for p in ('quick' if args.quick else '',
                                    'paper' if args.queue == 'paper' else '')
                        if p)
      configs.append(phi4_arms.arm_config(regime, arm, size, seed,
                                          prefix=prefix, **budget))
  if not configs:
    raise ValueError('no arm of the queue matches the filters')
  return configs


def _results_dir(args):
  if args.results:
    return Path(args.results)
  return Path(args.out) / 'results' if args.quick else Path('results', 'phi4')


def run(args):
  """Trains the queue's unfinished arms in order; returns their metrics."""
  configs = queue(args)
  if args.time_steps:
    return time_steps(configs)
  results = _results_dir(args)
  if args.evaluate or args.plots:
    return _evaluate(args, configs, results)
  done = [(results / c['path'] / 'metrics.json').exists() for c in configs]
  if args.list:
    for config, finished in zip(configs, done):
      started = (Path(args.out) / config['path']).exists()
      state = 'done' if finished else 'started' if started else 'queued'
      print(f'{state:8} {config["path"]}')
    return {}
  todo = [c for c, finished in zip(configs, done) if not finished]
  todo = todo[:args.max_arms] if args.max_arms is not None else todo
  print(f'phi4 {args.queue} queue: {len(configs)} arms, {sum(done)} done, '
        f'training {len(todo)} (checkpoints in {args.out}, results in '
        f'{results})', flush=True)
  metrics = {}
  for k, config in enumerate(todo, 1):
    print(f'[{k}/{len(todo)}] {config["path"]}', flush=True)
    # Each arm in a process of its own: XLA's programs for one arm are not
    # kept for the next.
    row = _common.in_fresh_process(_train_and_evaluate, args, config, results)
    metrics[config['path']] = row
    print(f'[{k}/{len(todo)}] {config["path"]} done: ESS {row["ess"]:.1%}, '
          f'M < 0: {row["fraction_negative"]:.1%}, steps {row["steps"]}, '
          f'{row["seconds"] / 60:.1f} min', flush=True)
  phi4_evaluate.plot_logs(results)
  return metrics


def _train_and_evaluate(args, config, results):
  row = phi4_arms.train_arm(config, args.out, results,
                            progress=not args.no_progress)
  # At once, while the weights are on this machine.
  _evaluate_arms(args, [config], results)
  return row


def _evaluate(args, configs, results):
  """`--evaluate` (then the figures) or `--plots` alone."""
  evaluated = _evaluate_arms(args, configs, results) if args.evaluate else {}
  phi4_evaluate.plot_logs(results)
  return evaluated


def _evaluate_arms(args, configs, results):
  return phi4_evaluate.evaluate_arms(
      configs, args.out, results,
      args.reference or phi4_evaluate.DEFAULT_REFERENCE,
      args.evaluation_samples or (1024 if args.quick else 16384))


def time_steps(configs, num_steps=20):
  """Prints and returns seconds per training step for each lattice size.

  Times `num_steps` steps of the first unimodal (else the first) arm of each
  size, after the first step (which compiles).
  """
  seconds = {}
  for config in configs:
    size = config['lattice_size']
    if size in seconds or (config['regime'] != 'unimodal' and any(
        c['regime'] == 'unimodal' and c['lattice_size'] == size
        for c in configs)):
      continue
    flow = phi4_arms.build_flow(config)
    stamps = []
    train.fit_reverse_kl(
        flow, phi4_arms.log_target(config), num_steps + 1,
        config['batch_size'], config['learning_rate'], progress=False,
        jit_compile=config['jit_compile'],
        on_step=lambda k: stamps.append(time.perf_counter()))
    seconds[size] = (stamps[-1] - stamps[0]) / num_steps
    print(f'L = {size} ({config["transform"]}, batch '
          f'{config["batch_size"]}): {seconds[size]:.4f} s per step',
          flush=True)
  return seconds


def report_lines(results_dir):
  """Markdown tables of the finished arms under `results_dir` (for `report`).

  One table per lattice size and regime (and queue folder), one row per arm:
  ESS and the fraction of samples with M < 0, mean and spread over seeds,
  steps trained, and the paper's figures, which are for a 20 x 20 lattice
  (shown beside every lattice size, labelled so).
  """
  groups = {}
  for path in sorted(Path(results_dir).glob('**/metrics.json')):
    config = json.loads((path.parent / 'config.json').read_text())
    metrics = json.loads(path.read_text())
    folder = str(Path(config['path']).parent.parent)
    key = (folder, config['regime'])
    groups.setdefault(key, {}).setdefault(config['arm'], []).append(metrics)
  lines = []
  for (folder, regime), arms in groups.items():
    steps = max(r['steps']['train'] for rows in arms.values() for r in rows)
    lines += [f'### phi4 `{folder}` {regime}', '']
    if steps < PAPER_STEPS:
      lines += [f'Reduced budget: at most {steps:,} training steps per arm, '
                f'where the paper trains {PAPER_STEPS:,}.', '']
    lines += ['| arm | seeds | ESS | M < 0 | head ESS untrained → pretrained '
              '/ M < 0 | steps | paper (20 × 20) |',
              '|---|---|---|---|---|---|---|']
    for arm, rows in arms.items():
      pre = [r for r in rows if 'pretrained' in r]
      head = [r['pretrained'] for r in pre]
      figures = paper.numbers('phi4', f'{regime}-{arm}') or {}
      lines.append(
          f'| {arm} | {len(rows)} | {_spread(rows, "ess")} | '
          f'{_spread(rows, "fraction_negative")} | '
          + (f'{_spread([r["initial"] for r in pre], "ess")} → '
             f'{_spread(head, "ess")} / {_spread(head, "fraction_negative")}'
             if pre else '—')
          + f' | {", ".join(str(r["steps"].get("train")) for r in rows)} | '
          + (', '.join(f'{k} {v}' for k, v in figures.items()) or '—')
          + ' |')
    lines.append('')
  return lines + phi4_evaluate.observable_lines(
      results_dir, Path(results_dir).name)


def _spread(rows, key):
  values = np.array([r[key] for r in rows])
  if len(values) == 1:
    return f'{values[0]:.1%}'
  return f'{values.mean():.1%} ± {values.std(ddof=1):.1%}'

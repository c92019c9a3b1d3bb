"""One phi^4 training arm: a flow trained in its own resumable directory.

An arm is a JSON-friendly config (`arm_config`): regime, transform or
bimodal arm, lattice size, seed, and the training budget. `train_arm` trains
it in `<runs>/<path>/` with checkpoints (an interrupted arm resumes exactly),
logs ESS, reverse KL and the fraction of samples with M < 0 on fresh samples
every `log_every` steps to `log.csv`, stops at `max_steps` or when the ESS
plateaus (`plateaued`), saves the weights (`load_flow` rebuilds and restores
them) and writes `metrics.json`, `config.json` and `log.csv` to
`<results>/<path>/`. docs/experiments.md#phi4.
"""

import csv
import json
import time
from pathlib import Path

import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from tfp_analytic import flows
from tfp_analytic import lattice
from tfp_analytic import train
from tfp_analytic.experiments import paper

tfd = tfp.distributions
tfb = tfp.bijectors

TRANSFORMS = (*flows.ANALYTIC_FAMILIES, 'spline', 'affine')
BIMODAL_ARMS = ('naive', 'pretrain')
LAM = {'unimodal': 5., 'bimodal': 3.}
LOG_FIELDS = ('phase', 'step', 'ess', 'reverse_kl', 'fraction_negative',
              'seconds')


def arm_config(regime, arm, lattice_size, seed=0, *, max_steps=100_000,
               min_steps=0, plateau_logs=None, plateau_gain=0.01,
               plateau_kl_gain=0.05, pretrain_steps=None, log_every=1000,
               eval_samples=4096, members=8, layers=12,
               hidden_channels=(16, 16), batch_size=64, learning_rate=1e-4,
               bimodal_transform='cubic_conjugation', m2=-4., jit_compile=True,
               prefix=''):
  """The settings of one arm, a JSON-friendly dict with its relative `path`.

  Args:
    regime: `'unimodal'` (lambda 5) or `'bimodal'` (lambda 3).
    arm: a name of `TRANSFORMS` (unimodal) or of `BIMODAL_ARMS`.
    lattice_size: Python `int` `L`, even.
    seed: Python `int`, seeds the initialisation and the batches.
    max_steps: Python `int`, steps cap (per phase for `'pretrain'`).
    min_steps: Python `int`, steps before the plateau rule may stop a phase.
    plateau_logs: Python `int` or `None` (no plateau rule): stop when the
      best ESS of the last `plateau_logs` logs beats the best before them by
      no more than `plateau_gain`, and the least reverse KL of those logs
      beats the least before them by no more than `plateau_kl_gain` nats.
    plateau_gain: Python `float`.
    plateau_kl_gain: Python `float`. The ESS alone is too noisy a signal: a
      slow arm can log its best ESS early and stop while its reverse KL is
      still falling by nats.
    pretrain_steps: steps cap of the zero-mode pretraining (default
      `max_steps`).
    log_every: Python `int`, steps between evaluations (and checkpoints).
    eval_samples: Python `int`, fresh samples per evaluation.
    members, layers, hidden_channels: the flow (`flows.lattice_flow`).
    batch_size, learning_rate: training (Adam at a constant rate).
    bimodal_transform: the couplings' transform in the bimodal regime.
    m2: the mass term.
    jit_compile: Python `bool`, compile the training step with XLA.
    prefix: Python `str`, a folder above the arm's path.

  Returns:
    A dict.

  #### Example

  ```python
  from tfp_analytic.experiments import phi4_arms
  config = phi4_arms.arm_config('unimodal', 'affine', 8)
  config['path']  # ==> 'L8/unimodal-affine/seed0'
  ```
  """
  arms = TRANSFORMS if regime == 'unimodal' else BIMODAL_ARMS
  if regime not in LAM or arm not in arms:
    raise ValueError(f'no arm {arm!r} in regime {regime!r}: the unimodal '
                     f'arms are {TRANSFORMS}, the bimodal ones {BIMODAL_ARMS}')
  if lattice_size < 2 or lattice_size % 2:
    raise ValueError(f'`lattice_size` must be even, got {lattice_size}')
  transform = bimodal_transform if regime == 'bimodal' else arm
  path = f'L{lattice_size}/{regime}-{arm}/seed{seed}'
  return dict(
      path=f'{prefix}/{path}' if prefix else path, regime=regime, arm=arm,
      lattice_size=lattice_size, seed=seed, m2=m2, lam=LAM[regime],
      transform=(transform if transform in ('spline', 'affine')
                 else f'{transform}+affine'),
      zero_mode=arm == 'pretrain', members=members, layers=layers,
      hidden_channels=list(hidden_channels), batch_size=batch_size,
      learning_rate=learning_rate, max_steps=max_steps, min_steps=min_steps,
      pretrain_steps=(pretrain_steps or max_steps) if arm == 'pretrain'
      else 0, plateau_logs=plateau_logs, plateau_gain=plateau_gain,
      plateau_kl_gain=plateau_kl_gain, log_every=log_every,
      eval_samples=eval_samples, jit_compile=jit_compile)


def build_flow(config):
  """The arm's flow at its (seeded) initialisation.

  #### Example

  ```python
  from tfp_analytic.experiments import phi4_arms
  config = phi4_arms.arm_config('bimodal', 'pretrain', 4, layers=2,
                                members=2, hidden_channels=(4,))
  phi4_arms.build_flow(config).event_shape  # ==> [4, 4]
  ```
  """
  tf_keras.utils.set_random_seed(config['seed'])
  return flows.lattice_flow(
      config['lattice_size'], config['transform'],
      num_members=config['members'], num_layers=config['layers'],
      hidden_channels=tuple(config['hidden_channels']),
      zero_mode=config['zero_mode'], seed=config['seed'],
      name=f'lattice_{config["arm"]}')


def pretraining_head(flow):
  """The flow without its couplings: Fourier scaling and zero mode.

  The couplings start at the identity, so this is the full flow with the
  couplings frozen at their initialisation (the paper's pretraining).
  """
  return tfd.TransformedDistribution(flow.distribution, tfb.Chain([
      b for b in flow.bijector.bijectors
      if isinstance(b, (lattice.ZeroModeBijector, lattice.FourierScaling))]))


def log_target(config):
  """`log p~ = -S` of the arm's action."""
  return lambda phi: -lattice.phi4_action(phi, m2=config['m2'],
                                          lam=config['lam'])


def evaluator(distribution, target, num_samples, jit_compile=True):
  """`evaluate(seed)`: ESS, reverse KL and fraction M < 0 on fresh samples.

  Compiled once; `seed` is a stateless `int32[2]` seed.
  """

  @tf.function(jit_compile=jit_compile)
  def statistics(seed):
    phi, log_q = distribution.experimental_sample_and_log_prob(
        num_samples, seed=seed)
    log_w = target(phi) - log_q
    negative = tf.cast(lattice.magnetization(phi) < 0., log_w.dtype)
    return (train.effective_sample_size(log_w, 0.), -tf.reduce_mean(log_w),
            tf.reduce_mean(negative))

  def evaluate(seed):
    values = statistics(tf.constant(seed, tf.int32))
    return dict(zip(LOG_FIELDS[2:5], (float(v) for v in values)))
  return evaluate


def plateaued(values, logs, gain):
  """True when the best (largest) of the last `logs` values beats the best
  before them by no more than `gain` (needs more than `logs` values). Pass
  negated losses to ask the same of a loss.

  #### Example

  ```python
  from tfp_analytic.experiments import phi4_arms
  phi4_arms.plateaued([.1, .3, .305, .3, .29, .31, .3], 5, 0.01)  # ==> True
  phi4_arms.plateaued([-9., -6., -5., -4., -3., -2.], 5, 0.05)  # ==> False
  ```
  """
  if logs is None or len(values) <= logs:
    return False
  return max(values[-logs:]) <= max(values[:-logs]) + gain


class _Log:
  """The rows of `log.csv`, one per evaluation, kept in step with the file."""

  def __init__(self, path):
    self._path = Path(path)
    self.rows = []
    if self._path.exists():
      with self._path.open() as f:
        self.rows = [dict(r, step=int(r['step']), **{
            k: float(r[k]) for k in LOG_FIELDS[2:]}) for r in csv.DictReader(f)]

  def keep(self, keep):
    """Drops the rows where `keep(row)` is false (steps not checkpointed)."""
    self.rows = [r for r in self.rows if keep(r)]
    with self._path.open('w', newline='') as f:
      writer = csv.DictWriter(f, LOG_FIELDS)
      writer.writeheader()
      writer.writerows(self.rows)

  def add(self, row):
    self.rows.append(row)
    with self._path.open('a', newline='') as f:
      csv.DictWriter(f, LOG_FIELDS).writerow(row)

  def phase(self, phase):
    return [r for r in self.rows if r['phase'] == phase]


def _phases(config, flow):
  """`(name, distribution trained, steps cap)` in training order."""
  phases = [('train', flow, config['max_steps'])]
  if config['zero_mode']:
    phases.insert(0, ('pretrain', pretraining_head(flow),
                      config['pretrain_steps']))
  return phases


def _train_phase(config, index, phase, log, run_dir, progress):
  """Trains one phase up to its cap or plateau, resuming its checkpoint."""
  name, distribution, cap = phase
  directory = run_dir / name
  checkpoint = tf.train.latest_checkpoint(directory)
  start = int(checkpoint.rsplit('-', 1)[1]) if checkpoint else 0
  log.keep(lambda r: r['phase'] != name or r['step'] <= start)
  evaluate = evaluator(distribution, log_target(config),
                       config['eval_samples'], config['jit_compile'])
  began = time.perf_counter()
  previous = log.phase(name)[-1]['seconds'] if log.phase(name) else 0.

  def record(k):
    row = dict(phase=name, step=k, **evaluate((config['seed'], 2 * k + index)),
               seconds=previous + time.perf_counter() - began)
    log.add(row)
    print(f'{config["path"]} {name} step {k}: ESS {row["ess"]:.1%}, reverse '
          f'KL {row["reverse_kl"]:.3f}, M < 0: {row["fraction_negative"]:.1%}',
          flush=True)

  def stop():
    rows = log.phase(name)
    logs = config['plateau_logs']
    return (rows[-1]['step'] >= config['min_steps']
            and plateaued([r['ess'] for r in rows], logs,
                          config['plateau_gain'])
            and plateaued([-r['reverse_kl'] for r in rows], logs,
                          config['plateau_kl_gain']))

  def on_step(k):
    if k % config['log_every'] and k != cap:
      return False
    record(k)
    return stop()

  if not log.phase(name):
    record(0)
  train.fit_reverse_kl(
      distribution, log_target(config), start if stop() else cap,
      config['batch_size'], config['learning_rate'],
      seed=config['seed'] + 1_000_000 * index, checkpoint_dir=str(directory),
      checkpoint_every=config['log_every'], progress=progress,
      jit_compile=config['jit_compile'], on_step=on_step)
  return evaluate


def _check_config(run_dir, config):
  """Writes the arm's `config.json`, or checks that it is the one there."""
  path = run_dir / 'config.json'
  plain = json.loads(json.dumps(config))
  if path.exists() and json.loads(path.read_text()) != plain:
    raise ValueError(f'{run_dir} holds an arm with other settings; delete it '
                     f'or choose another runs folder')
  run_dir.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(plain, indent=2) + '\n')


def train_arm(config, runs_dir, results_dir, progress=False):
  """Trains (or resumes, or skips when finished) one arm; returns its metrics.

  The checkpoints, `log.csv` and the final weights (`load_flow`) live in
  `<runs_dir>/<path>/`; `metrics.json`, `config.json` and `log.csv` are
  written to `<results_dir>/<path>/` at the end. An arm whose
  `metrics.json` exists there is not trained again.
  """
  results = Path(results_dir) / config['path']
  if (results / 'metrics.json').exists():
    return json.loads((results / 'metrics.json').read_text())
  run_dir = Path(runs_dir) / config['path']
  _check_config(run_dir, config)
  flow = build_flow(config)
  log = _Log(run_dir / 'log.csv')
  phases = _phases(config, flow)
  for index, phase in enumerate(phases):
    # A later phase's checkpoint holds every weight: skip to it.
    if not any(tf.train.latest_checkpoint(run_dir / later[0])
               for later in phases[index + 1:]):
      evaluate = _train_phase(config, index, phase, log, run_dir, progress)
  tf.train.Checkpoint(flow=flow).write(str(run_dir / 'weights' / 'flow'))
  metrics = _metrics(config, flow, log, evaluate((config['seed'], -1)))
  results.mkdir(parents=True, exist_ok=True)
  for name in ('config.json', 'log.csv'):
    (results / name).write_text((run_dir / name).read_text())
  (results / 'metrics.json').write_text(json.dumps(metrics, indent=2) + '\n')
  return metrics


def _metrics(config, flow, log, final):
  """The arm's `metrics.json`: final and initial evaluations, budget, paper."""
  first, trained = log.rows[0], log.phase('train')
  metrics = dict(final, initial={k: first[k] for k in LOG_FIELDS[2:5]},
                 steps={p: log.phase(p)[-1]['step'] for p in ('pretrain',
                                                               'train')
                        if log.phase(p)},
                 best_logged_ess=max(r['ess'] for r in trained),
                 seconds=sum(log.phase(p)[-1]['seconds']
                             for p in ('pretrain', 'train') if log.phase(p)),
                 parameters=int(sum(tf.size(v) for v in
                                    flow.trainable_variables)),
                 paper=paper.numbers(
                     'phi4', f'{config["regime"]}-{config["arm"]}', config))
  if config['zero_mode']:
    metrics['pretrained'] = {k: trained[0][k] for k in LOG_FIELDS[2:5]}
  return metrics


def load_flow(run_dir):
  """Rebuilds a finished arm's flow from `config.json` and its weights.

  Args:
    run_dir: the arm's folder under the runs folder.

  Returns:
    `(flow, config)`.
  """
  run_dir = Path(run_dir)
  config = json.loads((run_dir / 'config.json').read_text())
  flow = build_flow(config)
  tf.train.Checkpoint(flow=flow).read(
      str(run_dir / 'weights' / 'flow')).assert_consumed()
  return flow, config

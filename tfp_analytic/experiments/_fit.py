"""The train-and-evaluate loop of the NLL experiments.

spiral-coupling, spiral-radial, ring-mixture and tabular each build a few
flows (`Arm`s) and hand them to `fit_and_evaluate`: held-out NLL before and
after `train.fit_nll`, the parameter count, the forward KL where the
target's entropy is known, and the paper's numbers beside them; then
`metrics.json` and the training curves. conditional runs `fit_arm` on the
arms of each of its tasks.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np

from tfp_analytic import train
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import targets
from tfp_analytic.train import metrics


# The largest relative error of `forward(inverse(x))` a training step may
# leave (`train.fit_nll`'s `round_trip_tolerance`): a float32 flow in good
# shape stays near 1e-6, a badly conditioned one reaches 1 and beyond.
ROUND_TRIP_TOLERANCE = 1e-3


@dataclasses.dataclass
class Arm:
  """One flow of an experiment and how to train it.

  Attributes:
    flow: the `tfd.TransformedDistribution` to train.
    fit_kwargs: keyword arguments of `train.fit_nll` for this flow: its
      learning-rate schedule, and `validation_data` / `validate_every` to
      keep the weights of the best validation NLL.
    paper: the paper's figures for this flow, `paper.numbers(...)` (`None`
      where it has none); `guessed`, a list of metric names among them,
      marks our reconstructions.
  """
  flow: object
  fit_kwargs: dict
  paper: dict = None


def fit_and_evaluate(arms, data, test, out, args, steps, batch_size,
                     entropy=None, results=None, curves='training_curve.png'):
  """Trains each arm by NLL, writing `metrics.json` after every arm (a run
  cut short keeps what it learned), then the curves.

  Args:
    arms: dict from a row name to an `Arm`.
    data: training data, as `train.fit_nll` takes it (an array, or a
      function `(n, seed) -> samples` for fresh samples every step).
    test: held-out array `[n, d]`, or a pair `(x, context)` of arrays for a
      `flows.ConditionalFlow`.
    out: the output folder.
    args: the parsed command line (seed, progress, XLA).
    steps: training steps of every arm.
    batch_size: training batch size of every arm.
    entropy: the target's entropy, if known: each row gets the forward KL
      `test_nll - entropy`.
    results: the metrics to add the rows to, for an experiment of several
      tasks; by default new ones, with `target_entropy` when it is known.
    curves: the file name of the training curves' figure.

  Returns:
    `(results, log_probs)`: the metrics (a dict by row name), and each
    trained flow's traced `log_prob`.
  """
  if results is None:
    results = {} if entropy is None else dict(target_entropy=entropy)
  histories, log_probs = {}, {}
  for name, arm in arms.items():
    results[name], histories[name], log_probs[name] = fit_arm(
        name, arm, data, test, args, steps, batch_size, entropy, out=out)
    _common.write_metrics(out, results)
  _common.plot_training_curves(histories, out, ylabel='NLL', name=curves)
  return results, log_probs


def fit_arm(name, arm, data, test, args, steps, batch_size, entropy=None,
            out=None):
  """Trains one arm by NLL (see `fit_and_evaluate`) and prints its row.

  Every step keeps the flow's round trip within `ROUND_TRIP_TOLERANCE`
  (`train.fit_nll`'s `round_trip_tolerance`, unless the arm sets its own),
  and the row records `round_trip_error`, the largest relative error of
  `forward(inverse(x))` on the held-out points: a badly conditioned flow's
  `log_prob` is no density, however good its NLL looks. An arm stopped by
  refused steps (`FloatingPointError`) keeps its row: `diverged_step`, the
  first step of the streak, and the metrics of the last accepted weights.

  With `out`, the arm's training is checkpointed in `<out>/checkpoints/
  <name>`, and a rerun of the same settings continues from there (an arm
  that finished trains no more), unless it stops early on validation data:
  its best weights so far are not in a checkpoint.

  Returns:
    `(row, losses, log_prob)`: the arm's metrics (its `'paper'` entry
    included), the loss of every step (none for a diverged arm), and the
    trained flow's traced `log_prob`.
  """
  log_prob = _common.traced_log_prob(arm.flow)
  dtype = arm.flow.dtype.as_numpy_dtype
  test = (tuple(np.asarray(part, dtype) for part in test)
          if isinstance(test, tuple) else np.asarray(test, dtype))
  initial = metrics.mean_nll(log_prob, test)
  checkpoints = None
  if out is not None and 'validation_data' not in arm.fit_kwargs:
    checkpoints = str(Path(out) / 'checkpoints' /
                      re.sub(r'[^\w.=+-]+', '_', name))
  fit_kwargs = dict(dict(round_trip_tolerance=ROUND_TRIP_TOLERANCE),
                    **_common.fit_options(args), **arm.fit_kwargs)
  row = dict(parameters=_common.num_parameters(arm.flow),
             initial_test_nll=initial)
  try:
    history = train.fit_nll(arm.flow, data, steps, batch_size=batch_size,
                            checkpoint_dir=checkpoints, **fit_kwargs)
  except FloatingPointError as error:
    history = dict(loss=np.array([]))
    row['diverged_step'] = error.first_refused_step
  if 'validation_data' in arm.fit_kwargs and 'best_step' in history:
    row.update(best_step=history['best_step'], val_nll=metrics.mean_nll(
        log_prob, arm.fit_kwargs['validation_data']))
  row.update(_evaluate(arm.flow, log_prob, test, entropy), paper=arm.paper)
  shown = lambda key, spec: ('not finite' if row[key] is None
                             else format(row[key], spec))
  print(f'{name}: {row["parameters"]} parameters, test NLL {initial:.3f} '
        f'-> {shown("test_nll", ".3f")}'
        + (f', forward KL {shown("forward_kl", ".3f")}' if entropy is not None
           else '')
        + f', round trip {shown("round_trip_error", ".1e")}'
        + (f', diverged at step {row["diverged_step"]}'
           if 'diverged_step' in row else ''))
  return row, history['loss'], log_prob


def _evaluate(flow, log_prob, test, entropy):
  """Test NLL, forward KL and round-trip error (each `None` if not finite)."""
  nll = metrics.mean_nll(log_prob, test)
  nll = float(nll) if np.isfinite(nll) else None
  error = _common.traced_round_trip_error(flow)
  parts = test if isinstance(test, tuple) else (test,)
  worst = max(float(np.max(error(*(part[k:k + 4096] for part in parts))))
              for k in range(0, len(parts[0]), 4096))
  row = dict(test_nll=nll,
             round_trip_error=worst if np.isfinite(worst) else None)
  if entropy is not None:
    row['forward_kl'] = None if nll is None else nll - entropy
  return row


def lowest_test_nll(results, names):
  """The name among `names` whose row has the lowest finite test NLL, or
  `None` where no row has one (every arm diverged)."""
  finite = [name for name in names if results[name]['test_nll'] is not None]
  return min(finite, key=lambda name: results[name]['test_nll'],
             default=None)


def plot_densities(target_log_prob, entropy, log_probs, results, out,
                   extent, quick):
  """The target's density beside each flow's, held-out NLLs under them."""
  nll = {name: results[name]['test_nll'] for name in log_probs}
  return _common.plot_densities_2d(
      dict(target=target_log_prob, **log_probs), out, extent=extent,
      size=60 if quick else 150, nll=dict(nll, target=entropy))


def spiral_test_set(num_samples, seed):
  """The held-out spiral points of a run of `seed` (numpy `[n, 2]`)."""
  return targets.spiral_sample(num_samples, (seed, 12345)).numpy()


def fit_spiral(arms, config, out, args):
  """`fit_and_evaluate` on fresh spiral samples, and the density figure.

  The held-out set is `spiral_test_set(config.test_samples, args.seed)`;
  returns `(results, held-out points)`.
  """
  test = spiral_test_set(config.test_samples, args.seed)
  results, log_probs = fit_and_evaluate(
      arms, targets.spiral_sample, test, out, args, config.steps,
      config.batch_size, entropy=targets.SPIRAL_ENTROPY)
  plot_densities(targets.spiral_log_prob, targets.SPIRAL_ENTROPY, log_probs,
                 results, out, extent=1., quick=args.quick)
  return results, test

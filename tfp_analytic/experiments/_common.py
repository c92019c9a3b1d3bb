"""Output folders, metrics and figures shared by the experiments."""

from concurrent import futures
import ctypes
import functools
import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_analytic import flows
from tfp_analytic.experiments import _config
from tfp_analytic.train import metrics


def prepare_output(args, config):
  """Creates `args.out` and writes `config.json` (the settings of the run)."""
  out = Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  config = dict(config, experiment=args.experiment, quick=args.quick,
                seed=args.seed, started=time.strftime('%Y-%m-%d %H:%M:%S'))
  (out / 'config.json').write_text(json.dumps(config, indent=2) + '\n')
  return out


def in_fresh_process(fn, *args):
  """Returns `fn(*args)`, called in a new Python process.

  XLA keeps every function it compiles for the life of a process, so a
  process that trains many arms in turn grows by each arm's programs (a
  3-seed multi-arm run reached 11 GB). One process per seed or arm gives the
  memory back when it ends. `fn` and `args` must pickle; an exception in the
  child is raised here, and a child that dies raises `BrokenProcessPool`.
  """
  context = multiprocessing.get_context('spawn')
  with futures.ProcessPoolExecutor(1, mp_context=context,
                                   initializer=_end_with_parent,
                                   initargs=(os.getpid(),)) as pool:
    return pool.submit(fn, *args).result()


def _end_with_parent(parent):
  """Ends this child when `parent` ends (Linux), so that killing a queue
  never leaves an orphan training on, writing the checkpoints that a
  restarted queue resumes from."""
  if sys.platform.startswith('linux'):
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
  if os.getppid() != parent:  # It ended before prctl.
    os._exit(1)


def run_seeded(args):
  """Seeds TensorFlow, NumPy and Python with `args.seed`, runs it, then
  writes `_config.FINISHED` into `args.out` (experiments write
  `metrics.json` as they go, so it alone does not say that a run ended).

  Here, not in `__main__`, whose functions a spawned process cannot import.
  """
  tf_keras.utils.set_random_seed(args.seed)
  result = args.run(args)
  write_json(Path(args.out) / _config.FINISHED,
             dict(finished=time.strftime('%Y-%m-%d %H:%M:%S')))
  return result


def fit_options(args):
  """Keyword arguments of `train.fit_*` shared by every run of `args`.

  XLA pays off over thousands of steps; quick runs train without it.
  """
  return dict(seed=args.seed, progress=not args.no_progress,
              jit_compile=not (args.quick or args.no_jit))


def write_metrics(out, metrics):
  """Writes `metrics.json` and prints where it went."""
  return write_json(Path(out) / 'metrics.json', metrics)


def write_json(path, value):
  """Writes `value` (NumPy values made plain) as JSON to `path`."""
  path = Path(path)
  path.write_text(json.dumps(_plain(value), indent=2) + '\n')
  print(f'wrote {path}')
  return path


def _plain(value):
  """NumPy scalars and arrays to JSON-friendly Python values."""
  if isinstance(value, dict):
    return {str(k): _plain(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_plain(v) for v in value]
  if isinstance(value, np.ndarray):
    return value.tolist()
  if isinstance(value, np.generic):
    return value.item()
  return value


def pyplot():
  """matplotlib's pyplot on a headless backend."""
  os.environ.setdefault('MPLBACKEND', 'Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def save_figure(fig, out, name):
  path = Path(out) / name
  fig.savefig(path, dpi=110, bbox_inches='tight')
  pyplot().close(fig)
  print(f'wrote {path}')
  return path


def plot_training_curves(histories, out, ylabel='loss',
                         name='training_curve.png'):
  """One curve per run, smoothed with a running mean, on one axis."""
  plt = pyplot()
  fig, ax = plt.subplots(figsize=(6, 4))
  for label, loss in histories.items():
    loss = np.asarray(loss)
    if not loss.size:
      continue  # Resumed from a checkpoint that kept no history.
    window = max(1, len(loss) // 50)
    smooth = np.convolve(loss, np.ones(window) / window, mode='valid')
    ax.plot(np.arange(len(smooth)) + window - 1, smooth, label=label)
  ax.set_xlabel('step')
  ax.set_ylabel(ylabel)
  ax.legend()
  ax.grid(alpha=0.3)
  return save_figure(fig, out, name)


def num_parameters(module):
  """Total number of trainable numbers of a flow (or any `tf.Module`)."""
  return int(sum(np.prod(v.shape) for v in module.trainable_variables))


def traced_log_prob(flow):
  """`flow.log_prob` as a graph, traced once for every batch size.

  Eagerly, every op of every stack member is dispatched from Python: a
  32-center radial flow took minutes per 100,000 points. The points (and a
  `flows.ConditionalFlow`'s contexts) must have the flow's dtype.
  """
  return _traced(flow, flow.log_prob)


def traced_round_trip_error(flow):
  """`metrics.round_trip_error` of `flow` as a graph, as `traced_log_prob`."""
  def error(x, *context):
    return metrics.round_trip_error(flow(*context) if context else flow, x)
  return _traced(flow, error)


def _traced(flow, function):
  """`function(x[, context])` traced once, for points of `flow`'s shape."""
  signature = [tf.TensorSpec([None, *flow.event_shape], flow.dtype)]
  if isinstance(flow, flows.ConditionalFlow):
    signature.append(tf.TensorSpec([None, flow.context_size], flow.dtype))
  # TensorFlow counts the traces of a method over every instance of its
  # class, and warns of frequent retracing when a run evaluates many flows
  # one after another; a partial is counted apart.
  return tf.function(functools.partial(function), input_signature=signature)


def grid_2d(extent, size):
  """A `size x size` grid on `[-extent, extent]^2`: `(xs, points)`."""
  xs = np.linspace(-extent, extent, size)
  points = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
  return xs, points.astype(np.float32)


def plot_densities_2d(log_densities, out, extent, size=120,
                      name='density.png', nll=None):
  """Panels of 2-D densities on one grid, e.g. the target beside each flow.

  `log_densities` maps a panel title to a callable from points `[n, 2]` to
  log-densities `[n]` (a numpy array or tensor); a list of such dicts draws
  one row of panels each (e.g. one row per context of a conditional flow).
  `nll`, if given, maps titles to the held-out NLL written under them (for
  the target: its entropy, the best NLL a model can reach). Every panel has
  its axes and a colorbar of the density.
  """
  plt = pyplot()
  xs, points = grid_2d(extent, size)
  rows = ([log_densities] if isinstance(log_densities, dict)
          else list(log_densities))
  num_columns = max(len(row) for row in rows)
  fig, axes = plt.subplots(len(rows), num_columns,
                           figsize=(3.3 * num_columns, 3.1 * len(rows)),
                           squeeze=False, layout='constrained')
  panels = [(ax, title, log_density) for row_axes, row in zip(axes, rows)
            for ax, (title, log_density) in zip(row_axes, row.items())]
  for ax, title, log_density in panels:
    density = np.exp(np.asarray(log_density(points))).reshape(size, size)
    image = ax.imshow(np.nan_to_num(density), origin='lower', cmap='magma',
                      extent=(xs[0], xs[-1], xs[0], xs[-1]))
    if nll is not None and nll.get(title) is not None:
      title = f'{title}\nNLL {nll[title]:.3f}'
    ax.set_title(title, fontsize=9)
    ax.set_xlabel('$x_1$')
    ax.set_ylabel('$x_2$')
    ax.tick_params(labelsize=7)
    fig.colorbar(image, ax=ax, shrink=0.8).ax.tick_params(labelsize=7)
  return save_figure(fig, out, name)

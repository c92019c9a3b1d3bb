"""Output folders, metrics and figures shared by the experiments."""

import json
import os
import time
from pathlib import Path

import numpy as np


def prepare_output(args, config):
  """Creates `args.out` and writes `config.json` (the settings of the run)."""
  out = Path(args.out)
  out.mkdir(parents=True, exist_ok=True)
  config = dict(config, experiment=args.experiment, quick=args.quick,
                seed=args.seed, started=time.strftime('%Y-%m-%d %H:%M:%S'))
  (out / 'config.json').write_text(json.dumps(config, indent=2) + '\n')
  return out


def write_metrics(out, metrics):
  """Writes `metrics.json` and prints where it went."""
  path = Path(out) / 'metrics.json'
  path.write_text(json.dumps(_plain(metrics), indent=2) + '\n')
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


def plot_training_curves(histories, out, ylabel='loss'):
  """One curve per run, smoothed with a running mean, on one axis."""
  plt = pyplot()
  fig, ax = plt.subplots(figsize=(6, 4))
  for label, loss in histories.items():
    loss = np.asarray(loss)
    window = max(1, len(loss) // 50)
    smooth = np.convolve(loss, np.ones(window) / window, mode='valid')
    ax.plot(np.arange(len(smooth)) + window - 1, smooth, label=label)
  ax.set_xlabel('step')
  ax.set_ylabel(ylabel)
  ax.legend()
  ax.grid(alpha=0.3)
  return save_figure(fig, out, 'training_curve.png')

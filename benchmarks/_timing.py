"""Timing helpers: warm-up excluded, median of repeats, machine facts."""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf


def _fetching(fn, args):
  """`fn(*args)` that waits for one element of its first output, so that
  asynchronous devices (GPU) finish their work inside the timing."""
  def call():
    out = fn(*args)
    tf.reshape(tf.nest.flatten(out)[0], [-1])[:1].numpy()
  return call


def _inner_count(call, min_seconds):
  """Calls per repeat so that one repeat lasts at least `min_seconds`."""
  call()  # Warm-up: tracing and XLA compilation.
  start = time.perf_counter()
  call()
  once = max(time.perf_counter() - start, 1e-9)
  return max(1, int(min_seconds / once))


def median_seconds(fn, *args, repeats=10, min_seconds=0.05):
  """Median wall time of `fn(*args)` after one warm-up call.

  Each repeat runs `fn` as often as needed to last `min_seconds`, so that
  tiny kernels are not dominated by timer resolution.

  Args:
    fn: callable; one element of its first output is fetched after each call.
    *args: arguments of `fn`.
    repeats: Python `int`, number of timed repeats.
    min_seconds: Python `float`, least duration of one repeat.

  Returns:
    Python float, seconds per call.
  """
  return interleaved_median_seconds({None: (fn, args)}, repeats,
                                    min_seconds)[None]


def interleaved_median_seconds(calls, repeats=10, min_seconds=0.05):
  """Median wall times of several kernels, their repeats interleaved.

  Repeat r of every kernel runs before repeat r + 1 of any, so that load
  from other jobs on a shared machine affects every kernel alike and their
  ratios stay meaningful.

  Args:
    calls: dict of name to `(fn, args)`.
    repeats: Python `int`, number of timed repeats of each kernel.
    min_seconds: Python `float`, least duration of one repeat.

  Returns:
    dict of name to Python float, seconds per call.
  """
  prepared = {}
  for name, (fn, args) in calls.items():
    call = _fetching(fn, args)
    prepared[name] = (call, _inner_count(call, min_seconds))
  samples = {name: [] for name in calls}
  for _ in range(repeats):
    for name, (call, inner) in prepared.items():
      start = time.perf_counter()
      for _ in range(inner):
        call()
      samples[name].append((time.perf_counter() - start) / inner)
  return {name: float(np.median(s)) for name, s in samples.items()}


def machine():
  """What ran the benchmark, for the results table."""
  devices = [d.device_type for d in tf.config.list_physical_devices()]
  return dict(
      date=time.strftime('%Y-%m-%d'),
      python=platform.python_version(),
      tensorflow=tf.__version__,
      processor=platform.processor() or platform.machine(),
      cpu_count=os.cpu_count(),
      devices=devices)


def write_json(path, payload):
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(payload, indent=2) + '\n')
  print(f'wrote {path}')

"""Timing helpers: warm-up excluded, median of repeats, machine facts."""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf


def median_seconds(fn, *args, repeats=10, min_seconds=0.05):
  """Median wall time of `fn(*args)` after one warm-up call.

  Each repeat runs `fn` as often as needed to last `min_seconds`, so that
  tiny kernels are not dominated by timer resolution.

  Args:
    fn: callable; one element of its first output is fetched after each call,
      so asynchronous devices (GPU) finish their work inside the timing.
    *args: arguments of `fn`.
    repeats: Python `int`, number of timed repeats.
    min_seconds: Python `float`, least duration of one repeat.

  Returns:
    Python float, seconds per call.
  """
  def call():
    out = fn(*args)
    tf.reshape(tf.nest.flatten(out)[0], [-1])[:1].numpy()

  call()  # Warm-up: tracing and XLA compilation.
  start = time.perf_counter()
  call()
  once = max(time.perf_counter() - start, 1e-9)
  inner = max(1, int(min_seconds / once))
  samples = []
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(inner):
      call()
    samples.append((time.perf_counter() - start) / inner)
  return float(np.median(samples))


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

"""Where an XLA-compiled step spends its time, by HLO instruction kind.

Needs `XLA_FLAGS=--xla_cpu_enable_xprof_traceme=true` in the environment
before TensorFlow starts, so that XLA's CPU thunks appear in the trace:

    XLA_FLAGS=--xla_cpu_enable_xprof_traceme=true \\
        python -m benchmarks.phi4 --profile

`hlo_seconds` runs a compiled function under `tf.profiler`, reads the
`.xplane.pb` it writes and sums the durations of the events named after HLO
instructions; `by_kind` groups them by what the instruction (or the fusion's
computation) does, from the optimized HLO text.
"""

import collections
import re
import tempfile
from pathlib import Path

import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

# Events that are not HLO instructions (executors, Python, TF runtime).
_NOT_HLO = ('ThunkExecutor', 'CpuExecutable', 'Eager', 'TFE', 'step',
            'BlockUntil', '__inference', '$', 'Execute', 'Run')
# First match wins: an instruction whose text (a fusion: its computation's
# text) contains the pattern belongs to the kind.
KINDS = (('FFT', r' fft\('), ('convolution', r' convolution\('),
         ('gather/scatter', r' (gather|scatter|dynamic-slice|'
          r'dynamic-update-slice)\('),
         ('reduction', r' reduce(-window)?\('),
         ('transpose/copy', r' (transpose|copy)\('),
         ('dot', r' dot\('),
         ('log/div (stacks)', r' (log|divide|log-plus-one)\('),
         ('elementwise', r''))


def hlo_seconds(fn, args, steps=5):
  """Seconds per call of `fn(*args)` in each HLO instruction.

  Args:
    fn: an XLA-compiled `tf.function`, already warmed up.
    args: its arguments.
    steps: Python `int`, calls profiled.

  Returns:
    `collections.Counter` of instruction name to seconds per call.
  """
  with tempfile.TemporaryDirectory() as logdir:
    tf.profiler.experimental.start(logdir)
    for _ in range(steps):
      out = fn(*args)
    tf.nest.map_structure(lambda t: t.numpy(), out)
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    space.ParseFromString(
        next(Path(logdir).rglob('*.xplane.pb')).read_bytes())
  seconds = collections.Counter()
  for plane in space.planes:
    for line in plane.lines:
      for event in line.events:
        name = plane.event_metadata[event.metadata_id].name
        if not name.startswith(_NOT_HLO):
          seconds[name] += event.duration_ps * 1e-12 / steps
  return seconds


def instruction_texts(hlo):
  """Instruction name -> its HLO text, a fusion's with its computation's."""
  computations = {}
  for block in re.split(r'\n(?=\S)', hlo):
    head = re.match(r'(?:ENTRY )?(%[\w.\-]+) ', block)
    if head:
      computations[head.group(1)] = block
  texts = {}
  for name, line in re.findall(r'^\s+(?:ROOT )?%([\w.\-]+) = (.*)$', hlo,
                               re.MULTILINE):
    called = re.search(r'calls=(%[\w.\-]+)', line)
    texts[name] = ' ' + line + (
        computations.get(called.group(1), '') if called else '')
  return texts


def by_kind(seconds, hlo):
  """Groups `hlo_seconds` by `KINDS`, and by instruction name sans suffix.

  Args:
    seconds: the `Counter` of `hlo_seconds`.
    hlo: the optimized HLO text of the same function.

  Returns:
    `(kinds, names)`: two `Counter`s of seconds per call.
  """
  kinds, names = collections.Counter(), collections.Counter()
  texts = instruction_texts(hlo)
  for name, value in seconds.items():
    text = texts.get(name)
    if not text:
      continue  # Not an instruction of this module.
    names[re.sub(r'\.\d+$', '', name)] += value
    kind = next(k for k, pattern in KINDS if re.search(pattern, text))
    kinds[kind] += value
  return kinds, names

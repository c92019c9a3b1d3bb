"""Imports TensorFlow without its start-up notes on a machine without a GPU.

TensorFlow 2.21 writes several lines to stderr while it loads, before its
own logging reads `TF_CPP_MIN_LOG_LEVEL`, so that variable cannot silence
them: the oneDNN note, "Could not find cuda drivers", the absl notice before
them, and "failed call to cuInit" when the devices are first listed. On a
CPU machine they are noise at every start of a script. `import_tensorflow`
loads TensorFlow and lists its devices with stderr captured, then writes
back every captured line except those notes. With `TF_CPP_MIN_LOG_LEVEL=0`
set explicitly, nothing is filtered.

The experiments' command line (`python -m tfp_analytic.experiments`) also
sets `TF_CPP_MIN_LOG_LEVEL=2` unless it is set: XLA's INFO lines would
otherwise interleave with the run's output. It must happen here, because
Python imports this package, and so TensorFlow, before the command's module.
"""

import os
import re
import sys
import tempfile

_NOTES = re.compile(
    r'All log messages before absl::InitializeLog\(\) is called'
    r'|oneDNN custom operations are on'
    r'|Could not find cuda drivers on your machine'
    r'|failed call to cuInit'
    r'|This TensorFlow binary is optimized to use available CPU instructions'
    r'|^To enable the following instructions: .* rebuild TensorFlow')


def _runs_the_experiments_command():
  argv = list(getattr(sys, 'orig_argv', ()))
  return argv[argv.index('-m') + 1:][:1] == ['tfp_analytic.experiments'] if (
      '-m' in argv) else False


def import_tensorflow():
  """Imports TensorFlow (once), dropping its CPU-machine start-up notes."""
  if _runs_the_experiments_command():
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  if ('tensorflow' in sys.modules
      or os.environ.get('TF_CPP_MIN_LOG_LEVEL') == '0'):
    return
  try:
    saved = os.dup(2)
  except OSError:  # No file descriptor 2 to capture.
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
    return
  with tempfile.TemporaryFile() as captured:
    sys.stderr.flush()
    os.dup2(captured.fileno(), 2)
    try:
      import tensorflow as tf  # pylint: disable=g-import-not-at-top
      tf.config.list_physical_devices()
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      captured.seek(0)
      lines = captured.read().decode(errors='replace').splitlines(True)
      kept = ''.join(line for line in lines if not _NOTES.search(line))
      if kept:
        sys.stderr.write(kept)
        sys.stderr.flush()

"""The loop around the compiled step: checkpoints, progress, bad steps."""

import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

__all__ = ['Run']

NOT_FINITE = 'had a non-finite loss or gradient'


class Run:
  """Runs the steps: checkpoints, progress bar, skipped-step accounting.

  Args:
    checkpoint: a `tf.train.Checkpoint` of the flow and the optimizer; the
      step counter joins it.
    directory: checkpoint directory or `None`. The loss (and summaries) of
      every step so far is saved there with each checkpoint, as
      `history.npz`, so that a resumed run returns the history of the whole
      run.
    every: Python `int`, steps between checkpoints.
    max_bad_steps: Python `int`, refused steps in a row that stop the run.
    description: Python `str`, for the progress bar and the messages.
    refusal: Python `str`, what makes a step refused, for the messages.
  """

  def __init__(self, checkpoint, directory, every, max_bad_steps,
               description, refusal=NOT_FINITE):
    self._step_count = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint.step = self._step_count
    self._manager, self._past, self._past_first = None, [], 1
    if directory is not None:
      self._manager = tf.train.CheckpointManager(checkpoint, directory,
                                                 max_to_keep=3)
      _restore(checkpoint, self._manager.latest_checkpoint)
      self._history_path = Path(directory) / 'history.npz'
      self._past_first, self._past = _load_history(
          self._history_path, int(self._step_count.numpy()))
    self._every, self._max_bad = every, max_bad_steps
    self._description, self._refusal = description, refusal
    self.skipped, self._streak = [], 0

  def __call__(self, step, make_inputs, num_steps, progress, on_step):
    """Runs steps up to `num_steps`; returns `[(loss, summaries)]`.

    `on_step(k)`, if given, runs after step `k`; a true result stops the run
    there (the checkpoint is written as at the end).
    """
    first = saved = int(self._step_count.numpy())
    inputs, history = make_inputs(first), list(self._past)
    # The step of history[0]: 1, unless an earlier run saved no history.
    self._first = self._past_first if history else first + 1
    bar = _progress_bar(progress, num_steps, first, self._description)
    refresh = max(1, (num_steps - first) // 100)
    try:
      for k in range(first + 1, num_steps + 1):
        loss, finite, summaries = step(next(inputs))
        history.append((loss, summaries))
        self._account(k, bool(finite))
        self._step_count.assign(k)
        stop = on_step is not None and bool(on_step(k))
        # No checkpoint in a run of bad steps: it would only repeat the last.
        if (self._manager is not None and k % self._every == 0
            and not self._streak):
          self._save(k, history)
          saved = k
        if bar is not None and ((k - first) % refresh == 0 or k == num_steps
                                or stop):
          bar.set_postfix(loss=f'{float(loss):.4f}', skipped=len(self.skipped))
          bar.update(k - bar.n)
        if stop:
          break
    finally:
      if bar is not None:
        bar.close()
      last = int(self._step_count.numpy())
      if self._manager is not None and last > saved:
        self._save(last, history)
    if self.skipped:
      warnings.warn(f'{self._description}: skipped {len(self.skipped)} of '
                    f'{num_steps - first} steps that {self._refusal} '
                    f'(steps {_steps_str(self.skipped)})',
                    RuntimeWarning, stacklevel=4)
    return history

  def _save(self, k, history):
    """The checkpoint of step `k`, and the history up to step `k`."""
    self._manager.save(checkpoint_number=k)
    history[:] = [(float(loss), {key: float(value)
                                 for key, value in summaries.items()})
                  for loss, summaries in history]
    kept = history[:k - self._first + 1]
    np.savez(self._history_path, first_step=self._first,
             loss=[loss for loss, _ in kept],
             **{key: [summaries[key] for _, summaries in kept]
                for key in (kept[0][1] if kept else {})})

  def _account(self, k, finite):
    """Counts a skipped step; stops after `max_bad_steps` in a row."""
    if finite:
      self._streak = 0
      return
    self.skipped.append(k)
    self._streak += 1
    if self._streak >= self._max_bad:
      # The weights are those after step k - streak; so is the checkpoint.
      self._step_count.assign(k - self._streak)
      error = FloatingPointError(
          f'{self._description}: {self._streak} steps in a row (up to step '
          f'{k}) {self._refusal}, so training stopped. The flow keeps the '
          f'weights of step {k - self._streak}, the last accepted one. Check '
          f'the data for NaN or inf, lower the learning rate, add warmup or '
          f'set `clip_norm`.')
      error.first_refused_step = k - self._streak + 1
      raise error


def _load_history(path, num_steps):
  """`(first_step, [(loss, summaries)])` up to step `num_steps`, as saved.

  A run checkpointed before histories were saved resumes with none.
  """
  if not path.exists():
    return 1, []
  with np.load(path) as saved:
    first = int(saved['first_step'])
    arrays = {key: saved[key][:num_steps - first + 1]
              for key in saved.files if key != 'first_step'}
  loss = arrays.pop('loss')
  return first, [(float(value), {key: float(column[i])
                                 for key, column in arrays.items()})
                 for i, value in enumerate(loss)]


def _steps_str(steps, most=10):
  text = ', '.join(str(k) for k in steps[:most])
  return text + (', ...' if len(steps) > most else '')


def _progress_bar(progress, num_steps, first, description):
  """A `tqdm` bar in a terminal or a notebook; none in logs and CI.

  A terminal bar redraws itself in place; written to a file or a CI log it
  becomes one line per refresh. `disable=None` turns it off where stderr is
  not a terminal. A notebook's widget bar is kept.
  """
  if not progress:
    return None
  from tqdm import notebook  # pylint: disable=g-import-not-at-top
  from tqdm.auto import tqdm  # pylint: disable=g-import-not-at-top
  return tqdm(total=num_steps, initial=first, desc=description,
              disable=False if issubclass(tqdm, notebook.tqdm) else None)


def _restore(checkpoint, path):
  """Restores `path` (if any), naming it when it cannot be read."""
  if path is None:
    return
  try:
    checkpoint.restore(path).assert_existing_objects_matched()
  except (tf.errors.OpError, AssertionError, ValueError, IndexError) as error:
    raise ValueError(
        f'cannot resume from the checkpoint {path}: it is corrupted or was '
        f'written for another flow or optimizer ({type(error).__name__}: '
        f'{str(error)[:300]}). Delete it (and its .index file) to resume from '
        f'the one before, or use another `checkpoint_dir`.') from error

"""Tabular density estimation: MAF and coupling flows, analytic vs baselines.

The paper's UCI sets (POWER, GAS, HEPMASS, MINIBOONE, BSDS300) cannot be
downloaded here; with `--data-dir DIR --dataset NAME` they load from files
(`load_tabular`). Without `--data-dir` the run uses a data set bundled with
scikit-learn (no download): `breast_cancer` (569 x 30) or `wine` (178 x 13),
standardized and split 80/10/10. Models: MAF and coupling flows with cubic
rational stacks, affine maps or splines per coordinate; trained by NLL with
exponential decay, keeping the weights of the best validation NLL (measured
every 25 steps: a few hundred examples are overfitted within the first few
hundred steps). Metric: test NLL in nats per example (lower is better);
the paper gives no UCI numbers in our text. Figures: data vs flow samples on
two coordinates, training curves, test NLL per model.
"""

import dataclasses
from pathlib import Path

import numpy as np

from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit

MODELS = ('maf', 'coupling')
TRANSFORMS = ('cubic_rational', 'affine', 'spline')
SKLEARN_DATASETS = ('breast_cancer', 'wine')
option = _config.option


def load_tabular(data_dir, name):
  """Train / validation / test arrays of a preprocessed tabular data set.

  Looks in `data_dir/name` (also tried in lower and upper case) for either
  - `train.npy`, `val.npy` (or `validation.npy`) and `test.npy`: splits that
    are already preprocessed, `[n, d]` each, used as they are; or
  - `data.npy`: one cleaned `[n, d]` array, as in the MAF repository's
    MINIBOONE folder. It is split like MAF does: the last 10 % is the test
    set, the last 10 % of the rest the validation set, and all three are
    standardized with the mean and standard deviation of train + validation.

  Args:
    data_dir: folder holding one subfolder per data set.
    name: e.g. `'power'`, `'gas'`, `'hepmass'`, `'miniboone'`, `'bsds300'`.

  Returns:
    `(train, val, test)` float32 numpy arrays.

  Raises:
    FileNotFoundError: if neither layout is there.
    ValueError: if a split is not `[n, d]` with the same `d` as the others,
      is empty, or holds NaN or inf values (the message names the file).
  """
  return _checked(_read_tabular(data_dir, name))


def _checked(named_arrays):
  """The arrays of `[(name, array)]`, checked: 2-D, one width, not empty,
  finite; the messages name the offending one."""
  first = named_arrays[0][1]
  width = first.shape[-1] if first.ndim == 2 else None
  for where, array in named_arrays:
    if array.ndim != 2 or array.shape[1] != width or not len(array):
      raise ValueError(f'{where} must be a non-empty [n, {width}] array, '
                       f'got shape {list(array.shape)}')
    bad_rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if bad_rows.size:
      raise ValueError(f'{where} has {bad_rows.size} rows with NaN or inf '
                       f'values (the first is row {bad_rows[0]})')
  return tuple(array for _, array in named_arrays)


def _read_tabular(data_dir, name):
  """`[(name, array)]` of the train, validation and test splits, unchecked."""
  for folder in (Path(data_dir) / n for n in (name, name.lower(),
                                              name.upper())):
    if (folder / 'train.npy').exists():
      val = folder / 'val.npy'
      val = val if val.exists() else folder / 'validation.npy'
      return [(str(p), np.load(p).astype(np.float32))
              for p in (folder / 'train.npy', val, folder / 'test.npy')]
    if (folder / 'data.npy').exists():
      path = folder / 'data.npy'
      data, = _checked([(str(path), np.load(path).astype(np.float64))])
      num_test = len(data) // 10
      rest, test = data[:-num_test], data[-num_test:]
      num_val = len(rest) // 10
      train_split, val = rest[:-num_val], rest[-num_val:]
      mean, std = rest.mean(axis=0), rest.std(axis=0)
      return [(f'the {label} split of {path}',
               ((x - mean) / std).astype(np.float32))
              for label, x in zip(('train', 'validation', 'test'),
                                  (train_split, val, test))]
  raise FileNotFoundError(
      f'no {name}/train.npy or {name}/data.npy under {data_dir}')


def load_sklearn(name, seed=0):
  """A scikit-learn bundled data set, standardized, split 80/10/10."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  data = getattr(datasets, f'load_{name}')().data.astype(np.float64)
  data = data[np.random.default_rng(seed).permutation(len(data))]
  num_val = num_test = len(data) // 10
  train_split = data[:-num_val - num_test]
  mean, std = train_split.mean(axis=0), train_split.std(axis=0)
  data = ((data - mean) / std).astype(np.float32)
  return (data[:-num_val - num_test], data[-num_val - num_test:-num_test],
          data[-num_test:])


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains tiny flows of one transform."""
  data_dir: str = option(None, 'folder of preprocessed UCI data (see '
                         'load_tabular); none: a scikit-learn data set',
                         type=str)
  dataset: str = option('breast_cancer', 'a subfolder of --data-dir, or one '
                        f'of {", ".join(SKLEARN_DATASETS)}')
  models: tuple = option(MODELS, 'flows to train', choices=MODELS)
  transforms: tuple = option(TRANSFORMS, 'transforms of each flow',
                             quick=('cubic_rational',), choices=TRANSFORMS)
  steps: int = option(5000, 'training steps', quick=100)
  validate_every: int = option(25, 'steps between validation NLLs; the '
                               'weights of the best one are kept')
  members: int = option(4, 'members of each analytic stack', quick=2)
  layers: int = option(5, 'flow layers', quick=2)
  width: int = option(128, 'conditioner width', quick=16)
  batch_size: int = option(128, 'batch size (at most the training rows)')
  learning_rate: float = option(1e-3, 'initial rate; decays exponentially '
                                '10x', quick=3e-3)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def run(args):
  config = _config.from_args(Config, args)
  if config.data_dir:
    splits = load_tabular(config.data_dir, config.dataset)
  else:
    splits = load_sklearn(config.dataset, args.seed)
  train_data, val, test = splits
  batch_size = min(config.batch_size, len(train_data))
  out = _common.prepare_output(args, dict(
      dataclasses.asdict(config), batch_size=batch_size,
      shapes=[list(x.shape) for x in splits]))
  schedule = dict(learning_rate=config.learning_rate,
                  final_learning_rate=config.learning_rate / 10.,
                  validation_data=val, validate_every=config.validate_every)
  arms = {}
  for model in config.models:
    factory = (flows.autoregressive_flow if model == 'maf'
               else flows.coupling_flow)
    for transform in config.transforms:
      flow = factory(train_data.shape[1], transform,
                     num_members=config.members, num_layers=config.layers,
                     hidden_units=(config.width,) * 2,
                     name=f'{model}_{transform}')
      arms[f'{model}/{transform}'] = _fit.Arm(flow, schedule)
  results, _ = _fit.fit_and_evaluate(arms, train_data, test, out, args,
                                     config.steps, batch_size)
  best = _fit.lowest_test_nll(results, arms)
  if best is not None:
    _plot_samples(test, arms[best].flow, best, args.seed, out)
  _plot_test_nll(results, out)
  return results


def _plot_samples(test, flow, name, seed, out):
  """Test data vs flow samples on the first two coordinates."""
  plt = _common.pyplot()
  samples = flow.sample(len(test), seed=(seed, 7)).numpy()
  fig, axes = plt.subplots(1, 2, figsize=(6, 3), sharex=True, sharey=True)
  for ax, (title, x) in zip(axes, [('test data', test),
                                   (f'{name} samples', samples)]):
    ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.5)
    ax.set_title(title, fontsize=9)
  axes[0].set_xlim(-4, 4)
  axes[0].set_ylim(-4, 4)
  return _common.save_figure(fig, out, 'density.png')


def _plot_test_nll(results, out):
  plt = _common.pyplot()
  names = list(results)
  fig, ax = plt.subplots(figsize=(1 + 0.9 * len(names), 3))
  # A diverged arm (no finite NLL) keeps its place, with no bar.
  ax.bar(names, [np.nan if results[n]['test_nll'] is None
                 else results[n]['test_nll'] for n in names])
  ax.set_ylabel('test NLL (nats)')
  ax.tick_params(axis='x', labelrotation=45, labelsize=8)
  return _common.save_figure(fig, out, 'test_nll.png')

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

from pathlib import Path

import numpy as np

from tfp_analytic import flows
from tfp_analytic import train
from tfp_analytic.experiments import _common

MODELS = ('maf', 'coupling')
TRANSFORMS = ('cubic_rational', 'affine', 'spline')
SKLEARN_DATASETS = ('breast_cancer', 'wine')


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


def add_arguments(parser):
  parser.add_argument('--data-dir', default=None,
                      help='folder of preprocessed UCI data (see '
                           'load_tabular); default: a scikit-learn data set')
  parser.add_argument('--dataset', default='breast_cancer',
                      help=f'a subfolder of --data-dir, or one of '
                           f'{", ".join(SKLEARN_DATASETS)}')
  parser.add_argument('--models', nargs='+', choices=MODELS, default=None)
  parser.add_argument('--transforms', nargs='+', choices=TRANSFORMS,
                      default=None)
  parser.add_argument('--validate-every', type=int, default=25,
                      help='steps between validation NLLs; the weights of '
                      'the best one are kept')
  parser.add_argument('--members', type=int, default=4)
  parser.add_argument('--layers', type=int, default=5)
  parser.add_argument('--width', type=int, default=128)
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--learning-rate', type=float, default=1e-3,
                      help='initial rate; decays exponentially 10x')


def run(args):
  models = args.models or list(MODELS)
  transforms = args.transforms or (['cubic_rational'] if args.quick
                                   else list(TRANSFORMS))
  steps = args.steps or (100 if args.quick else 5000)
  layers, width, members = ((2, 16, 2) if args.quick else
                            (args.layers, args.width, args.members))
  learning_rate = 3e-3 if args.quick else args.learning_rate
  if args.data_dir:
    splits = load_tabular(args.data_dir, args.dataset)
  else:
    splits = load_sklearn(args.dataset, args.seed)
  train_data, val, test = splits
  batch_size = min(args.batch_size, len(train_data))
  config = dict(data_dir=args.data_dir, dataset=args.dataset, models=models,
                transforms=transforms, steps=steps, layers=layers,
                width=width, members=members, batch_size=batch_size,
                validate_every=args.validate_every,
                learning_rate=learning_rate,
                shapes=[list(x.shape) for x in splits])
  out = _common.prepare_output(args, config)
  dim = train_data.shape[1]

  results, histories, trained = {}, {}, {}
  for model in models:
    for transform in transforms:
      name = f'{model}/{transform}'
      factory = (flows.autoregressive_flow if model == 'maf'
                 else flows.coupling_flow)
      flow = factory(dim, transform, num_members=members, num_layers=layers,
                     hidden_units=(width, width),
                     name=f'{model}_{transform}')
      initial = _common.mean_nll(flow, test)
      history = train.fit_nll(
          flow, train_data, steps, batch_size=batch_size,
          learning_rate=learning_rate,
          final_learning_rate=learning_rate / 10.,
          validation_data=val, validate_every=args.validate_every,
          **_common.fit_options(args))
      results[name] = dict(
          parameters=_common.num_parameters(flow), initial_test_nll=initial,
          best_step=history['best_step'],
          val_nll=_common.mean_nll(flow, val),
          test_nll=_common.mean_nll(flow, test), paper=None)
      histories[name] = history['loss']
      trained[name] = flow
      print(f'{name}: test NLL {initial:.2f} -> '
            f'{results[name]["test_nll"]:.2f}')

  _common.write_metrics(out, results)
  _common.plot_training_curves(histories, out, ylabel='NLL')
  best = min(trained, key=lambda n: results[n]['test_nll'])
  _plot_samples(test, trained[best], best, args.seed, out)
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
  ax.bar(names, [results[n]['test_nll'] for n in names])
  ax.set_ylabel('test NLL (nats)')
  ax.tick_params(axis='x', labelrotation=45, labelsize=8)
  return _common.save_figure(fig, out, 'test_nll.png')

"""Conditional flows `p(x | context)`: coupling and MAF, analytic vs baselines.

Not an experiment of the paper (it has no conditional flows): ours, for the
`context_size` of `flows.coupling_flow` and `flows.autoregressive_flow`
(docs/experiments.md#conditional). Two tasks:

- `arc`: `x` in 2-D on a noisy arc whose radius, angular offset and length
  depend on a context `c ~ U([-1, 1]^2)` (`arc_log_prob`, `arc_sample`).
  The density is exact, so the forward KL `E[log p - log q]` over held-out
  pairs is exact too. Training draws fresh pairs every step; every arm
  checkpoints under `<out>/checkpoints/`, and a rerun with the same options
  resumes it.
- `diabetes`: scikit-learn's bundled diabetes data (442 patients, no
  download; `load_diabetes_pairs`): four blood serum values given age, sex,
  BMI and blood pressure, standardized with the training rows and split
  80/10/10 by seed; the weights of the best validation NLL are kept.

Each arm (coupling or MAF, with a cubic rational, sinh or cubic conjugation
stack, a spline or an affine map) of a task sees the same steps, batch size
and learning-rate schedule. Metrics: held-out NLL, and the forward KL for
`arc`. Figures: the arc densities for three contexts beside the truth
(`density.png`), the training curves of each task.
"""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_analytic import flows
from tfp_analytic.experiments import _common
from tfp_analytic.experiments import _config
from tfp_analytic.experiments import _fit
from tfp_analytic.experiments import tabular

tfd = tfp.distributions

TASKS = ('arc', 'diabetes')
MODELS = ('coupling', 'maf')
TRANSFORMS = (*flows.ANALYTIC_FAMILIES, 'spline', 'affine')
# The arc: log radius ~ N(log(1 + c1 / 2), ARC_LOG_RADIUS_NOISE^2), angle ~
# von Mises(pi c2, 3 + 2 c1): a short thin arc at c1 = 1, a small ring at -1.
ARC_CONTEXT_SIZE = 2
ARC_LOG_RADIUS_NOISE = 0.1
# The contexts of density.png, one row each.
FIGURE_CONTEXTS = ((-0.8, -0.5), (0., 0.25), (0.8, 0.9))
# Columns of scikit-learn's diabetes data: x = total cholesterol (s1), HDL
# (s3), log triglycerides (s5), glucose (s6); context = age, sex, BMI, blood
# pressure. LDL (s2) and cholesterol / HDL (s4) are left out: they are
# nearly functions of the others (Friedewald's formula gives s2 from s1, s3
# and s5 with R^2 = 0.999999; s4 ~ s1 / s3 with R^2 = 0.96), so with them x
# would lie near a surface of lower dimension.
DIABETES_X = (4, 6, 8, 9)
DIABETES_CONTEXT = (0, 1, 2, 3)
option = _config.option


@dataclasses.dataclass(frozen=True)
class Config:
  """The settings of a run; `--quick` trains tiny flows of one transform."""
  tasks: tuple = option(TASKS, 'tasks to run', choices=TASKS)
  models: tuple = option(MODELS, 'conditional flows to train',
                         choices=MODELS)
  transforms: tuple = option(TRANSFORMS, 'transforms of each flow',
                             quick=('cubic_rational',),
                             choices=TRANSFORMS)
  steps: int = option(2000, 'training steps of every arm', quick=30)
  members: int = option(2, 'members of each analytic stack (XLA\'s compile '
                        'time, most of an arm\'s on 2 cores, grows with '
                        'members x layers)')
  layers: int = option(4, 'flow layers', quick=2)
  width: int = option(64, 'width of the two hidden layers of each '
                      'conditioner', quick=16)
  batch_size: int = option(128, 'batch size of every arm')
  learning_rate: float = option(1e-3, 'initial rate of every arm, decays '
                                'exponentially 10x (not tuned)', quick=3e-3)
  validate_every: int = option(25, 'diabetes: steps between validation '
                               'NLLs; the weights of the best are kept')
  test_samples: int = option(20_000, 'arc: held-out pairs', quick=1000)

  @property
  def schedule(self):
    """`train.fit_nll` arguments: exponential decay 10x over the run."""
    return dict(learning_rate=self.learning_rate,
                final_learning_rate=self.learning_rate / 10.)


def add_arguments(parser):
  _config.add_arguments(parser, Config)


def _arc_parts(context):
  """The distributions of `log |x|` and of the angle of `x`, given context."""
  c1, c2 = tf.unstack(context, axis=-1)
  log_radius = tfd.Normal(tf.math.log1p(c1 / 2.), ARC_LOG_RADIUS_NOISE)
  angle = tfd.VonMises(np.pi * c2, 3. + 2. * c1)
  return log_radius, angle


def arc_log_prob(x, context):
  """Exact log-density of the arc task's `x` `[..., 2]` given `context`.

  In polar coordinates `dx = r dr dtheta` and `dr = r d(log r)`, so
  `p(x | c) = p(log r | c) p(theta | c) / r^2`; the density vanishes at the
  origin (a floor on `r` keeps the log finite there).

  Args:
    x: float `Tensor` or array `[..., 2]`.
    context: float `Tensor` or array `[..., 2]` of the same dtype, in
      `[-1, 1]^2`.

  Returns:
    `Tensor` `[...]`, `log p(x | context)`.

  #### Example

  ```python
  from tfp_analytic.experiments import conditional
  x, c = conditional.arc_sample(1000, seed=(0, 1))
  conditional.arc_log_prob(x, c).shape  # ==> [1000]
  ```
  """
  x = tf.convert_to_tensor(x)
  log_radius, angle = _arc_parts(tf.convert_to_tensor(context, x.dtype))
  log_r = tf.math.log(tf.maximum(tf.norm(x, axis=-1),
                                 np.finfo(x.dtype.as_numpy_dtype).tiny))
  return (log_radius.log_prob(log_r) - 2. * log_r
          + angle.log_prob(tf.atan2(x[..., 1], x[..., 0])))


def arc_sample(n, seed, context=None):
  """`n` pairs `(x, context)` of the arc task, in TF ops.

  Args:
    n: Python `int`.
    seed: a stateless seed, `(int, int)` or `int32[2]`.
    context: optional float32 `[2]` or `[n, 2]`: draw `x` for it; by default
      contexts are drawn uniformly from `[-1, 1]^2`.

  Returns:
    `(x, context)`, float32 `Tensor`s `[n, 2]` each.

  #### Example

  ```python
  from tfp_analytic.experiments import conditional
  x, c = conditional.arc_sample(5, seed=(0, 1), context=[0.5, 0.])
  c.shape  # ==> [5, 2]
  ```
  """
  context_seed, radius_seed, angle_seed = tfp.random.split_seed(seed, 3)
  if context is None:
    context = tf.random.stateless_uniform([n, ARC_CONTEXT_SIZE],
                                          context_seed, -1., 1.)
  context = tf.broadcast_to(tf.convert_to_tensor(context, tf.float32),
                            [n, ARC_CONTEXT_SIZE])
  log_radius, angle = _arc_parts(context)
  radius = tf.exp(log_radius.sample(seed=radius_seed))
  theta = angle.sample(seed=angle_seed)
  x = radius[:, None] * tf.stack([tf.cos(theta), tf.sin(theta)], axis=-1)
  return x, context


def load_diabetes_pairs(seed):
  """The diabetes task's train, validation and test pairs `(x, context)`.

  Args:
    seed: Python `int`, picks the 80/10/10 split (`tabular.load_sklearn`:
      standardized with the training rows).

  Returns:
    Three pairs of float32 arrays, `x` `[n, 4]` (`DIABETES_X`) and
    `context` `[n, 4]` (`DIABETES_CONTEXT`).

  #### Example

  ```python
  from tfp_analytic.experiments import conditional
  (x, c), val, test = conditional.load_diabetes_pairs(seed=0)
  (x.shape, c.shape)  # ==> ((354, 4), (354, 4))
  ```
  """
  return tuple((split[:, list(DIABETES_X)], split[:, list(DIABETES_CONTEXT)])
               for split in tabular.load_sklearn('diabetes', seed))


def _arms(task, config, event_size, context_size, **fit_kwargs):
  """`{row: Arm}`: every model with every transform, one schedule (and
  `fit_kwargs` for `train.fit_nll`)."""
  factories = dict(coupling=flows.coupling_flow,
                   maf=flows.autoregressive_flow)
  arms = {}
  for model in config.models:
    for transform in config.transforms:
      flow = factories[model](
          event_size, transform, num_members=config.members,
          num_layers=config.layers, hidden_units=(config.width,) * 2,
          context_size=context_size, name=f'{task}_{model}_{transform}')
      arms[f'{task} {model}/{transform}'] = _fit.Arm(
          flow, dict(config.schedule, **fit_kwargs))
  return arms


def _train(task, arms, data, test, entropy, config, args, out, results):
  """Trains the arms of one task into `results`; returns each trained
  flow's traced `log_prob`."""
  return _fit.fit_and_evaluate(
      arms, data, test, out, args, config.steps, config.batch_size, entropy,
      results=results, curves=f'training_curve_{task}.png')[1]


def _run_arc(config, args, out, results):
  """The arc task: fresh pairs each step, exact forward KL, densities."""
  test = tuple(t.numpy() for t in arc_sample(config.test_samples,
                                              (args.seed, 12345)))
  # The NLL less this, the mean of -log p over the same held-out pairs, is
  # exactly their mean log p - log q: the forward KL.
  entropy = -float(np.mean(arc_log_prob(*test)))
  results['arc: conditional entropy'] = entropy
  arms = _arms('arc', config, 2, ARC_CONTEXT_SIZE)
  log_probs = _train('arc', arms, arc_sample, test, entropy, config, args,
                     out, results)
  _plot_arc(log_probs, results, out, args.quick)


def _run_diabetes(config, args, out, results):
  """The diabetes task: early stopping on the validation NLL."""
  (x, context), val, test = load_diabetes_pairs(args.seed)
  arms = _arms('diabetes', config, x.shape[1], context.shape[1],
               validation_data=val, validate_every=config.validate_every)
  _train('diabetes', arms, (x, context), test, None, config, args, out,
         results)


_TASKS = dict(arc=_run_arc, diabetes=_run_diabetes)


def run(args):
  config = _config.from_args(Config, args)
  out = _common.prepare_output(args, dict(
      dataclasses.asdict(config), **config.schedule,
      figure_contexts=FIGURE_CONTEXTS))
  results = {}
  for task in config.tasks:
    _TASKS[task](config, args, out, results)
  return results


def _plot_arc(log_probs, results, out, quick):
  """One row per context of `FIGURE_CONTEXTS`: the truth, then each flow."""
  rows = []
  for context in FIGURE_CONTEXTS:
    given = lambda log_prob, c=tf.constant(context): (
        lambda x: log_prob(x, tf.broadcast_to(c, x.shape)))
    rows.append({f'truth, c = {context}': given(arc_log_prob),
                 **{name: given(log_prob)
                    for name, log_prob in log_probs.items()}})
  nll = {name: results[name]['test_nll'] for name in log_probs}
  return _common.plot_densities_2d(rows, out, extent=2.,
                                   size=60 if quick else 150, nll=nll)

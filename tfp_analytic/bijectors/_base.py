"""Shared bases: the scalar analytic families and the other bijectors."""

import operator
import re

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors._repr import ImportablePathRepr

__all__ = ['AnalyticBijector', 'BijectorBase', 'CompositeIfWrapped',
           'SelfInverseConjugation', 'VariableBijector', 'parameter_assertions',
           'positive', 'stored_property']


def stored_property(name, doc):
  """A read-only property returning `self._<name>`, documented by `doc`.

  #### Example

  ```python
  from tfp_analytic.bijectors._base import stored_property

  class Box:
    size = stored_property('size', 'The size.')

    def __init__(self, size):
      self._size = size

  Box(3).size  # ==> 3
  ```
  """
  return property(operator.attrgetter('_' + name), doc=doc)


def parameter_assertions(bijector, is_init, names, assertions_for):
  """The `validate_args` checks of `_parameter_control_dependencies`.

  A constant parameter is checked once, when the bijector is built
  (`is_init`); a variable at every call.

  Args:
    bijector: the bijector.
    is_init: as passed to `_parameter_control_dependencies`.
    names: the parameters to check.
    assertions_for: `(value, name) -> [assertion ops]`, e.g. `positive`.

  Returns:
    The list of assertions to run now (empty unless `validate_args`).
  """
  if not bijector.validate_args:
    return []
  assertions = []
  for name in names:
    value = getattr(bijector, name)
    if is_init != tensor_util.is_ref(value):
      assertions += assertions_for(tf.convert_to_tensor(value), name)
  return assertions


def positive(value, name):
  """`assertions_for` of `parameter_assertions`: `value > 0`."""
  return [assert_util.assert_positive(
      value, message=f'Argument `{name}` must be positive ({name} > 0)')]


class AnalyticBijector(ImportablePathRepr,
                       tfp.bijectors.AutoCompositeTensorBijector):
  """Base of the scalar analytic bijections (event_ndims = 0, increasing).

  Subclasses set `raw_param_names` (the constructor's parameters, in the
  order of the raw numbers), `num_raw_params = len(raw_param_names)`, and
  implement `_params_from_raw(raw_params)`: a dict from those names to raw
  tensors in, the constructor's keyword arguments out. `from_raw` then comes
  for free. Their constructors pass `dict(locals())` to `__init__` here.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  b = tfab.CubicRational.from_raw(tf.zeros([tfab.CubicRational.num_raw_params]))
  b.forward(2.)  # ==> 2.
  ```
  """

  raw_param_names = ()
  num_raw_params = 0

  def __init__(self, parameters):
    """Stores the parameters as `self._<name>` tensors of one dtype.

    Args:
      parameters: the subclass constructor's `dict(locals())`: the
        parameters named in `raw_param_names`, `validate_args` and `name`.
    """
    with tf.name_scope(parameters['name']) as name:
      values = [parameters[key] for key in self.raw_param_names]
      dtype = dtype_util.common_dtype(values, dtype_hint=tf.float32)
      for key, value in zip(self.raw_param_names, values):
        setattr(self, '_' + key, tensor_util.convert_nonref_to_tensor(
            value, dtype=dtype, name=key))
      super().__init__(
          forward_min_event_ndims=0,
          validate_args=parameters['validate_args'],
          parameters=parameters,
          dtype=dtype,
          name=name)

  @classmethod
  def family_name(cls):
    """The family's name in snake case: the key of the flows' transforms.

    Returns:
      Python `str`, e.g. `'cubic_rational'` for `CubicRational`.

    #### Example

    ```python
    from tfp_analytic import bijectors as tfab
    tfab.SinhConjugation.family_name()  # ==> 'sinh_conjugation'
    ```
    """
    return re.sub(r'(?<!^)(?=[A-Z])', '_', cls.__name__).lower()

  @classmethod
  def loc_mask(cls):
    """`True` at the raw number that is `loc`, one per `raw_param_names`.

    Returns:
      bool NumPy array of shape `[num_raw_params]`.

    #### Example

    ```python
    from tfp_analytic import bijectors as tfab
    tfab.CubicRational.loc_mask().tolist()  # ==> [True, False, False]
    ```
    """
    return np.array([name == 'loc' for name in cls.raw_param_names], bool)

  @classmethod
  def _params_from_raw(cls, raw_params):
    raise NotImplementedError(
        f'{cls.__name__} must implement `_params_from_raw`')

  @classmethod
  def params_from_raw(cls, raw):
    """Valid constructor parameters from `raw[..., num_raw_params]`.

    Args:
      raw: float `Tensor` whose last axis holds the raw numbers, in the order
        of `raw_param_names`.

    Returns:
      dict of parameter name to `Tensor` of shape `raw.shape[:-1]`.
    """
    raw = tf.convert_to_tensor(raw)
    if not raw.dtype.is_floating:
      raise TypeError(f'`raw` must be floating point, got {raw.dtype.name}')
    size = tf.compat.dimension_value(raw.shape[-1])
    if size is not None and size != cls.num_raw_params:
      raise ValueError(
          f'{cls.__name__} takes {cls.num_raw_params} raw numbers on the last '
          f'axis ({", ".join(cls.raw_param_names)}); got {size}')
    raw_params = dict(zip(cls.raw_param_names, tf.unstack(
        raw, num=cls.num_raw_params, axis=-1)))
    return cls._params_from_raw(raw_params)

  @classmethod
  def from_raw(cls, raw, validate_args=False, name=None):
    """Builds the bijector from unconstrained numbers; raw 0 is the identity.

    Args:
      raw: float `Tensor` of shape `[..., num_raw_params]` in the order of
        `raw_param_names`; the leading axes become the batch shape.
      validate_args: Python `bool`, checks the parameters when `True`.
      name: optional name; defaults to the class's own.

    Returns:
      An instance of `cls` whose parameters are differentiable in `raw`.
    """
    return cls._from_params(cls.params_from_raw(raw), validate_args, name)

  @classmethod
  def from_raw_columns(cls, columns, validate_args=False, name=None):
    """`from_raw` with the raw numbers given as one tensor each.

    Stacks build their members from the columns of one `tf.unstack` of all
    their raw numbers: the gradient is then one concatenation of the
    columns' gradients. Slicing each member's numbers out of the raw tensor
    instead makes the gradient a sum of padded slices, which XLA fuses so
    that every element evaluates every member's gradient (benchmarks/
    README.md).

    Args:
      columns: sequence of `num_raw_params` float `Tensor`s, in the order of
        `raw_param_names`.
      validate_args: Python `bool`, checks the parameters when `True`.
      name: optional name; defaults to the class's own.

    Returns:
      An instance of `cls`, equal to `from_raw(tf.stack(columns, -1))`.

    #### Example

    ```python
    import tensorflow as tf
    from tfp_analytic import bijectors as tfab
    columns = tf.unstack(tf.zeros([5, 3]), axis=-1)
    tfab.CubicRational.from_raw_columns(columns).forward(1.)  # ==> [1.] * 5
    ```
    """
    columns = list(columns)
    if len(columns) != cls.num_raw_params:
      raise ValueError(
          f'{cls.__name__} takes {cls.num_raw_params} raw numbers '
          f'({", ".join(cls.raw_param_names)}); got {len(columns)} columns')
    params = cls._params_from_raw(dict(zip(cls.raw_param_names, columns)))
    return cls._from_params(params, validate_args, name)

  @classmethod
  def _from_params(cls, params, validate_args, name):
    kwargs = dict(params, validate_args=validate_args)
    if name is not None:
      kwargs['name'] = name
    return cls(**kwargs)

  @classmethod
  def _is_increasing(cls):
    return True


class SelfInverseConjugation(AnalyticBijector):
  """Base of the families whose inverse is the same map, other parameters.

  Subclasses set `_conjugate`, a `staticmethod` from `(x, *params)` to
  `(y, log dy/dx)` with the parameters in the order of `raw_param_names`,
  and implement `_inverse_params()`: the parameters, as `_forward_params()`
  returns them, for which `_conjugate` is the inverse map.

  #### Example

  ```python
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.bijectors._base import SelfInverseConjugation
  b = tfab.CubicConjugation(loc=0., shift=0.5, linear=1., cubic=1.)
  isinstance(b, SelfInverseConjugation)  # ==> True
  b.inverse(b.forward(1.))  # ==> 1.
  ```
  """

  def _forward_params(self):
    return tuple(tf.convert_to_tensor(getattr(self, name))
                 for name in self.raw_param_names)

  def _inverse_params(self):
    raise NotImplementedError(
        f'{type(self).__name__} must implement `_inverse_params`')

  def _forward(self, x):
    return self._conjugate(x, *self._forward_params())[0]

  def _inverse(self, y):
    return self._conjugate(y, *self._inverse_params())[0]

  def _forward_log_det_jacobian(self, x):
    return self._conjugate(x, *self._forward_params())[1]

  def _inverse_log_det_jacobian(self, y):
    return self._conjugate(y, *self._inverse_params())[1]


class BijectorBase(ImportablePathRepr, tfp.bijectors.Bijector):
  """Base of the package's bijectors other than the scalar families.

  A constructor records `parameters = dict(locals())`, builds its state
  inside `tf.name_scope(name)` and ends with
  `super().__init__(parameters, forward_min_event_ndims, dtype, name)`;
  `validate_args` is read from `parameters`, as `AnalyticBijector` does.

  #### Example

  ```python
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.bijectors._base import BijectorBase
  isinstance(tfab.FourierScaling([2, 2]), BijectorBase)  # ==> True
  ```
  """

  def __init__(self, parameters, forward_min_event_ndims, dtype, name,
               **kwargs):
    """`tfb.Bijector.__init__` from the recorded constructor arguments.

    Args:
      parameters: the constructor's `dict(locals())` (with `validate_args`).
      forward_min_event_ndims: Python `int`.
      dtype: the bijector's `tf.DType`.
      name: the name, as the constructor's `tf.name_scope` gave it.
      **kwargs: other arguments of `tfb.Bijector`, e.g.
        `is_constant_jacobian`.
    """
    super().__init__(forward_min_event_ndims=forward_min_event_ndims,
                     dtype=dtype, validate_args=parameters['validate_args'],
                     parameters=parameters, name=name, **kwargs)


class VariableBijector(BijectorBase):
  """Base of the bijectors that own their learnable numbers as variables.

  The constructor creates `tf.Variable`s; the bijector, a `tf.Module`, lists
  them in `trainable_variables` and checkpoints save them. It is not a
  `CompositeTensor` and has no batch parameters (`_parameter_properties` is
  empty).

  #### Example

  ```python
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.bijectors._base import VariableBijector
  scaling = tfab.FourierScaling([2, 2])
  isinstance(scaling, VariableBijector)  # ==> True
  len(scaling.trainable_variables)  # ==> 1
  ```
  """

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()


class CompositeIfWrapped(tfp.bijectors.AutoCompositeTensorBijector):
  """Makes a wrapping bijector a `CompositeTensor` when what it wraps is one.

  `class Public(_Plain, CompositeIfWrapped)` with `_wrapped_argument` naming
  `_Plain`'s first constructor argument (a bijector): `Public(...)` is a
  `CompositeTensor` (it can cross `tf.function` boundaries) when that
  argument is one, and a plain `_Plain` otherwise (a `CompositeTensor` must
  be made of `CompositeTensor`s). The note is added to the docstring.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  f = tfab.OriginFixed(tfab.CubicRational(0., 1., 1.))
  isinstance(f, tf.__internal__.CompositeTensor)  # ==> True
  ```
  """

  _wrapped_argument = None

  def __init_subclass__(cls, **kwargs):
    super().__init_subclass__(**kwargs)
    if CompositeIfWrapped in cls.__bases__:
      plain = cls.__bases__[0]
      cls.__doc__ = (plain.__doc__ or '') + (
          f'\n  `{cls.__name__}` is a `CompositeTensor` (it can cross\n'
          f'  `tf.function` boundaries) when `{cls._wrapped_argument}` is '
          'one;\n  otherwise the constructor returns a plain '
          f'`{plain.__name__}`.\n')

  def __new__(cls, *args, **kwargs):
    if CompositeIfWrapped in cls.__bases__:
      wrapped = args[0] if args else kwargs.get(cls._wrapped_argument)
      if not isinstance(wrapped, tf.__internal__.CompositeTensor):
        return cls.__bases__[0](*args, **kwargs)
    return super().__new__(cls)

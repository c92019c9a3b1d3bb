"""CubicRational: a local bump `x + m u / (1 + (u / w)^2)` (MATH.md §1.1)."""

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_analytic.bijectors import _cubic_rational_math as _math
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import AnalyticBijector

__all__ = ['CubicRational']

tfb = tfp.bijectors


class CubicRational(AnalyticBijector):
  """`y = x + magnitude * u / (1 + (u / width)^2)` with `u = x - loc`.

  A smooth local deformation around `loc` (MATH.md §1.1): `y - x` is a
  rational bump of height `magnitude * width / 2` that vanishes as
  `|x| -> inf`, so the tails are untouched. `magnitude > 0` stretches the
  region around `loc` (the slope there is `1 + magnitude`), `magnitude < 0`
  compresses it. The map is the identity when `magnitude = 0`.

  The slope is `1 + m (1 - t) / (1 + t)^2` with `t = (u / width)^2`; it is
  least, `1 - m/8`, at `t = 3`, and largest, `1 + m`, at `t = 0`, so the map
  is an increasing bijection of R exactly for `-1 < magnitude < 8` and
  `width > 0`.

  The inverse solves the scale-free cubic
  `s^3 - z s^2 + (1 + m) s - z = 0` for `s = u / width`,
  `z = (y - loc) / width`, with a cancellation-free Cardano formula (an
  asymptotic root for huge `|z|`), then polishes the root with Newton steps
  on `y = f(x)`. Everything is closed form and runs under XLA. Where the
  slope is small and `y` is a small difference of large terms, `f` is
  evaluated with its rounding errors compensated (in `forward` and in the
  Newton residual), so the round trip stays within a few ulp of the
  conditioning floor `ulp(y) / f'(x) + ulp(x)`. That costs several times
  the flops of the plain formula, so it is paid only when some `magnitude`
  lies outside `[-7/8, 7]` (a least slope below 1/8); otherwise plain
  arithmetic stays within ~50 ulp of the floor. Only for `magnitude`
  within ~2e-4 of 8 in float32 (~1e-9 in float64), near `t = 3`, where the
  least slope `1 - magnitude / 8` nears `eps^(2/3)`, does the inverse lose
  digits beyond that floor (`from_raw` keeps `magnitude <= 7.999`). The inverse
  log-det is the negated forward log-det at the inverse (inverse function
  theorem), and gradients of the inverse flow through the last Newton step
  only, which gives the implicit-function derivative at the root.

  Raw parametrization (`from_raw`, MATH.md §1.4), in the order
  `raw_param_names = ('loc', 'magnitude', 'width')`:
  `loc = q0`, `magnitude = -0.999 + 8.998 sigmoid(q1 + c1)`,
  `width = 0.1 + softplus(q2 + c2)`, with `c1`, `c2` chosen so that raw 0
  gives `magnitude = 0` exactly (the identity) and `width = 1`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.bijectors.cubic_rational import CubicRational
  b = CubicRational(loc=0., magnitude=2., width=0.5)
  b.forward(0.5)  # ==> 1.
  b.inverse(1.)  # ==> 0.5
  b.forward_log_det_jacobian(0., event_ndims=0)  # ==> 1.0986123
  CubicRational.from_raw(tf.zeros([3])).forward(0.7)  # ==> 0.7
  ```
  """

  raw_param_names = ('loc', 'magnitude', 'width')
  num_raw_params = 3

  def __init__(self,
               loc=0.,
               magnitude=0.,
               width=1.,
               validate_args=False,
               name='cubic_rational'):
    """Instantiates the `CubicRational` bijector.

    Args:
      loc: float `Tensor`, the centre of the bump.
      magnitude: float `Tensor` in `(-1, 8)`; `0` is the identity.
      width: positive float `Tensor`, the size of the deformed region.
      validate_args: Python `bool`; checks `magnitude` and `width` when
        `True` (constants at construction, variables at each call).
      name: Python `str` name prefixed to ops created by this class.
    """
    super().__init__(dict(locals()))

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        loc=parameter_properties.ParameterProperties(),
        magnitude=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=lambda: tfb.Sigmoid(
                low=tf.constant(-1., dtype), high=tf.constant(8., dtype))),
        width=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=lambda: tfb.Softplus(
                low=dtype_util.eps(dtype))))

  @classmethod
  def _params_from_raw(cls, raw_params):
    return dict(
        loc=raw_params['loc'],
        magnitude=parametrization.interval_from_raw(
            raw_params['magnitude'], -1. + 1e-3, 8. - 1e-3, 0.),
        width=parametrization.positive_from_raw(
            raw_params['width'], 1., floor=0.1))

  @property
  def loc(self):
    """The centre of the bump."""
    return self._loc

  @property
  def magnitude(self):
    """The slope at `loc` minus 1, in `(-1, 8)`."""
    return self._magnitude

  @property
  def width(self):
    """The size of the deformed region around `loc`."""
    return self._width

  def _params(self):
    return (tf.convert_to_tensor(self.loc),
            tf.convert_to_tensor(self.magnitude),
            tf.convert_to_tensor(self.width))

  def _forward(self, x):
    evaluation = _math.evaluate(x, *self._params())
    return evaluation.value + evaluation.error

  def _forward_log_det_jacobian(self, x):
    return _math.log_slope(x, *self._params())

  def _inverse(self, y):
    return _math.inverse(y, *self._params())

  def _inverse_log_det_jacobian(self, y):
    return -self._forward_log_det_jacobian(self._inverse(y))

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    assertions = []
    if is_init != tensor_util.is_ref(self.magnitude):
      magnitude = tf.convert_to_tensor(self.magnitude)
      message = '`magnitude` must be in (-1, 8)'
      assertions += [
          assert_util.assert_greater(
              magnitude, tf.constant(-1., magnitude.dtype), message=message),
          assert_util.assert_less(
              magnitude, tf.constant(8., magnitude.dtype), message=message)]
    if is_init != tensor_util.is_ref(self.width):
      assertions.append(assert_util.assert_positive(
          self.width, message='`width` must be positive'))
    return assertions

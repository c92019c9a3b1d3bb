"""CubicRational: a local bump `x + m u / (1 + (u / w)^2)`.

Derivations: docs/math.md#cubicrational.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties

from tfp_analytic.bijectors import _numerics
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import AnalyticBijector
from tfp_analytic.bijectors._base import parameter_assertions
from tfp_analytic.bijectors._base import positive
from tfp_analytic.bijectors._base import stored_property

__all__ = ['CubicRational']

tfb = tfp.bijectors

def _far(dtype):
  """`1 / sqrt(eps)`: beyond it (in widths) the bump is `m w^2 / u`.

  The next term, `m w^4 / u^3`, is below `eps` relative to the bump there.

  Args:
    dtype: floating `tf.DType`.

  Returns:
    Python float.
  """
  return float(dtype_util.eps(dtype)) ** -0.5


def _bump(x, loc, width):
  """`u = x - loc`, `t = (u / width)^2`, `r = 1 / (1 + t)` and `1 - r`.

  For huge `|u|`, `t` overflows to `inf` and `r` to 0, the right limits; `r`
  is a reciprocal and `1 - r` is formed without `t * r`, so no `inf * 0`
  reaches values or gradients.

  Returns:
    `(u, t, r, one_minus_r)`, broadcast `Tensor`s.
  """
  u = x - loc
  t = tf.square(u / width)
  r = tf.math.reciprocal(1. + t)
  # t r where t < 1 keeps the relative accuracy of a small 1 - r.
  one_minus_r = tf.where(t < 1., tf.minimum(t, 1.) * r, 1. - r)
  return u, t, r, one_minus_r


def _gain(magnitude, r, one_minus_r):
  """`(y - loc) / (x - loc) = 1 + m r` as a sum of non-negative terms.

  For `m < 0` it is `(1 + m) - m (1 - r)`, which keeps relative accuracy
  where the slope `1 + m` at `loc` nearly vanishes (`m` near -1).
  """
  return tf.where(magnitude >= 0., 1. + magnitude * r,
                  (1. + magnitude) - magnitude * one_minus_r)


def _forward(x, loc, magnitude, width):
  """`y = loc + u (1 + m r)`; exactly `x` (with the gradient of `x + m u r`)
  where `m = 0`.

  `loc + u (1 + m r)` rounds to `ulp(max(|y|, |loc|))` plus a relative
  error of `(1 + m r)`: backward stable (`docs/math.md#accuracy-contract`),
  also where the slope nearly vanishes. `x + m u r` would round to `ulp(x)`,
  too coarse where the map contracts strongly.
  """
  u, _, r, one_minus_r = _bump(x, loc, width)
  return tf.where(tf.equal(magnitude, 0.), x + magnitude * u * r,
                  loc + u * _gain(magnitude, r, one_minus_r))


def _slope(magnitude, r, one_minus_r):
  """`dy/dx = 1 + m r (2 r - 1)` to relative accuracy.

  It is a sum of non-negative terms, so it has no cancellation where it is
  small: for `m >= 0`, `1 + m h' = (1 - m/8) + (m/8) (1 - 4 r)^2` (least,
  `1 - m/8`, at `t = 3`); for `m < 0`,
  `1 + m h' = (1 + m) - m (1 - r) (1 + 2 r)`.
  """
  eighth = magnitude / 8.
  return tf.where(
      magnitude >= 0.,
      (1. - eighth) + eighth * tf.square(1. - 4. * r),
      (1. + magnitude) - magnitude * one_minus_r * (1. + 2. * r))


def _log_slope(x, loc, magnitude, width):
  """`log f'(x)`, within `eps` of the exact value (the slope is accurate to
  relative `eps`; `log1p` near the identity would add relative accuracy the
  contract does not ask for, at the cost of a second logarithm)."""
  _, _, r, one_minus_r = _bump(x, loc, width)
  return tf.math.log(_slope(magnitude, r, one_minus_r))


def _log_secant(x0, dx, loc, magnitude, width):
  """`log((y(x0 + dx) - y(x0)) / dx)` without cancellation, any `dx >= 0`.

  With `s = (x - loc) / width`, `r = 1 / (1 + s^2)` and `p = 1 - r`, the
  bump `s / (1 + s^2)` has the divided difference
  `q = (1 - s0 s1) r0 r1 = r0 r1 - (s0 r0)(s1 r1)`, so the secant slope is
  `1 + m q`; for `m < 0` it is `(1 + m) - m (1 - q)` with
  `1 - q = p0 r1 + p1 r0 + p0 p1 + (s0 r0)(s1 r1)`, a sum of non-negative
  terms but the last, which `p0 + p1` bounds. Every term is bounded, so
  nothing overflows; at `dx = 0` it is the slope.
  """
  def scaled(x):
    u, _, r, p = _bump(x, loc, width)
    s = u / width
    # s r = 1 / (s + 1 / s) beyond |s| = 1, so that it is 0 at s = inf.
    big = tf.abs(s) > 1.
    safe = tf.where(big, s, tf.ones_like(s))
    return tf.where(big, 1. / (safe + 1. / safe), s * r), r, p
  a0, r0, p0 = scaled(x0)
  a1, r1, p1 = scaled(x0 + dx)
  cross = a0 * a1
  q = r0 * r1 - cross
  one_minus_q = p0 * r1 + p1 * r0 + p0 * p1 + cross
  return tf.math.log(tf.where(magnitude >= 0., 1. + magnitude * q,
                              (1. + magnitude) - magnitude * one_minus_q))


def _initial_root(z, magnitude):
  """The real root `s` of `s^3 - z s^2 + (1 + m) s - z = 0`, by Cardano.

  With `s = v + z/3` the cubic is `v^3 + p v + q = 0`, `p = 1 + m - z^2/3`,
  `q = -z (2 z^2 + 9 (2 - m)) / 27`, whose discriminant `D` is positive for
  `-1 < m < 8`. `108 D` is expanded in `Z = z^2` and written as a sum of
  non-negative terms (`c = (m^2 + 20 m - 8) / 8`): `4 Z (Z - 2 c) +
  4 (1 + m)^3` when `c <= 0`, `4 (Z - c)^2 + m (8 - m)^3 / 16` when `c > 0`
  (accurate near `m = 8`, `Z = 27`, where the slope nearly vanishes).
  `A = -sign(q) cbrt(|q|/2 + sqrt(D))`, `B = -p / (3 A)`; when `p > 0` the
  sum `A + B` cancels and `v = -q / (A^2 + B^2 + p/3)` is used instead.
  Callers replace the result beyond `|z| = _far`, where `z^4` could overflow.
  """
  m = magnitude
  zero = tf.zeros_like(m)
  z2 = tf.square(z)
  p = 1. + m - z2 / 3.
  q = -z * (2. * z2 + 9. * (2. - m)) / 27.
  c = (tf.square(m) + 20. * m - 8.) / 8.
  completed = c > 0.
  first_root = tf.where(completed, c, zero)
  second_root = tf.where(completed, c, 2. * c)
  gap, one_plus_m = 8. - m, 1. + m
  constant = tf.where(completed, m * gap * gap * gap / 16.,
                      4. * one_plus_m * one_plus_m * one_plus_m)
  disc108 = 4. * (z2 - first_root) * (z2 - second_root) + constant
  cube = 0.5 * tf.abs(q) + tf.sqrt(disc108 / 108.)
  a = _numerics.cbrt(tf.where(q < 0., cube, -cube))
  b = -p / (3. * a)
  v = tf.where(p > 0., -q / (tf.square(a) + tf.square(b) + p / 3.), a + b)
  return v + z / 3.


def _inverse(y, loc, magnitude, width):
  """`x` with `f(x) = y`, and `log f'(x)`: Cardano's root, then a Newton
  step, all in `s`.

  With `s = (x - loc) / width` and `z = (y - loc) / width`, Newton on
  `s (1 + m r) = z` has a residual accurate to `eps |z|`, so the root is
  backward stable. Only the Newton step is differentiated; at the root its
  gradient is the implicit-function one. Beyond `|z| = _far` the asymptotic
  root `s = z - m / z` gives `x = y - m width / z` (no overflow for any
  finite `y`), and where `m = 0`, `x = y - m u r` is exactly `y`. The slope
  depends on `s` and `m` only, so the log-det reads the polished `s` rather
  than forming `(x - loc) / width` again.
  """
  m = magnitude
  z = (y - loc) / width
  far = tf.abs(z) > _far(y.dtype)
  z_near = tf.where(far, tf.zeros_like(z), z)
  # One Newton step from Cardano's root meets the contract with room to
  # spare in both dtypes (e <= 4 of 64 in tests/test_accuracy.py).
  s = tf.stop_gradient(_initial_root(z_near, m))
  _, _, r, one_minus_r = _bump(s, 0., 1.)
  s = s - (s * _gain(m, r, one_minus_r) - z_near) / _slope(m, r, one_minus_r)
  u = width * s
  x = tf.where(tf.equal(m, 0.), y - m * u * r, loc + u)
  # The far branch sees a `z` kept away from 0, so that `m / z` and its
  # gradient stay finite where the other branch is taken.
  z_far = tf.where(far, z, tf.ones_like(z))
  _, _, r, one_minus_r = _bump(tf.where(far, z_far - m / z_far, s), 0., 1.)
  return (tf.where(far, y - m * width / z_far, x),
          tf.math.log(_slope(m, r, one_minus_r)))


class CubicRational(AnalyticBijector):
  """`y = x + magnitude * u / (1 + (u / width)^2)` with `u = x - loc`.

  A smooth local deformation around `loc` (`docs/math.md#cubicrational`):
  `y - x` is a
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
  asymptotic root for huge `|z|`), then polishes the root with one Newton step
  on `s (1 + m r) = z`. Everything is closed form and runs under XLA. The
  map is evaluated as `loc + u (1 + m r)` with `1 + m r` a sum of
  non-negative terms, so forward and inverse are backward stable
  (`docs/math.md#accuracy-contract`) across the valid range, also where
  the slope nearly vanishes, with no compensated arithmetic. The inverse
  log-det is the negated forward log-det at the inverse (inverse function
  theorem), read from the polished root, and gradients of the inverse flow
  through the Newton step only, which gives the implicit-function
  derivative at the root.

  Raw parametrization (`from_raw`, `docs/math.md#raw-parametrization`), in
  the order
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

  loc = stored_property('loc', 'The centre of the bump.')
  magnitude = stored_property(
      'magnitude', 'The slope at `loc` minus 1, in `(-1, 8)`.')
  width = stored_property(
      'width', 'The size of the deformed region around `loc`.')

  def _params(self):
    return (tf.convert_to_tensor(self.loc),
            tf.convert_to_tensor(self.magnitude),
            tf.convert_to_tensor(self.width))

  def _forward(self, x):
    return _forward(x, *self._params())

  def _forward_log_det_jacobian(self, x):
    return _log_slope(x, *self._params())

  def _inverse(self, y):
    return _inverse(y, *self._params())[0]

  def _inverse_log_det_jacobian(self, y):
    return -_inverse(y, *self._params())[1]

  def _log_secant(self, x0, dx, y0, dy):
    del y0, dy  # The bump's divided difference needs only the inputs.
    return _log_secant(x0, dx, *self._params())

  def _parameter_control_dependencies(self, is_init):
    return (parameter_assertions(self, is_init, ('magnitude',),
                                 _magnitude_in_range)
            + parameter_assertions(self, is_init, ('width',), positive))


def _magnitude_in_range(magnitude, name):
  message = f'`{name}` must be in (-1, 8)'
  return [
      assert_util.assert_greater(
          magnitude, tf.constant(-1., magnitude.dtype), message=message),
      assert_util.assert_less(
          magnitude, tf.constant(8., magnitude.dtype), message=message)]

"""CubicConjugation: a shift conjugated by an odd cubic.

Derivations: docs/math.md#cubicconjugation.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties

from tfp_analytic.bijectors import _numerics
from tfp_analytic.bijectors import parametrization
from tfp_analytic.bijectors._base import SelfInverseConjugation
from tfp_analytic.bijectors._base import parameter_assertions
from tfp_analytic.bijectors._base import positive
from tfp_analytic.bijectors._base import stored_property

__all__ = ['CubicConjugation']


def _conjugate(x, loc, shift, linear, cubic):
  """`y = loc + g^{-1}(g(x - loc) + shift)`, `g(v) = linear v + cubic v^3`.

  The inverse is the same map with `-shift`, so both directions run through
  here.

  Args:
    x: float `Tensor`.
    loc: `Tensor`.
    shift: `Tensor`, added to `g`.
    linear: positive `Tensor`.
    cubic: positive `Tensor`.

  Returns:
    `(y, log dy/dx)`, broadcast `Tensor`s.
  """
  # In units of the width w = sqrt(linear / cubic), g(w u) = linear w h(u)
  # with h(u) = u + u^3, so the map is v = h^{-1}(h(u) + s) with the scaled
  # shift s = shift / (linear w) and u = (x - loc) / w (multiplied by 1 / w,
  # a division fewer per element when the parameters are scalars).
  inv_width = tf.sqrt(cubic / linear)
  width = 1. / inv_width
  # Beyond |u| = 1 / eps^2, y - x is below ulp(x) for any shift that leaves
  # the scaled shift s below eps^-5; clipping there keeps u finite.
  far = float(dtype_util.eps(x.dtype)) ** -2
  u = tf.clip_by_value((x - loc) * inv_width, -far, far)
  # Divide everything by k = max(1, |u|) so that nothing overflows for huge
  # |u|: with u1 = u / k, p = 1 / k^2 and r = v / k, r solves the depressed
  # cubic r^3 + p r = c, c = (h(u) + s) / k^3. Terms that underflow for huge
  # |u| are below working precision there. The result does not depend on k,
  # so k is held constant for autodiff.
  k = tf.stop_gradient(tf.maximum(tf.abs(u), 1.))
  inv_k = 1. / k
  u1 = u * inv_k
  p = tf.square(inv_k)
  s1 = shift * inv_width / linear * p * inv_k
  c = u1 * (p + tf.square(u1)) + s1
  # Cardano with p > 0: r = A - p / (3 A) with
  # A^3 = |c| / 2 + sqrt(c^2 / 4 + p^3 / 27) > 0. The difference cancels for
  # small c; A^3 + B^3 = c and A B = -p / 3 give the sum of positive terms
  # r = c / (A^2 + p / 3 + p^2 / (9 A^2)) = 9 A^2 c / (9 A^4 + 3 p A^2 + p^2).
  a2 = tf.square(_numerics.cbrt(0.5 * tf.abs(c) + tf.sqrt(
      0.25 * tf.square(c) + p * tf.square(p) / 27.)))
  r = 9. * a2 * c / (a2 * (9. * a2 + 3. * p) + tf.square(p))
  # Refine with h(v) - h(u) = (v - u) (1 + v^2 + v u + u^2) = s: the step
  # d = (v - u) / k = s1 / (p + r^2 + r u1 + u1^2) has a positive denominator,
  # is exactly 0 when shift = 0 (so y == x), and stays accurate where v - u
  # is tiny against u (the tails, y - x -> 0).
  d = s1 / (p + tf.square(r) + r * u1 + tf.square(u1))
  # log dy/dx = log(1 + 3 u^2) - log(1 + 3 v^2) = log(n / m), with
  # n = p + 3 u1^2, m = p + 3 (u1 + d)^2 and n - m = -3 d (2 u1 + d).
  n = p + 3. * tf.square(u1)
  m = p + 3. * tf.square(u1 + d)
  ldj = _numerics.log_ratio(n, m, -3. * d * (2. * u1 + d))
  # x + width k d is exact in the tails and at shift 0, but its autodiff
  # slope is 1 + (something near -1) where the map is flat; there (slope
  # n / m < 1/4) use loc + width k r, whose autodiff slope is a product.
  y = tf.where(4. * n >= m, x + width * (k * d), loc + width * (k * r))
  return y, ldj


def _log_secant(x0, dx, y0, dy, loc, linear, cubic):
  """`log((y1 - y0) / (x1 - x0))` from the points and their images.

  `y = loc + g^{-1}(g(u) + shift)` has the secant slope
  `[g](u0, u1) / [g](v0, v1)`, the divided differences of the cubic `g`:
  `[g](a, b) = linear (1 + (a^2 + a b + b^2) / w^2)`, `w^2 = linear / cubic`,
  whose quadratic form is positive, so nothing cancels; and it needs the
  images only through `v`, not through the cancelling difference `dy`.
  Everything is divided by the largest `|.| / w` (at least 1), so nothing
  overflows. At `dx = 0` it is the slope.
  """
  inv_width = tf.sqrt(cubic / linear)
  u0, u1 = (x0 - loc) * inv_width, (x0 + dx - loc) * inv_width
  v0, v1 = (y0 - loc) * inv_width, (y0 + dy - loc) * inv_width
  k = tf.maximum(tf.maximum(tf.abs(u0), tf.abs(u1)),
                 tf.maximum(tf.abs(v0), tf.abs(v1)))
  inv_k = 1. / tf.stop_gradient(tf.maximum(k, 1.))
  def scaled_form(a, b):
    a, b = a * inv_k, b * inv_k
    return tf.square(inv_k) + tf.square(a) + a * b + tf.square(b)
  return (tf.math.log(scaled_form(u0, u1))
          - tf.math.log(scaled_form(v0, v1)))


class CubicConjugation(SelfInverseConjugation):
  """Odd-cubic conjugation of a shift: `Y = loc + g^{-1}(g(X - loc) + shift)`.

  With `u = X - loc` and `g(v) = linear * v + cubic * v^3`:

  ```none
  Y = loc + g^{-1}(g(X - loc) + shift)
  X = loc + g^{-1}(g(Y - loc) - shift)
  log dY/dX = log(linear + 3 cubic u^2) - log(linear + 3 cubic v^2)
  ```

  with `v = Y - loc`. The inverse is the same map with `-shift`. `g` is an
  increasing bijection of the real line when `linear > 0` and `cubic > 0`,
  so the map is too. It moves mass across `loc` within a width of about
  `sqrt(linear / cubic)` and is a local deformation: `Y - X -> 0` in the
  tails. `shift = 0` gives the identity exactly (`Y == X`).

  `g^{-1}` is Cardano's formula written as a sum of positive terms (no
  cancellation, no `acos`), refined through the exact factorization of
  `g(v) - g(u)`; the log-det comes from the inverse function theorem.
  Values and log-dets are finite for every finite `X`, gradients up to
  `|X| = 1e30` (float32) or `1e300` (float64), and forward and inverse are
  backward stable (`docs/math.md#accuracy-contract`).

  Valid parameters: `linear > 0`, `cubic > 0`; `loc`, `shift` real.

  Raw parametrization (`from_raw`, `docs/math.md#raw-parametrization`), in
  the order
  `raw_param_names = ('loc', 'shift', 'linear', 'cubic')`: `loc = q`,
  `shift = q`, `linear = exp(2 tanh((q + c) / 2))` (1 at `q = 0`),
  `cubic = exp(2 tanh((q + c) / 2))` (0.3 at `q = 0`). Raw 0 is the identity.

  With `validate_args=True` a non-positive constant `linear` or `cubic`
  raises at construction and a variable one at each call; under
  `tf.function(jit_compile=True)` XLA drops these checks, so validate
  eagerly.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic.bijectors.cubic_conjugation import CubicConjugation
  b = CubicConjugation(loc=0.5, shift=1., linear=1., cubic=0.3)
  x = tf.linspace(-4., 4., 9)
  y = b.forward(x)
  b.inverse(tf.identity(y))  # ==> x
  b.forward_log_det_jacobian(x, event_ndims=0)
  ```
  """

  raw_param_names = ('loc', 'shift', 'linear', 'cubic')
  num_raw_params = 4
  _conjugate = staticmethod(_conjugate)

  def __init__(self,
               loc=0.,
               shift=0.,
               linear=1.,
               cubic=0.3,
               validate_args=False,
               name='cubic_conjugation'):
    """Instantiates the `CubicConjugation` bijector.

    Args:
      loc: float `Tensor`, the centre of the map.
      shift: float `Tensor`, added to `g(X - loc)`.
      linear: positive float `Tensor`, the linear coefficient of `g`.
      cubic: positive float `Tensor`, the cubic coefficient of `g`.
      validate_args: Python `bool`, whether to check `linear > 0` and
        `cubic > 0`.
      name: Python `str`, the name of the ops.
    """
    super().__init__(dict(locals()))

  @classmethod
  def _parameter_properties(cls, dtype):
    positive = lambda: tfp.bijectors.Softplus(low=dtype_util.eps(dtype))
    return dict(
        loc=parameter_properties.ParameterProperties(),
        shift=parameter_properties.ParameterProperties(),
        linear=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=positive),
        cubic=parameter_properties.ParameterProperties(
            default_constraining_bijector_fn=positive))

  @classmethod
  def _params_from_raw(cls, raw_params):
    return dict(
        loc=raw_params['loc'],
        shift=raw_params['shift'],
        linear=parametrization.bounded_log_from_raw(raw_params['linear'], 1.),
        cubic=parametrization.bounded_log_from_raw(raw_params['cubic'], 0.3))

  loc = stored_property('loc', 'The centre of the map.')
  shift = stored_property('shift', 'The shift added to `g(X - loc)`.')
  linear = stored_property('linear', 'The linear coefficient of `g`.')
  cubic = stored_property('cubic', 'The cubic coefficient of `g`.')

  def _inverse_params(self):
    loc, shift, linear, cubic = self._forward_params()
    return loc, -shift, linear, cubic

  def _log_secant(self, x0, dx, y0, dy):
    loc, _, linear, cubic = self._forward_params()
    return _log_secant(x0, dx, y0, dy, loc, linear, cubic)

  def _parameter_control_dependencies(self, is_init):
    return parameter_assertions(self, is_init, ('linear', 'cubic'), positive)

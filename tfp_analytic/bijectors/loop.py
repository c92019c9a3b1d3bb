"""Members applied in one pass: `apply_in_loop` and `LoopBijector`."""

import tensorflow as tf
import tensorflow_probability as tfp

from tensorflow_probability.python.internal import cache_util

from tfp_analytic.bijectors._base import BijectorBase

__all__ = ['LoopBijector', 'MAX_UNROLLED', 'apply_in_loop']


# Up to this many members are applied in a Python loop (XLA fuses them into
# one pass over the elements); more run in a `tf.while_loop`, which compiles
# one member however many there are (benchmarks/README.md).
MAX_UNROLLED = 8


def apply_in_loop(member_at, n, x, event_ndims, inverse, with_ratio=False):
  """`x` through `member_at(0), ..., member_at(n - 1)`, and the log-det.

  Up to `MAX_UNROLLED` members are applied one after another, so that XLA
  fuses them; more run in a `tf.while_loop`, whose body is traced once, so
  that XLA compiles one member however many there are (`Stack`,
  `RadialChain`). Each member's map and log-det share one evaluation.

  Args:
    member_at: callable from a member index `k` (a Python `int`, or a scalar
      int `Tensor` in the loop) to bijector k.
    n: Python `int`, the number of members.
    x: float `Tensor`.
    event_ndims: Python `int`, the members' event rank.
    inverse: Python `bool`; inverts the members, the last first.
    with_ratio: Python `bool`, for scalar members that fix 0 (`OriginFixed`):
      each step is the member's `radial_step`, and the log-ratios
      `log(f(x) / x)` add up to that of the composition (of `f(y) / y` when
      `inverse`), with relative accuracy near 0.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  shifts = tf.constant([1., 2., 3.])
  y, ldj = tfab.apply_in_loop(
      lambda k: tfab.CubicRational(loc=shifts[k], magnitude=1.),
      3, tf.zeros([2]), event_ndims=0, inverse=False)
  ldj.shape  # ==> [2]
  ```

  Returns:
    `(y, log_det)`: the log-det of the direction taken, with the shape of
    `x` less `event_ndims` axes; with `with_ratio`, `(y, log_det,
    log_ratio)`.
  """

  def body(k, x, ldj, *log_ratio):
    member = member_at(n - 1 - k if inverse else k)
    if with_ratio:
      x_next, step, ratio = member.radial_step(x, inverse)
      return k + 1, x_next, ldj + step, log_ratio[0] + ratio
    # The map first: members that cache their log-det with it reuse it.
    if inverse:
      x_next = member.inverse(x)
      step = member.inverse_log_det_jacobian(x, event_ndims)
    else:
      x_next = member.forward(x)
      step = member.forward_log_det_jacobian(x, event_ndims)
    return k + 1, x_next, ldj + step

  ldj = tf.zeros_like(x[(...,) + (0,) * event_ndims])
  state = (x, ldj, ldj) if with_ratio else (x, ldj)
  if n <= MAX_UNROLLED:
    for k in range(n):
      state = body(k, *state)[1:]
    return state
  return tf.while_loop(lambda k, *_: k < n, body, (tf.constant(0), *state),
                       maximum_iterations=n)[1:]


class LoopBijector(BijectorBase, tfp.bijectors.AutoCompositeTensorBijector):
  """Base of bijectors that run their members once for map and log-det.

  Subclasses implement `_run(x, inverse)`, returning the output and the
  log-det of that direction (`apply_in_loop`). TFP asks for a map and its
  log-det separately; here the map stores its log-det in the bijector cache
  (greedy attributes, as in `tfb.FFJORD`), and the log-det asks for the map
  first, so `forward` with `forward_log_det_jacobian`, or `log_prob`, costs
  one pass over the members in either order. Where the cache cannot match
  the two calls (parameters keyed by their current values), the log-det is
  computed on its own.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  stack = tfab.Stack(tfab.SinhConjugation, tf.fill([10], 0.1))
  isinstance(stack, tfab.LoopBijector)  # ==> True
  x = tf.constant([0., 1.])
  y = stack.forward(x)  # the log-det is computed on the way ...
  stack.forward_log_det_jacobian(x, 0)  # ... and read from the cache
  ```
  """

  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_forward_with_log_det',
      inverse_name='_inverse_with_log_det')

  def _forward_with_log_det(self, x):
    y, fldj = self._run(x, inverse=False)
    return y, {'fldj': fldj, 'ildj': -fldj}

  def _inverse_with_log_det(self, y):
    x, ildj = self._run(y, inverse=True)
    return x, {'ildj': ildj, 'fldj': -ildj}

  def _forward(self, x):
    return self._forward_with_log_det(x)[0]

  def _inverse(self, y):
    return self._inverse_with_log_det(y)[0]

  def _forward_log_det_jacobian(self, x):
    self.forward(x)
    attrs = self._cache.forward_attributes(x)
    return attrs['fldj'] if 'fldj' in attrs else self._run(x, False)[1]

  def _inverse_log_det_jacobian(self, y):
    self.inverse(y)
    attrs = self._cache.inverse_attributes(y)
    return attrs['ildj'] if 'ildj' in attrs else self._run(y, True)[1]

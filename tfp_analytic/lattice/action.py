"""The phi^4 lattice action and the magnetization (docs/math.md#lattice)."""

import tensorflow as tf

__all__ = ['magnetization', 'phi4_action']


def phi4_action(phi, m2=-4., lam=5.):
  """Euclidean action of real phi^4 theory on a periodic L1 x L2 lattice.

    S(phi) = sum_x [ sum_{mu=1,2} (phi(x + mu) - phi(x))^2
                     + m2 phi(x)^2 + lam phi(x)^4 ],

  with periodic boundaries over the last two axes; the target density is
  `exp(-S)` (docs/math.md#lattice; no factor 1/2 on the kinetic term).

  Args:
    phi: float `Tensor` of shape `[..., L1, L2]`.
    m2: bare mass squared (Python float or `Tensor` broadcasting with the
      batch shape); `-4` in the paper.
    lam: quartic coupling; larger values give a unimodal field, smaller ones
      two modes related by `phi -> -phi`.

  Returns:
    `Tensor` of shape `[...]`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import lattice
  lattice.phi4_action(tf.ones([4, 4]), m2=-4., lam=5.)  # ==> 16.
  ```
  """
  phi = tf.convert_to_tensor(phi)
  kinetic = (tf.square(tf.roll(phi, shift=-1, axis=-1) - phi)
             + tf.square(tf.roll(phi, shift=-1, axis=-2) - phi))
  phi2 = tf.square(phi)
  density = kinetic + m2 * phi2 + lam * tf.square(phi2)
  return tf.reduce_sum(density, axis=[-2, -1])


def magnetization(phi):
  """The mean field `M = mean_x phi(x)` over the last two axes.

  Args:
    phi: float `Tensor` of shape `[..., L1, L2]`.

  Returns:
    `Tensor` of shape `[...]`.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import lattice
  lattice.magnetization(tf.fill([2, 4, 4], -0.5))  # ==> [-0.5, -0.5]
  ```
  """
  return tf.reduce_mean(phi, axis=[-2, -1])

"""Two-dimensional targets of the paper: the spiral and the ring mixture.

Their settings (and which of them are our guesses) are in
`docs/experiments.md#targets`.

```python
from tfp_analytic.experiments import targets
x = targets.spiral_sample(1000, seed=(0, 1))   # [1000, 2]
nll = -targets.spiral_log_prob(x.numpy()).mean()  # about the entropy
ring = targets.ring_mixture(num_modes=5, radius=2., scale=0.2)
ring.log_prob(x).shape  # ==> [1000]
```
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = ['SPIRAL_ENTROPY', 'SPIRAL_NOISE', 'SPIRAL_T_MAX', 'ring_mixture',
           'spiral_log_prob', 'spiral_sample']

SPIRAL_NOISE = 0.02
SPIRAL_T_MAX = 5. * math.pi
# Entropy of the spiral, from its exact density (docs/experiments.md#targets):
# forward KL = test NLL - SPIRAL_ENTROPY (= NLL + 0.855).
SPIRAL_ENTROPY = -0.855


def spiral_sample(n, seed):
  """`n` spiral points `(t cos t, t sin t) / 20 + N(0, 0.02^2)`, TF ops."""
  t_seed, noise_seed = tfp.random.split_seed(seed)
  t = tf.random.stateless_uniform([n], t_seed, 0., SPIRAL_T_MAX)
  curve = tf.stack([t * tf.cos(t), t * tf.sin(t)], axis=-1) / 20.
  return curve + SPIRAL_NOISE * tf.random.stateless_normal([n, 2], noise_seed)


def spiral_log_prob(points, num_t=3000):
  """Exact spiral log-density: the mixture over a fine grid of `t` (numpy)."""
  t = (np.arange(num_t) + 0.5) * SPIRAL_T_MAX / num_t
  curve = np.stack([t * np.cos(t), t * np.sin(t)], axis=-1) / 20.
  out = []
  for chunk in np.array_split(np.asarray(points, np.float64),
                              max(1, len(points) // 2000)):
    sq = np.sum((chunk[:, None, :] - curve[None]) ** 2, axis=-1)
    log_k = -sq / (2 * SPIRAL_NOISE**2)
    peak = log_k.max(axis=1)
    out.append(peak + np.log(np.exp(log_k - peak[:, None]).sum(axis=1))
               - np.log(num_t) - np.log(2 * np.pi * SPIRAL_NOISE**2))
  return np.concatenate(out)


def ring_mixture(num_modes=5, radius=2., scale=0.2):
  """Equal-weight Gaussians `N(R (cos 2 pi k/K, sin 2 pi k/K), s^2 I)`."""
  angles = 2. * np.pi * np.arange(num_modes) / num_modes
  locs = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
  return tfd.MixtureSameFamily(
      tfd.Categorical(logits=tf.zeros([num_modes])),
      tfd.MultivariateNormalDiag(
          loc=tf.constant(locs, tf.float32),
          scale_diag=tf.fill([num_modes, 2], float(scale))))

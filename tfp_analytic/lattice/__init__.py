"""Pieces for phi^4 theory on a periodic two-dimensional lattice
(docs/math.md#lattice).

```python
import tensorflow as tf
import tensorflow_probability as tfp
from tfp_analytic import lattice
phi = tf.random.normal([8, 6, 6])
action = lattice.phi4_action(phi, m2=-4., lam=5.)  # shape [8]
flow = tfp.bijectors.Chain([lattice.ZeroModeBijector(seed=0),
                            lattice.FourierScaling([6, 6])])
y = flow.forward(phi)
```
"""

from tfp_analytic.lattice.action import magnetization
from tfp_analytic.lattice.action import phi4_action
from tfp_analytic.lattice.fourier_scaling import FourierScaling
from tfp_analytic.lattice.fourier_scaling import momentum_orbits
from tfp_analytic.lattice.masks import checkerboard_mask
from tfp_analytic.lattice.zero_mode import ZeroModeBijector

__all__ = [
    'FourierScaling',
    'ZeroModeBijector',
    'checkerboard_mask',
    'magnetization',
    'momentum_orbits',
    'phi4_action',
]

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

import importlib

from tfp_analytic.lattice.action import magnetization
from tfp_analytic.lattice.action import phi4_action
from tfp_analytic.lattice.masks import checkerboard_mask
from tfp_analytic.lattice.masks import sublattices
from tfp_analytic.lattice.momenta import momentum_orbits
from tfp_analytic.lattice.observables import compare_observables
from tfp_analytic.lattice.observables import estimate_observables
from tfp_analytic.lattice.observables import field_observables
from tfp_analytic.lattice.observables import free_field_observables
from tfp_analytic.lattice.sampling import HMCResult
from tfp_analytic.lattice.sampling import IMHResult
from tfp_analytic.lattice.sampling import hmc_phi4
from tfp_analytic.lattice.sampling import importance_samples
from tfp_analytic.lattice.sampling import independence_metropolis
from tfp_analytic.lattice.sampling import independence_metropolis_indices
from tfp_analytic.lattice.validation import compare_with_reference

# The lattice bijectors live in `tfp_analytic.bijectors`, which imports the
# physics from here (`FourierScaling` its momenta); re-exported on first use,
# so that neither package needs the other complete to load.
_BIJECTORS = {'FourierScaling': 'fourier_scaling',
              'ZeroModeBijector': 'zero_mode'}


def __getattr__(name):
  if name not in _BIJECTORS:
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
  module = importlib.import_module(f'tfp_analytic.bijectors.{_BIJECTORS[name]}')
  return getattr(module, name)


__all__ = [
    'FourierScaling',
    'HMCResult',
    'IMHResult',
    'ZeroModeBijector',
    'checkerboard_mask',
    'compare_observables',
    'compare_with_reference',
    'estimate_observables',
    'field_observables',
    'free_field_observables',
    'hmc_phi4',
    'importance_samples',
    'independence_metropolis',
    'independence_metropolis_indices',
    'magnetization',
    'momentum_orbits',
    'phi4_action',
    'sublattices',
]

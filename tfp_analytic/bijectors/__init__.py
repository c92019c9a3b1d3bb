"""Analytic bijections for normalizing flows, as TFP bijectors.

```python
import tensorflow as tf
from tfp_analytic import bijectors as tfab
b = tfab.CubicRational(loc=0., magnitude=2., width=0.5)
x = tf.linspace(-3., 3., 7)
y = b.forward(x)
b.inverse(y)  # ==> x
```
"""

from tfp_analytic.bijectors._base import AnalyticBijector
from tfp_analytic.bijectors.angular_series import AngularSeries
from tfp_analytic.bijectors.autoregressive_layer import AutoregressiveLayer
from tfp_analytic.bijectors.conditional_radial import ConditionalRadial
from tfp_analytic.bijectors.coupling_layer import CouplingLayer
from tfp_analytic.bijectors.cubic_conjugation import CubicConjugation
from tfp_analytic.bijectors.cubic_rational import CubicRational
from tfp_analytic.bijectors.event_shape_guard import EventShapeGuard
from tfp_analytic.bijectors.fourier_radial import FourierRadial
from tfp_analytic.bijectors.fourier_radial import fourier_basis
from tfp_analytic.bijectors.fourier_scaling import FourierScaling
from tfp_analytic.bijectors.origin_fixed import OriginFixed
from tfp_analytic.bijectors.origin_fixed import origin_fixed_stack
from tfp_analytic.bijectors.radial import RadialFlow
from tfp_analytic.bijectors.radial_chain import RadialChain
from tfp_analytic.bijectors.rebuilt import RebuiltBijector
from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation
from tfp_analytic.bijectors.spherical_radial import SphericalRadial
from tfp_analytic.bijectors.spherical_radial import real_spherical_harmonics
from tfp_analytic.bijectors.loop import MAX_UNROLLED
from tfp_analytic.bijectors.loop import LoopBijector
from tfp_analytic.bijectors.loop import apply_in_loop
from tfp_analytic.bijectors.stack import Stack
from tfp_analytic.bijectors.stack import members_from_raw
from tfp_analytic.bijectors.stack import spread_raw_init
from tfp_analytic.bijectors.stack import stack_from_raw
from tfp_analytic.bijectors.stack import trainable_stack
from tfp_analytic.bijectors.zero_mode import ZeroModeBijector

FAMILIES = (CubicRational, SinhConjugation, CubicConjugation)

__all__ = [
    'AnalyticBijector',
    'AngularSeries',
    'AutoregressiveLayer',
    'ConditionalRadial',
    'CouplingLayer',
    'CubicConjugation',
    'CubicRational',
    'EventShapeGuard',
    'FAMILIES',
    'FourierRadial',
    'FourierScaling',
    'LoopBijector',
    'MAX_UNROLLED',
    'OriginFixed',
    'RadialChain',
    'RadialFlow',
    'RebuiltBijector',
    'SinhConjugation',
    'SphericalRadial',
    'Stack',
    'ZeroModeBijector',
    'apply_in_loop',
    'fourier_basis',
    'members_from_raw',
    'origin_fixed_stack',
    'real_spherical_harmonics',
    'spread_raw_init',
    'stack_from_raw',
    'trainable_stack',
]

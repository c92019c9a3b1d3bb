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
from tfp_analytic.bijectors.cubic_conjugation import CubicConjugation
from tfp_analytic.bijectors.cubic_rational import CubicRational
from tfp_analytic.bijectors.sinh_conjugation import SinhConjugation
from tfp_analytic.bijectors.stack import members_from_raw
from tfp_analytic.bijectors.stack import spread_raw_init
from tfp_analytic.bijectors.stack import stack_from_raw
from tfp_analytic.bijectors.stack import trainable_stack

FAMILIES = (CubicRational, SinhConjugation, CubicConjugation)

__all__ = [
    'AnalyticBijector',
    'CubicConjugation',
    'CubicRational',
    'FAMILIES',
    'SinhConjugation',
    'members_from_raw',
    'spread_raw_init',
    'stack_from_raw',
    'trainable_stack',
]

"""tfp_analytic: analytic bijections for smooth, interpretable normalizing flows.

Implements Gerdes & Cheng, *Analytic Bijections for Smooth and Interpretable
Normalizing Flows*, as TensorFlow Probability bijectors and flows:
`tfp_analytic.bijectors` (the scalar families and radial flows),
`tfp_analytic.lattice` (phi^4 pieces), `tfp_analytic.flows` (flow factories)
and `tfp_analytic.train` (training loops, Keras, export).
"""

from tfp_analytic import _startup

_startup.import_tensorflow()

# pylint: disable=g-import-not-at-top,wrong-import-position
from tfp_analytic import bijectors
from tfp_analytic import flows
from tfp_analytic import lattice
from tfp_analytic import train

__version__ = '0.1.0'

__all__ = ['bijectors', 'flows', 'lattice', 'train']

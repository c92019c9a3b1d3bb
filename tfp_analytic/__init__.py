"""tfp_analytic: analytic bijections for smooth, interpretable normalizing flows.

Implements Gerdes & Cheng, *Analytic Bijections for Smooth and Interpretable
Normalizing Flows*, as TensorFlow Probability bijectors and flows.
"""

from tfp_analytic import bijectors

__version__ = '0.1.0'

__all__ = ['bijectors']

"""Training utilities: NLL and reverse-KL loops, Keras, export, metrics."""

from tfp_analytic.train.fit import fit_nll
from tfp_analytic.train.fit import fit_reverse_kl
from tfp_analytic.train.keras import FlowModel
from tfp_analytic.train.metrics import effective_sample_size
from tfp_analytic.train.metrics import reverse_kl
from tfp_analytic.train.metrics import round_trip_error
from tfp_analytic.train.saved_model import export_saved_model
from tfp_analytic.train.saved_model import load_saved_model
from tfp_analytic.train.schedules import WarmupExponentialDecay

__all__ = [
    'FlowModel',
    'WarmupExponentialDecay',
    'effective_sample_size',
    'export_saved_model',
    'fit_nll',
    'fit_reverse_kl',
    'load_saved_model',
    'reverse_kl',
    'round_trip_error',
]

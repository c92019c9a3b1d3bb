"""AutoregressiveLayer: a MAF whose density direction is one network pass."""

import tensorflow_probability as tfp

from tfp_analytic.bijectors._cache import FreshAttrsCache
from tfp_analytic.bijectors._repr import ImportablePathRepr

__all__ = ['AutoregressiveLayer']

tfb = tfp.bijectors


class AutoregressiveLayer(ImportablePathRepr, tfb.MaskedAutoregressiveFlow):
  """`tfb.MaskedAutoregressiveFlow` whose density direction is one pass.

  TFP's MAF runs its network once for `inverse` and again for the inverse
  log-det, so `log_prob` costs two passes per layer (XLA removes only part of
  the duplicate). Here `inverse` returns its log-det as a greedy cache
  attribute (the pattern of `tfb.FFJORD`). The sampling direction is TFP's
  own loop of `d` passes. The arguments are `tfb.MaskedAutoregressiveFlow`'s.

  #### Example

  ```python
  import tensorflow as tf
  from tfp_analytic import bijectors as tfab
  from tfp_analytic.flows import autoregressive, networks, transforms
  t = transforms.get_transform('cubic_rational', num_members=2)
  layer = tfab.AutoregressiveLayer(
      bijector_fn=autoregressive.AutoregressiveConditioner(
          networks.made_network(3, t.num_raw_params, (16,)), t))
  layer.inverse(tf.ones([2, 3]))  # ==> tf.ones([2, 3])
  ```
  """

  _cache = FreshAttrsCache(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def _augmented_forward(self, x, **condition_kwargs):
    return super()._forward(x, **condition_kwargs), None

  def _augmented_inverse(self, y, **condition_kwargs):
    bijector = self._bijector_fn(y, **condition_kwargs)
    ildj = bijector.inverse_log_det_jacobian(y, event_ndims=1)
    return bijector.inverse(y), {'ildj': ildj, 'fldj': -ildj}

  def _forward(self, x, **condition_kwargs):
    return self._augmented_forward(x, **condition_kwargs)[0]

  def _inverse(self, y, **condition_kwargs):
    return self._augmented_inverse(y, **condition_kwargs)[0]

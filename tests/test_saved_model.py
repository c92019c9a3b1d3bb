"""SavedModel export: a fresh process reloads it without TFP or tfp_analytic."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

from tests import registry
from tfp_analytic import flows
from tfp_analytic import train

_LOAD = textwrap.dedent('''
    import sys
    import numpy as np
    import tensorflow as tf
    for path in sys.argv[1:]:
      loaded = tf.saved_model.load(path)
      x = np.load(path + '/x.npy')
      np.save(path + '/log_prob.npy', loaded.log_prob(x).numpy())
      signature = loaded.signatures['log_prob'](x=tf.constant(x))['log_prob']
      np.save(path + '/signature.npy', signature.numpy())
      sample = loaded.signatures['sample'](n=tf.constant(5),
                                           seed=tf.constant([1, 2]))['sample']
      np.save(path + '/sample.npy', sample.numpy())
    loaded_packages = [
        name for name in sys.modules
        if name.startswith(('tensorflow_probability', 'tfp_analytic'))]
    assert not loaded_packages, loaded_packages
''')


def _perturbed(flow):
  return registry.perturb(flow, np.random.default_rng(0), scale=0.1)


def test_saved_model_reloads_without_the_package(tmp_path):
  cases = {
      'coupling': _perturbed(flows.coupling_flow(
          2, 'cubic_rational', num_members=2, num_layers=2,
          hidden_units=(8,))),
      'radial64': _perturbed(flows.radial_flow(
          2, num_centers=1, transform='cubic_rational', num_members=2,
          angular='fourier', num_modes=1, dtype=tf.float64, seed=0)),
  }
  expected = {}
  for name, flow in cases.items():
    path = train.export_saved_model(flow, str(tmp_path / name))
    x = flow.sample(16, seed=(3, 4)).numpy()
    np.save(path + '/x.npy', x)
    expected[path] = (flow, x)
  subprocess.run([sys.executable, '-c', _LOAD, *expected], check=True,
                 env={**os.environ, 'TF_CPP_MIN_LOG_LEVEL': '3'})
  for path, (flow, x) in expected.items():
    log_prob = flow.log_prob(x).numpy()
    np.testing.assert_allclose(np.load(path + '/log_prob.npy'), log_prob,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.load(path + '/signature.npy'), log_prob,
                               rtol=0, atol=1e-6)
    sample = np.load(path + '/sample.npy')
    assert sample.shape == (5, 2) and np.all(np.isfinite(sample))

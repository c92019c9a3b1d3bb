"""Could the current code have written a run's `config.json`?

Results are machine-written only. `problems` compares a run's settings with
what the current code writes: the timestamp `_common.prepare_output` stamps,
every field of the experiment's `Config` (a list where the field is a
tuple), and for a phi4 arm the keys of `phi4_arms.arm_config`. A run of
older code, or a file edited by hand, shows up; the report marks it, and
its numbers count only until it is rerun.

```python
from tfp_analytic.experiments import provenance
provenance.problems({'experiment': '1d', 'started': 'yesterday'})[0]
# ==> "started 'yesterday' is not a timestamp the code writes"
```
"""

import dataclasses
import importlib
import time

from tfp_analytic.experiments import phi4_arms

TIMESTAMP = '%Y-%m-%d %H:%M:%S'  # `_common.prepare_output`'s `started`
_COMMON_KEYS = ('experiment', 'quick', 'seed', 'started')


def problems(config):
  """Why `config` could not have been written by the current code.

  Args:
    config: a run's `config.json` as a dict (empty when it has none).

  Returns:
    A list of sentences, empty when the current code could have written it.

  #### Example

  ```python
  from tfp_analytic.experiments import phi4_arms, provenance
  provenance.problems(phi4_arms.arm_config('unimodal', 'affine', 8))
  # ==> []
  provenance.problems({'experiment': 'ring-mixture', 'quick': False,
                       'seed': 0, 'started': '2026-01-01 00:00:00'})[0]
  # ==> 'lacks models, steps, ..., which the current code writes'
  ```
  """
  if not config:
    return ['no config.json']
  if 'regime' in config and 'arm' in config:
    return _arm_problems(config)
  found = []
  started = config.get('started')
  try:
    time.strptime(str(started), TIMESTAMP)
  except ValueError:
    found.append(f'started {started!r} is not a timestamp the code writes')
  missing = [key for key in _COMMON_KEYS if key not in config]
  for field in _config_fields(config.get('experiment')):
    if field.name not in config:
      missing.append(field.name)
    elif (isinstance(field.default, tuple)
          and not isinstance(config[field.name], list)):
      found.append(f'{field.name} {config[field.name]!r} is not a list, as '
                   'the current code writes it')
  if missing:
    found.append(f'lacks {", ".join(missing)}, which the current code '
                 'writes')
  return found


def _config_fields(experiment):
  """The fields of the experiment's `Config` dataclass, if it has one."""
  # Imported here: the command line imports the report, which imports this.
  cli = importlib.import_module('tfp_analytic.experiments.__main__')
  module_name = cli.EXPERIMENTS.get(experiment, (None,))[0]
  if module_name is None:
    return ()
  module = importlib.import_module(f'tfp_analytic.experiments.{module_name}')
  config_class = getattr(module, 'Config', None)
  return dataclasses.fields(config_class) if config_class else ()


def _arm_problems(config):
  """A phi4 arm's config against the keys `phi4_arms.arm_config` writes."""
  try:
    expected = phi4_arms.arm_config(config['regime'], config['arm'],
                                    config.get('lattice_size', 0))
  except ValueError as error:
    return [str(error)]
  missing = sorted(set(expected) - set(config))
  extra = sorted(set(config) - set(expected))
  return ([f'lacks {", ".join(missing)}, which the current code writes']
          if missing else []) + (
              [f'has {", ".join(extra)}, which the current code does not '
               'write'] if extra else [])

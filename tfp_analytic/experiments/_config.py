"""An experiment's settings: a dataclass, one field per command-line option.

A field made by `option` holds the full run's default and, where `--quick`
changes it, the quick preset. `add_arguments` turns the fields into options
(`members` -> `--members`, a tuple -> `nargs='+'`, a bool -> a switch);
`from_args` starts from the preset of the mode and takes every option given
on the command line, in quick mode too.

```python
import argparse
import dataclasses
from tfp_analytic.experiments import _config

@dataclasses.dataclass(frozen=True)
class Config:
  steps: int = _config.option(5000, 'training steps', quick=100)
  members: tuple = _config.option((1, 3), 'stack sizes')

parser = argparse.ArgumentParser()
parser.add_argument('--quick', action='store_true')
parser.add_argument('--steps', type=int)
_config.add_arguments(parser, Config)
args = parser.parse_args(['--quick', '--members', '9'])
_config.from_args(Config, args)  # ==> Config(steps=100, members=(9,))
```
"""

import dataclasses
import json
import sys
from pathlib import Path

# Options that the command line defines for every experiment
# (`experiments/__main__.py`); a config may have them as fields.
COMMON_OPTIONS = ('steps',)
# Written into a seed's folder when its run returns (`_common.run_seeded`).
FINISHED = 'finished.json'
_UNSET = object()


def option(default, help_text, quick=_UNSET, **argparse_kwargs):
  """A config field: its default, help, quick preset and argparse extras.

  Args:
    default: the value of a full run (a tuple for a list option).
    help_text: one line for `--help`; the defaults are appended to it.
    quick: the value with `--quick`, if it differs.
    **argparse_kwargs: e.g. `choices`, or `type` where `default` does not
      tell it.

  Returns:
    A `dataclasses.field`.
  """
  return dataclasses.field(default=default, metadata=dict(
      help=help_text, quick=quick, argparse=argparse_kwargs))


def quick_preset(config_class):
  """The config of a quick run: every field at its quick value."""
  return config_class(**{
      field.name: field.metadata['quick']
      for field in dataclasses.fields(config_class)
      if field.metadata.get('quick', _UNSET) is not _UNSET})


def add_arguments(parser, config_class):
  """One option per field of `config_class` (but `COMMON_OPTIONS`)."""
  for field in dataclasses.fields(config_class):
    if field.name in COMMON_OPTIONS:
      continue
    kwargs = dict(field.metadata['argparse'])
    default, quick = field.default, field.metadata['quick']
    kwargs['help'] = _help(field.metadata['help'], default, quick)
    if isinstance(default, bool):
      kwargs['action'] = 'store_true'
    elif isinstance(default, tuple):
      kwargs.setdefault('type', type(default[0]))
      kwargs['nargs'] = '+'
    else:
      kwargs.setdefault('type', type(default))
    parser.add_argument('--' + field.name.replace('_', '-'), default=None,
                        **kwargs)


def from_args(config_class, args):
  """The config of `args`: the mode's preset, then the options given."""
  config = quick_preset(config_class) if args.quick else config_class()
  given = {}
  for field in dataclasses.fields(config_class):
    value = getattr(args, field.name, None)
    if value is not None:
      given[field.name] = tuple(value) if isinstance(value, list) else value
  return dataclasses.replace(config, **given)


def _help(text, default, quick):
  """`text (default: ...; with --quick: ...)`; a switch's text alone."""
  if isinstance(default, bool):
    return text
  text = f'{text} (default: {_show(default)}'
  if quick is not _UNSET:
    text += f'; with --quick: {_show(quick)}'
  return text.replace('%', '%%') + ')'


def _show(value):
  if isinstance(value, tuple):
    return ' '.join(str(v) for v in value)
  return str(value)


def finished(args):
  """Whether `args.out` holds a finished run of these settings.

  Finished: `FINISHED` is there (the seed runner writes it when the run
  returns; `metrics.json` alone does not say so, as experiments write it as
  they go), and `config.json` has the seed, the mode and every field of the
  experiment's `Config` as `args` gives them. An experiment without a
  `Config` is never taken as finished.
  """
  out = Path(args.out)
  config_class = getattr(sys.modules[args.run.__module__], 'Config', None)
  if (config_class is None or not (out / FINISHED).exists()
      or not (out / 'config.json').exists()):
    return False
  expected = dict(dataclasses.asdict(from_args(config_class, args)),
                  seed=args.seed, quick=args.quick)
  stored = json.loads((out / 'config.json').read_text())
  return all(json.loads(json.dumps(value)) == stored.get(key, _UNSET)
             for key, value in expected.items())

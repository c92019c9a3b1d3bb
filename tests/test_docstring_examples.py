"""Runs the ```python examples of public docstrings, README.md and docs/.

Every public class and function documents itself with a runnable example;
this test keeps those examples working. A line `y  # ==> value` in an example
is also checked: `y` must be close to `value`.
"""

import importlib
import inspect
import pathlib
import pkgutil
import re

import numpy as np
import pytest

import tfp_analytic

_BLOCK = re.compile(r'```python\n(.*?)```', re.DOTALL)
_CLAIM = re.compile(r'^(\s*)(.+?)\s*# ==> (.+)$')


def _public_objects():
  seen = set()
  for info in pkgutil.walk_packages(tfp_analytic.__path__, 'tfp_analytic.'):
    if info.name.split('.')[-1].startswith('_') or '.experiments' in info.name:
      continue
    module = importlib.import_module(info.name)
    for name in getattr(module, '__all__', ()):
      obj = getattr(module, name)
      if id(obj) not in seen and (inspect.isclass(obj) or callable(obj)):
        seen.add(id(obj))
        yield f'{obj.__module__}.{name}', obj
    if module.__doc__ and id(module) not in seen:
      seen.add(id(module))
      yield info.name, module


def _examples():
  for name, obj in _public_objects():
    for k, block in enumerate(_BLOCK.findall(inspect.getdoc(obj) or '')):
      yield pytest.param(block, id=f'{name}[{k}]')


def _markdown_examples():
  root = pathlib.Path(__file__).resolve().parent.parent
  for path in [root / 'README.md', *sorted((root / 'docs').glob('*.md'))]:
    for k, block in enumerate(_BLOCK.findall(path.read_text())):
      yield pytest.param(block, id=f'{path.name}[{k}]')


def _with_checks(block):
  """Turns `expr  # ==> value` lines into assertions."""
  lines = []
  for line in inspect.cleandoc(block).splitlines():
    match = _CLAIM.match(line)
    if match:
      indent, expr, value = match.groups()
      line = f'{indent}_check({expr}, {value})'
    lines.append(line)
  return '\n'.join(lines)


def _check(actual, expected):
  if isinstance(expected, (str, list, tuple, dict)) and not np.issubdtype(
      np.asarray(expected).dtype, np.number):
    assert actual == expected, (actual, expected)
    return
  np.testing.assert_allclose(np.asarray(actual, np.float64),
                             np.asarray(expected, np.float64),
                             rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('block', list(_examples()))
def test_docstring_example_runs(block):
  exec(compile(_with_checks(block), '<docstring>', 'exec'),  # pylint: disable=exec-used
       {'_check': _check})


@pytest.mark.parametrize('block', list(_markdown_examples()))
def test_markdown_example_runs(block):
  # The README's and docs/' ```python blocks are user recipes: they must run.
  exec(compile(_with_checks(block), '<markdown>', 'exec'),  # pylint: disable=exec-used
       {'_check': _check})


def test_every_public_object_has_an_example():
  missing = [name for name, obj in _public_objects()
             if not inspect.ismodule(obj)
             and not _BLOCK.search(inspect.getdoc(obj) or '')]
  assert not missing, f'docstrings without a ```python example: {missing}'

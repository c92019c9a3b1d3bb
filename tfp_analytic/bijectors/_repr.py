"""`repr` and `str` of our bijectors name a path that can be imported."""

import sys


def public_name(cls):
  """`package.Name` where a package exports `cls`, else `module.Name`."""
  package = cls.__module__.rpartition('.')[0]
  if cls.__name__ in getattr(sys.modules.get(package), '__all__', ()):
    return f'{package}.{cls.__name__}'
  return f'{cls.__module__}.{cls.__qualname__}'


class ImportablePathRepr:
  """Mixin for `tfb.Bijector` subclasses, listed before the bijector base.

  TFP writes every bijector as `tfp.bijectors.<ClassName>`, a path that does
  not exist for ours (`tfp.bijectors.CubicRational`); this one writes
  `tfp_analytic.bijectors.CubicRational` instead.
  """

  def __repr__(self):
    return self._importable(super().__repr__())

  def __str__(self):
    return self._importable(super().__str__())

  def _importable(self, text):
    return text.replace(f'tfp.bijectors.{type(self).__name__}',
                        public_name(type(self)), 1)

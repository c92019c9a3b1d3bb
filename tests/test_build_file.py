"""BUILD lists every module and test file (regenerate with tools.build_file)."""

from tools import build_file


def test_build_file_is_in_step_with_the_tree():
  expected = build_file.render()
  actual = (build_file.ROOT / 'BUILD').read_text()
  assert actual == expected, 'BUILD is stale: run `python -m tools.build_file`'


def test_build_file_names_every_module():
  text = build_file.render()
  for folder in ('tfp_analytic', 'tests'):
    for path in build_file.ROOT.joinpath(folder).rglob('*.py'):
      if '__pycache__' not in path.parts:
        assert f'"{path.relative_to(build_file.ROOT).as_posix()}"' in text

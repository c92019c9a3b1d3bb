"""The notebooks in `colabs/` run top to bottom, headless, in smoke mode.

Each notebook reads `TFP_ANALYTIC_SMOKE=1` and then trains with tiny step
counts, so that this checks the code of every cell (and that it still matches
the library's API) in well under a minute per notebook. The notebooks run in a
fresh `python3` kernel of this interpreter (`sys.executable`), in an empty
working directory, importing `tfp_analytic` from this checkout.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'colabs').glob('*.ipynb'))
EXPECTED = [
    'analytic_bijectors.ipynb',
    'coupling_and_maf.ipynb',
    'phi4_lattice.ipynb',
    'radial_and_fourier.ipynb',
]
CELL_TIMEOUT_S = 300

# Appended to each notebook: which interpreter ran it, and in which mode.
_PROBE = ('import json, sys\n'
          "print(json.dumps({'prefix': sys.prefix, 'smoke': SMOKE}))")


@pytest.fixture
def this_python_kernel(tmp_path, monkeypatch):
  """Makes the kernel named `python3` run `sys.executable`.

  `JUPYTER_PATH` is searched before the user's and the system's kernel
  folders, so a `python3` kernel installed elsewhere cannot take over.
  """
  spec_dir = tmp_path / 'jupyter' / 'kernels' / 'python3'
  spec_dir.mkdir(parents=True)
  (spec_dir / 'kernel.json').write_text(json.dumps({
      'argv': [sys.executable, '-m', 'ipykernel_launcher', '-f',
               '{connection_file}'],
      'display_name': 'Python 3',
      'language': 'python',
  }))
  monkeypatch.setenv('JUPYTER_PATH', str(tmp_path / 'jupyter'))
  return 'python3'


def test_there_are_four_colabs():
  assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda path: path.stem)
def test_colab_runs_in_smoke_mode(path, tmp_path, this_python_kernel):
  notebook = nbformat.read(path, as_version=4)
  notebook.cells.append(nbformat.v4.new_code_cell(_PROBE))
  workdir = tmp_path / 'work'
  workdir.mkdir()
  env = dict(os.environ, TFP_ANALYTIC_SMOKE='1')
  env['PYTHONPATH'] = os.pathsep.join(
      p for p in [str(ROOT), os.environ.get('PYTHONPATH')] if p)
  env.pop('MPLBACKEND', None)  # the notebooks plot inline
  client = NotebookClient(
      notebook, timeout=CELL_TIMEOUT_S, kernel_name=this_python_kernel,
      resources={'metadata': {'path': str(workdir)}})
  client.execute(env=env)  # raises CellExecutionError if a cell fails

  outputs = [output for cell in notebook.cells if cell.cell_type == 'code'
             for output in cell.outputs]
  errors = [o for o in outputs if o.output_type == 'error']
  assert not errors, errors
  images = [o for o in outputs if 'image/png' in o.get('data', {})]
  assert images, f'{path.name} showed no plot'
  probe = json.loads(notebook.cells[-1].outputs[-1].text)
  assert probe == {'prefix': sys.prefix, 'smoke': True}

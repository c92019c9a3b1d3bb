"""Install tfp_analytic.

    pip install -e ".[cpu]"          # CPU-only TensorFlow + tf-keras
    pip install -e ".[gpu]"          # TensorFlow with CUDA (Linux) + tf-keras
    pip install -e ".[cpu,test]"     # what the test suite needs
    pip install -e ".[cpu,experiments]"  # plots and progress bars
"""

import re
from pathlib import Path

from setuptools import find_packages
from setuptools import setup

_VERSION = re.search(
    r"__version__ = '([^']+)'",
    Path(__file__).with_name('tfp_analytic').joinpath('__init__.py').read_text(),
).group(1)

# The versions below are tested together; TFP's distributions and layers need
# Keras 2 (`tf-keras`), which must match the TensorFlow minor version.
_TF_VERSION = '2.21.0'

setup(
    name='tfp_analytic',
    version=_VERSION,
    description=('Analytic bijections for smooth and interpretable normalizing '
                 'flows in TensorFlow Probability'),
    long_description=Path(__file__).with_name('README.md').read_text(),
    long_description_content_type='text/markdown',
    url='https://github.com/tfp-analytic/tfp_analytic',
    packages=find_packages(include=['tfp_analytic', 'tfp_analytic.*']),
    python_requires='>=3.10',
    install_requires=[
        'absl-py>=2.1',
        'numpy>=1.26,<3',
        'tqdm>=4.66',
        'tensorflow-probability==0.25.0',
    ],
    extras_require={
        'cpu': [f'tensorflow-cpu=={_TF_VERSION}', f'tf-keras=={_TF_VERSION}'],
        'gpu': [f'tensorflow[and-cuda]=={_TF_VERSION}',
                f'tf-keras=={_TF_VERSION}'],
        'experiments': ['matplotlib==3.11.2', 'scikit-learn==1.9.1'],
        'test': [
            'hypothesis==6.170.15',
            'matplotlib==3.11.2',
            'nbclient==0.11.0',
            'nbformat==5.11.1',
            'ipykernel==7.4.0',
            'pytest==9.0.3',
            'pytest-xdist==3.8.0',
            'scikit-learn==1.9.1',
            'tqdm==4.70.1',
            'mpmath==1.3.0',
        ],
    },
    license='Apache-2.0',
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)

"""Speed and memory benchmarks against TFP's own bijectors, side by side.

    python -m benchmarks.elementwise [--quick]
    python -m benchmarks.training [--quick]

Numbers are ratios measured in the same run; see benchmarks/README.md.
"""

import os

# XLA's INFO and WARNING lines would bury the tables (set it to 0 to see
# them), and importing `tfp_analytic` before TensorFlow drops TensorFlow's
# start-up notes on a machine without a GPU.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import tfp_analytic  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position

"""The paper's experiments as a command-line suite.

    python -m tfp_analytic.experiments --help
    python -m tfp_analytic.experiments 1d --quick --out runs/1d

Each experiment writes `metrics.json`, `config.json` and PNG figures to its
output folder.
"""

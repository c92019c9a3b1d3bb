#!/usr/bin/env bash
# The main job: trains stacks of 3 and 9 CubicRational bijections on the
# paper's 1-D multimodal target (cosine amplitude 0.5, where our ESS falls in
# the paper's range, results/RESULTS.md) by reverse KL, about a minute on 2 CPU cores,
# and writes density.png, training_curve.png and metrics.json (ESS, forward
# KL) to runs/quickstart/. Extra arguments go to the experiment, e.g. --help.
source "$(dirname "$0")/_venv.sh" experiments
exec python -m tfp_analytic.experiments 1d --members 3 9 --steps 3000 \
  --amplitude 0.5 --out runs/quickstart "$@"

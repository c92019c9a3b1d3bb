#!/usr/bin/env bash
# The main job: trains a small flow on the paper's 1-D multimodal target and
# writes figures and metrics to runs/quickstart/.
source "$(dirname "$0")/_venv.sh" experiments
exec python -m tfp_analytic.experiments 1d --out runs/quickstart "$@"

#!/usr/bin/env bash
# The phi^4 queue of arms, one at a time, resumable (docs/experiments.md#phi4):
#   scripts/phi4_queue.sh                  # the CPU queue
#   scripts/phi4_queue.sh --queue paper    # the paper's 100,000-step arms
#   scripts/phi4_queue.sh --list           # which arms are done, started, queued
# A line of progress per 1,000 steps goes to runs/phi4/queue.log. Killing it
# loses at most 1,000 steps of the running arm: rerun to resume.
source "$(dirname "$0")/_venv.sh" experiments
source scripts/_queue_env.sh  # _venv.sh left us in the repository root
mkdir -p runs/phi4
nice -n 5 python -m tfp_analytic.experiments phi4 --no-progress "$@" 2>&1 \
  | tee -a runs/phi4/queue.log

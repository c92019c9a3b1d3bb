#!/usr/bin/env bash
# The phi^4 queue of arms, one at a time, resumable (docs/experiments.md#phi4):
#   scripts/phi4_queue.sh                  # the CPU queue
#   scripts/phi4_queue.sh --queue paper    # the paper's 100,000-step arms
#   scripts/phi4_queue.sh --list           # which arms are done, started, queued
# A line of progress per 1,000 steps goes to runs/phi4/queue.log. Killing it
# loses at most 1,000 steps of the running arm: rerun to resume.
source "$(dirname "$0")/_venv.sh" experiments
# Live logs: each seed or arm runs in a child process of its own.
export PYTHONUNBUFFERED=1
# One TensorFlow thread per process: the two queues share 2 cores, and two
# thread pools each 2 wide make a phi^4 step 1.2x slower (79.8 vs 64.6 ms at
# L = 8 beside the other queue). Set TF_NUM_INTRAOP_THREADS to override.
export TF_NUM_INTRAOP_THREADS="${TF_NUM_INTRAOP_THREADS:-1}"
export TF_NUM_INTEROP_THREADS="${TF_NUM_INTEROP_THREADS:-1}"
mkdir -p runs/phi4
nice -n 5 python -m tfp_analytic.experiments phi4 --no-progress "$@" 2>&1 \
  | tee -a runs/phi4/queue.log

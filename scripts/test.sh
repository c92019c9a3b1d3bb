#!/usr/bin/env bash
# Runs the whole test suite (unit tests, doctests, quick benchmarks,
# quick experiments and notebooks in smoke mode) in ./.venv.
source "$(dirname "$0")/_venv.sh" test
exec python -m pytest -n 2 --dist worksteal --durations=20 "$@"

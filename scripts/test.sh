#!/usr/bin/env bash
# Runs the whole test suite (unit tests, doctests, quick benchmarks,
# quick experiments and notebooks in smoke mode) in ./.venv.
#
# With no arguments the suite runs as three pytest sessions, each on two
# fresh workers: every XLA compilation stays in its process's memory for
# good (about 0.1-0.5 GB each), so one session would grow past 10 GB per
# worker. Arguments, if given, go to a single pytest session instead.
source "$(dirname "$0")/_venv.sh" test
pytest=(python -m pytest -n 2 --dist worksteal --durations=10)
if (( $# )); then
  exec "${pytest[@]}" "$@"
fi
first=(tests/test_bijector_registry.py tests/test_lattice.py)
second=(tests/test_radial.py tests/test_families.py tests/test_properties.py
        tests/test_flows.py)
ignore=()
for file in "${first[@]}" "${second[@]}"; do ignore+=(--ignore="$file"); done
status=0
"${pytest[@]}" "${first[@]}" || status=1
"${pytest[@]}" "${second[@]}" || status=1
"${pytest[@]}" tests "${ignore[@]}" || status=1
exit "$status"

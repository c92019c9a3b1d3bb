#!/usr/bin/env bash
# Copies finished runs into results/runs/ without their checkpoints, replacing
# any earlier copy:  scripts/keep_run.sh runs/<name> [runs/<name> ...]
# Then: python -m tfp_analytic.experiments report --runs-dir results/runs
set -euo pipefail
cd "$(dirname "$0")/.."
for src in "$@"; do
  name=$(basename "$src")
  [ -d "$src" ] || { echo "no run folder $src" >&2; exit 1; }
  rm -rf "results/runs/$name"
  mkdir -p "results/runs/$name"
  tar -C "$src" --exclude='checkpoints*' -cf - . | tar -C "results/runs/$name" -xf -
  echo "kept $src -> results/runs/$name"
done

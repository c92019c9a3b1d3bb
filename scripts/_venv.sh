# Sourced by the Quick start scripts: creates ./.venv on first use and
# installs this package with the extras named in $1 (comma separated).
# Set TFP_ANALYTIC_EXTRA=gpu to install TensorFlow with CUDA instead of CPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -e ".[${TFP_ANALYTIC_EXTRA:-cpu},$1]"
export PATH="$PWD/.venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

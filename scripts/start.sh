#!/usr/bin/env bash
# Set up (first run) and start the dashboard on the shipped data: bash scripts/start.sh [streamlit options]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/python -m streamlit run app.py "$@"

#!/usr/bin/env bash
# Set up (first run) and start the dashboard on the shipped data: bash scripts/start.sh [streamlit options]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
# The exported deck draws Chinese labels with a real CJK font (Debian's fonts-noto-cjk).
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
  else
    echo "Note: PPTX/PDF export needs Debian's fonts-noto-cjk: sudo apt-get install fonts-noto-cjk" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/python -m streamlit run app.py "$@"

#!/usr/bin/env bash
# Set up everything the tests need (first run) and run the whole suite: bash scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-tests.sh
.venv/bin/ruff check .
# pytest exits 5 when no test ran; any non-zero exit fails this script.
exec .venv/bin/python -m pytest "$@"

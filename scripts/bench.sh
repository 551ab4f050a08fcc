#!/usr/bin/env bash
# Set up like scripts/test.sh, then run the map benchmarks: bash scripts/bench.sh [--runs N] [--quick] [...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-tests.sh
exec .venv/bin/python -m benchmarks.run "$@"

#!/usr/bin/env bash
# Benchmark of the KServe predictor over loopback (see docs/benchmarks-predictor.md).
# Usage: bench/predictor_bench.sh BUNDLE_DIR [--seconds 10] [--sizes 1,100,1000] [--clients 1,4]
# The server is pinned to core 0 (taskset), wrk to core 1; the load is bounded by --seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${1:?usage: bench/predictor_bench.sh BUNDLE_DIR [options]}"; shift
if ! command -v wrk >/dev/null; then
  (apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }) >/dev/null
fi
exec "${PYTHON:-.venv/bin/python}" bench/predictor_bench.py --bundle "$bundle" "$@"

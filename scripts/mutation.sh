#!/usr/bin/env bash
# make mutation: mutmut over the modules whose bugs users feel first, then the score per module.
# Not part of make test (CI's time): the numbers and the surviving mutants' explanations are in
# docs/testing.md. Only in-process tests count (pyproject [tool.mutmut]): mutmut switches mutants
# inside the test process, so tests that talk to a server subprocess cannot kill them.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests read the dataset; mutmut runs them from mutants/, so the default must be absolute.
export HOUSING_DATA_PATH="${HOUSING_DATA_PATH:-$(cd .. && pwd)/shared/datasets/housing.csv}"
rm -rf mutants
log=$(mktemp)
# mutmut's exit status does not say whether its clean run of the tests failed: the results do.
nice -n 5 .venv/bin/mutmut run >"$log" 2>&1 || true
if ! .venv/bin/mutmut results --all true | grep -qE '__mutmut_[0-9]+: (killed|survived|timeout)'; then
  tail -n 40 "$log" >&2
  echo "make mutation: mutmut produced no results (its clean test run failed?); log above" >&2
  exit 1
fi
.venv/bin/mutmut results --all true | awk '
  /__mutmut_[0-9]+: / {
    name = $1; sub(/\.x[_ǁ].*/, "", name)
    status = $0; sub(/.*__mutmut_[0-9]+: /, "", status)
    total[name]++; T++
    if (status == "killed" || status == "timeout") { killed[name]++; K++ }
    if (status == "survived") survived[name]++
    if (status == "no tests") untested[name]++
  }
  END {
    printf "%-28s %8s %8s %9s %9s %7s\n", "module", "mutants", "killed", "survived", "no tests", "score"
    for (m in total)
      printf "%-28s %8d %8d %9d %9d %6.1f%%\n", m, total[m], killed[m], survived[m], untested[m], 100 * killed[m] / total[m]
    if (T) printf "%-28s %8d %8d %9s %9s %6.1f%%\n", "all", T, K, "", "", 100 * K / T
  }'

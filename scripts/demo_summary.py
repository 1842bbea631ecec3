"""Print one line per model version from a drift document and a performance document."""

from __future__ import annotations

import json
import sys


def main(drift_path: str, performance_path: str) -> None:
    """Both documents as the jobs printed them (their last stdout line)."""
    with open(drift_path) as f:
        drift = json.loads(f.read().strip().splitlines()[-1])
    with open(performance_path) as f:
        performance = json.loads(f.read().strip().splitlines()[-1])
    for v in drift.get("versions", []):
        verdict = v.get("status") or ("drift" if v.get("drift") else "ok")
        drifted = [c for c, x in v.get("columns", {}).items() if x.get("drifted")]
        print(f"   drift: {verdict}, {v.get('rows')} rows, drifted columns {drifted}")
    for v in performance.get("versions", []):
        print(
            f"   performance: {v['status']}, {v['labelled_rows']} labelled rows, RMSE {v['rmse']}"
            f" (limit {v['rmse_limit']}), interval coverage {v['coverage']}"
        )
    if not performance.get("versions"):
        print("   performance: no labels for this day")


if __name__ == "__main__":
    main(*sys.argv[1:3])

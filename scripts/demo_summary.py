"""Print the newest drift and performance documents of the demo, one line per model version."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _newest(directory: Path, *patterns: str) -> dict:
    found = sorted(
        (p for pattern in patterns for p in directory.glob(pattern)), key=lambda p: p.name
    )
    return json.loads(found[-1].read_text()) if found else {}


def main(drift_dir: str, performance_dir: str) -> None:
    """The directories the drift job and ``housing-feedback report`` wrote to."""
    drift = _newest(Path(drift_dir), "*-drift.json", "*-summary.json")
    performance = _newest(Path(performance_dir), "*-performance.json")
    for v in drift.get("versions", []):
        verdict = v.get("verdict") or ("drift" if v.get("drift") else "ok")
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

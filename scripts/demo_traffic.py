"""Send the demo's V2 requests to a running predictor: normal rows, then rows whose income rose.

The second half multiplies median_income by 1.3, the shift the drift job must catch, so the
dashboard shows one calm and one drifted window of the same model version.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from model.data import load
from model.schema import CATEGORICAL, NUMERIC


def v2_body(rows: pd.DataFrame, request_id: str) -> dict[str, object]:
    """One V2 input per raw column, shape [N]; NaN (a missing total_bedrooms) becomes null."""
    inputs = [
        {
            "name": c,
            "datatype": "FP64",
            "shape": [len(rows)],
            "data": [None if np.isnan(v) else float(v) for v in rows[c]],
        }
        for c in NUMERIC
    ]
    inputs.append(
        {
            "name": CATEGORICAL,
            "datatype": "BYTES",
            "shape": [len(rows)],
            "data": rows[CATEGORICAL].tolist(),
        }
    )
    return {"id": request_id, "inputs": inputs}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True, help="http://127.0.0.1:8080/v2/models/housing/infer")
    p.add_argument("--data", type=Path, required=True, help="the verified housing.csv")
    p.add_argument("--requests", type=int, default=100, help="requests per phase")
    p.add_argument("--rows", type=int, default=10, help="rows per request")
    a = p.parse_args()
    frame = (
        load(a.data).frame.sample(2 * a.requests * a.rows, random_state=2026).reset_index(drop=True)
    )
    phases = {
        "normal": frame.iloc[: a.requests * a.rows],
        "income_x1.3": frame.iloc[a.requests * a.rows :].assign(
            median_income=lambda d: d["median_income"] * 1.3
        ),
    }
    with httpx.Client(timeout=30) as client:
        for phase, rows in phases.items():
            ok = 0
            for i in range(a.requests):
                chunk = rows.iloc[i * a.rows : (i + 1) * a.rows]
                r = client.post(a.url, json=v2_body(chunk, f"demo-{phase}-{i}"))
                ok += r.status_code == 200
            print(f"{phase}: {ok}/{a.requests} requests answered 200 ({a.rows} rows each)")
            if ok != a.requests:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

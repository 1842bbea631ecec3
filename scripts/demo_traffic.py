"""Send the demo's V2 requests to a running predictor: several simulated days of traffic.

Each day is one phase of requests; from ``--drift-from-day`` on, median_income is multiplied by
1.1, 1.2, ... (one step more per day), the shift the drift job must catch. Every phase's time
span goes to ``--phases`` (one JSON line per day) so the demo can run the drift job and
the performance report once per day, and the true prices of the first ``--labelled-days`` go to
``--labels`` (request_id, row, median_house_value) for ``housing-feedback ingest``: every
"over time" panel of the dashboard then has one point per day.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from model.data import load
from model.schema import CATEGORICAL, NUMERIC, TARGET


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


def income_factor(day: int, drift_from: int) -> float:
    """1.0 before ``drift_from``, then 1.1 on that day, 1.2 the next, and so on."""
    return 1.0 if day < drift_from else round(1.0 + 0.1 * (day - drift_from + 1), 2)


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="http://127.0.0.1:8080/v2/models/housing/infer")
    p.add_argument("--data", type=Path, required=True, help="the verified housing.csv")
    p.add_argument("--days", type=int, default=7, help="simulated days (one phase each)")
    p.add_argument("--drift-from-day", type=int, default=4, help="first day with income shift")
    p.add_argument("--labelled-days", type=int, default=5, help="days whose prices are known")
    p.add_argument("--requests", type=int, default=40, help="requests per day")
    p.add_argument("--rows", type=int, default=10, help="rows per request")
    p.add_argument("--phases", type=Path, required=True, help="output: one JSON line per day")
    p.add_argument("--labels", type=Path, required=True, help="output: labels as JSON lines")
    return p.parse_args()


def main() -> int:
    a = _args()
    per_day = a.requests * a.rows
    frame = load(a.data).frame.sample(a.days * per_day, random_state=2026).reset_index(drop=True)
    phases, out = a.phases.open("w"), a.labels.open("w")
    with httpx.Client(timeout=30) as client, phases, out:
        for day in range(1, a.days + 1):
            factor = income_factor(day, a.drift_from_day)
            rows = frame.iloc[(day - 1) * per_day : day * per_day]
            rows = rows.assign(median_income=rows["median_income"] * factor)
            start, ok = datetime.now(UTC), 0
            for i in range(a.requests):
                chunk = rows.iloc[i * a.rows : (i + 1) * a.rows]
                rid = f"demo-day{day}-{i}"
                ok += client.post(a.url, json=v2_body(chunk, rid)).status_code == 200
                if day <= a.labelled_days:
                    for j, price in enumerate(chunk[TARGET]):
                        out.write(json.dumps({"request_id": rid, "row": j, TARGET: price}) + "\n")
            time.sleep(0.5)  # the served events' timestamps all fall before this day's end
            end = datetime.now(UTC)
            span = {"day": day, "income_x": factor, "start": start.isoformat()}
            phases.write(json.dumps({**span, "end": end.isoformat()}) + "\n")
            print(f"day {day}: income x{factor}, {ok}/{a.requests} requests answered 200")
            if ok != a.requests:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

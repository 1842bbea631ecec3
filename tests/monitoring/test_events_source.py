"""read_window: the drift job's fast event reader keeps rows aligned around bad events."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd

from model.schema import RAW_COLUMNS
from monitoring.events_source import read_window
from monitoring_helpers import NOW, write_window


def _frame(n: int, offset: float) -> pd.DataFrame:
    row = {
        "longitude": -122.2,
        "latitude": 37.8,
        "housing_median_age": 30.0,
        "total_rooms": 900.0,
        "total_bedrooms": 200.0,
        "population": 500.0,
        "households": 180.0,
        "median_income": 3.0,
        "ocean_proximity": "NEAR BAY",
    }
    income = offset + pd.RangeIndex(n)
    return pd.DataFrame([row] * n).assign(median_income=income, prediction=1000.0 * income)


def test_read_window_skips_an_event_with_uneven_columns_and_keeps_the_others_aligned(
    tmp_path: Path,
) -> None:
    root = tmp_path / "events"
    ts = NOW - timedelta(minutes=5)
    write_window(root, _frame(3, 1.0), version="v1", ts=ts, rows_per_event=1)
    [part] = {p.parent for p in root.rglob("*.jsonl")}
    bad = json.loads(next(part.glob("*.jsonl")).read_text().splitlines()[0])
    bad["inputs"]["median_income"] = [7.0, 8.0]  # two values, one prediction
    (part / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    write_window(root, _frame(2, 10.0), version="v1", ts=ts, rows_per_event=1)

    window = read_window(str(root), NOW - timedelta(hours=1), NOW)

    frame = window.frames["v1"]
    assert (window.events["v1"], window.malformed, len(frame)) == (5, 1, 5)
    assert "differ in length" in window.malformed_examples[0]
    assert list(frame.columns) == [*RAW_COLUMNS, "prediction"]
    # Every row's prediction still belongs to its own income: nothing shifted.
    incomes = frame["median_income"].astype(float)
    assert sorted(incomes) == [1.0, 2.0, 3.0, 10.0, 11.0]
    assert (frame["prediction"].astype(float) == 1000.0 * incomes).all()

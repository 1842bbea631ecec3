"""training.evaluate: the report a reviewer reads beside the bundle."""

import numpy as np
import pandas as pd

from model.predict import PRICE_CAP
from model.schema import CATEGORICAL
from training.evaluate import MIN_SEGMENT_ROWS, report


def spatial(
    folds: list[float], coverage: list[float] | None = None, width: list[float] | None = None
) -> dict:
    out = {
        "rmse_mean": float(np.mean(folds)),
        "rmse_std": float(np.std(folds)),
        "folds": folds,
        "rows": [100] * len(folds),
        "scheme": "spatial 2-fold",
    }
    return (
        out
        | ({"coverage": coverage} if coverage else {})
        | ({"mean_width": width} if width else {})
    )


def view() -> dict:
    return {
        "model_version": "v1",
        "candidate": "champion",
        "data": {"sha256": "abc", "rows": 200, "split": "holdout 20% seed 42"},
        "code": {"git_sha": "deadbeef"},
        "interval": None,
        "metrics": {
            "holdout": {"rmse": 38_957.0, "mae": 24_437.0, "r2": 0.884},
            "cv": None,
            "spatial_cv": spatial([61_000.0, 59_000.0], [0.91, 0.884], [240_000.4, 199_999.6]),
            "baseline": {
                "candidate": "plain",
                "holdout": {"rmse": 46_312.0, "mae": 31_000.0, "r2": 0.84},
                "spatial_cv": spatial([65_000.0, 64_000.0]),
            },
        },
    }


def evaluation(rows_per_segment: dict[str, int]) -> str:
    x = pd.DataFrame({CATEGORICAL: [k for k, n in rows_per_segment.items() for _ in range(n)]})
    y = np.linspace(50_000, PRICE_CAP, len(x))
    files = report(view(), x, y, y * 0.9, {"median_income": 30_000.0})
    return files["report/evaluation.md"].decode()


def test_report_puts_the_seed_baseline_beside_the_model_on_every_score():
    text = evaluation({"INLAND": 40})

    assert "| hold-out RMSE | 38,957 | 46,312 |" in text
    assert "| spatial CV RMSE (spatial 2-fold) | 60,000 ± 1,000 | 64,500 |" in text
    assert "| 1 | 100 | 61,000 | 65,000 | 91.0% | 240,000 |" in text
    assert "| 2 | 100 | 59,000 | 64,000 | 88.4% | 200,000 |" in text


def test_report_shows_no_width_for_spatial_folds_of_a_manifest_without_it():
    old = view()
    old["metrics"]["spatial_cv"] = spatial([61_000.0, 59_000.0], [0.91, 0.884])
    x = pd.DataFrame({CATEGORICAL: ["INLAND"] * 40})
    y = np.linspace(50_000, PRICE_CAP, len(x))

    text = report(old, x, y, y, {})["report/evaluation.md"].decode()

    assert "| 1 | 100 | 61,000 | 65,000 | 91.0% | — |" in text


def test_report_marks_a_segment_too_small_to_judge_at_the_limit():
    text = evaluation({"INLAND": MIN_SEGMENT_ROWS, "ISLAND": MIN_SEGMENT_ROWS - 1})

    inland = next(line for line in text.splitlines() if line.startswith("| INLAND |"))
    island = next(line for line in text.splitlines() if line.startswith("| ISLAND |"))
    assert "too few rows to judge" not in inland
    assert "too few rows to judge" in island


def test_report_states_the_price_cap_and_how_many_rows_sit_at_it():
    text = evaluation({"INLAND": 40})

    assert "top-coded by the census at 500,001 USD (1 of 40 hold-out rows" in text

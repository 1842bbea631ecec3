"""The drift job on synthetic windows with known answers, built from a real bundle's data."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model.bundle import PREDICTION, load_bundle
from model.predict import predict
from model.schema import CATEGORICAL, RAW_COLUMNS, validate_raw
from monitoring.job import run
from monitoring.settings import DriftSettings
from monitoring_helpers import NOW, write_window

INCOME = "median_income"


@pytest.fixture(scope="module")
def served(tiny_bundle: Path, housing_csv: Path) -> dict[str, Any]:
    """The bundle and a random hold-out sample of the real data with the bundle's predictions."""
    bundle = load_bundle(tiny_bundle)
    data = pd.read_csv(housing_csv)

    def with_predictions(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[list(RAW_COLUMNS)].reset_index(drop=True)
        return frame.assign(prediction=predict(bundle, validate_raw(frame))[PREDICTION])

    return {
        "bundle": bundle,
        "predict": with_predictions,
        "data": data,
        "holdout": with_predictions(data.sample(2000, random_state=11)),
    }


def _run(
    tmp_path: Path, served: dict[str, Any], frame: pd.DataFrame, **overrides: Any
) -> tuple[int, dict[str, Any]]:
    events = tmp_path / "events"
    if len(frame):
        write_window(
            events, frame, version=served["bundle"].version, ts=NOW - timedelta(minutes=10)
        )
    settings = DriftSettings(
        events_uri=str(events),
        bundles_uri=str(served["bundle"].path.parent),
        workspace=str(tmp_path / "ws"),
        reports_dir=tmp_path / "reports",
        **overrides,
    )
    code = run(settings, now=NOW)
    [summary] = sorted((tmp_path / "reports").glob("*-summary.json"))[-1:]
    return code, json.loads(summary.read_text())


def test_drift_job_finds_no_drift_when_window_is_a_random_holdout(tmp_path, served) -> None:
    code, summary = _run(tmp_path, served, served["holdout"], fail_on_drift=True)
    [result] = summary["versions"]
    assert (code, summary["status"], result["drift"]) == (0, "ok", False)
    assert result["failed_tests"] == []


def test_drift_job_flags_income_and_prediction_when_income_scaled_by_1_3(tmp_path, served) -> None:
    shifted = served["holdout"].assign(**{INCOME: served["holdout"][INCOME] * 1.3})
    code, summary = _run(tmp_path, served, served["predict"](shifted), fail_on_drift=True)
    [result] = summary["versions"]
    assert code == 3
    assert result["dataset_drift"] is False  # the 50 % share rule alone would miss it
    assert {INCOME, "prediction"} <= set(result["key_drifted"])
    assert result["columns"][INCOME]["drifted"] and result["columns"]["prediction"]["drifted"]


def test_drift_job_reports_dataset_drift_when_window_has_only_inland_rows(tmp_path, served) -> None:
    data = served["data"]
    inland = served["predict"](data[data[CATEGORICAL] == "INLAND"].sample(2000, random_state=3))
    code, summary = _run(tmp_path, served, inland)
    [result] = summary["versions"]
    assert (code, result["dataset_drift"], summary["status"]) == (0, True, "drift")


def test_drift_job_fails_missing_value_test_when_30_percent_of_income_is_missing(
    tmp_path, served
) -> None:
    frame = served["holdout"].copy()
    frame.loc[frame.sample(frac=0.3, random_state=4).index, INCOME] = np.nan
    _, summary = _run(tmp_path, served, frame)
    [result] = summary["versions"]
    assert any(f"'{INCOME}' missing values" in t for t in result["failed_tests"])


def test_drift_job_fails_out_of_list_test_when_categories_are_garbage(tmp_path, served) -> None:
    frame = served["holdout"].copy()
    frame.loc[frame.sample(frac=0.1, random_state=4).index, CATEGORICAL] = "LAKE"
    _, summary = _run(tmp_path, served, frame)
    [result] = summary["versions"]
    assert any("out of list" in t for t in result["failed_tests"])


def test_drift_job_returns_0_with_no_events_when_window_is_empty(tmp_path, served) -> None:
    code, summary = _run(tmp_path, served, served["holdout"].head(0), fail_on_drift=True)
    assert (code, summary["status"], summary["versions"]) == (0, "no events", [])


def test_drift_job_counts_and_skips_malformed_lines_when_store_has_garbage(
    tmp_path, served
) -> None:
    part = tmp_path / "events" / f"dt={NOW:%Y-%m-%d}" / f"hour={NOW:%H}"
    part.mkdir(parents=True)
    (part / "junk.jsonl").write_text('not json\n{"kind": "prediction"}\n{"ts": "torn')
    code, summary = _run(tmp_path, served, served["holdout"].head(500))
    assert (code, summary["malformed_lines"], summary["events"]) == (
        0,
        3,
        {served["bundle"].version: 50},
    )
    assert "junk.jsonl:1" in summary["malformed_examples"][0]


def test_drift_job_starts_where_last_run_ended_when_state_file_exists(tmp_path, served) -> None:
    _run(tmp_path, served, served["holdout"].head(100))
    settings = DriftSettings(
        events_uri=str(tmp_path / "events"),
        workspace=str(tmp_path / "ws"),
        reports_dir=tmp_path / "reports2",
        bundles_uri=str(served["bundle"].path.parent),
    )
    assert run(settings, now=NOW + timedelta(hours=1)) == 0
    [summary] = [json.loads(p.read_text()) for p in (tmp_path / "reports2").glob("*summary.json")]
    assert (summary["start"], summary["status"]) == (NOW.isoformat(), "no events")


def test_drift_job_creates_project_panels_once_and_saves_reports_when_run_twice(
    tmp_path, served
) -> None:
    from evidently.ui.workspace import Workspace

    _run(tmp_path, served, served["holdout"].head(300))
    _run(
        tmp_path,
        served,
        served["holdout"].head(300),
        start=NOW.isoformat(),
        end=(NOW + timedelta(hours=1)).isoformat(),
    )
    [project] = Workspace(str(tmp_path / "ws")).list_projects()
    titles = [p.title for p in project.dashboard.model().panels]
    assert len(titles) == len(set(titles)) >= 5
    assert len(Workspace(str(tmp_path / "ws")).list_runs(project.id)) == 1
    assert len(list((tmp_path / "reports").glob("*.html"))) == 1

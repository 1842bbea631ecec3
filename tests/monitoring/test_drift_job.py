"""The drift job on windows with known answers, built from a real bundle's data."""

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
from monitoring.calibration import calibrate, jensenshannon, wasserstein_norm
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
    overrides.setdefault("calibration_replicates", 400)  # fast; the benchmark uses the default
    settings = DriftSettings(
        events_uri=str(events),
        workspace=str(tmp_path / "ws"),
        reports_dir=tmp_path / "reports",
        **{"bundles_uri": str(served["bundle"].path.parent), **overrides},
    )
    code = run(settings, now=NOW)
    [document] = sorted((tmp_path / "reports").glob("*-drift.json"))[-1:]
    return code, json.loads(document.read_text())


def test_drift_job_finds_no_drift_when_window_is_a_random_holdout(tmp_path, served) -> None:
    code, doc = _run(tmp_path, served, served["holdout"], fail_on_drift=True)
    [result] = doc["versions"]
    assert (code, doc["status"], result["verdict"], result["drifted_gated"]) == (0, "ok", "ok", [])
    assert result["failed_tests"] == []
    assert result["rows"] == 2000 and result["gated_columns"] == [
        "median_income",
        "latitude",
        "longitude",
        "ocean_proximity",
        "prediction",
    ]


def test_drift_job_flags_income_and_prediction_when_income_scaled_by_1_3(tmp_path, served) -> None:
    shifted = served["holdout"].assign(**{INCOME: served["holdout"][INCOME] * 1.3})
    code, doc = _run(tmp_path, served, served["predict"](shifted), fail_on_drift=True)
    [result] = doc["versions"]
    assert (code, result["verdict"]) == (3, "drift")
    assert result["dataset_drift"] is False  # the 50 % share rule alone would miss it
    assert {INCOME, "prediction"} <= set(result["drifted_gated"])
    income = result["columns"][INCOME]
    assert income["drifted"] and income["score"] >= income["threshold"] > 0


def test_drift_job_flags_the_category_when_window_has_only_inland_rows(tmp_path, served) -> None:
    data = served["data"]
    inland = served["predict"](data[data[CATEGORICAL] == "INLAND"].sample(2000, random_state=3))
    code, doc = _run(tmp_path, served, inland)
    [result] = doc["versions"]
    assert (code, doc["status"], result["dataset_drift"]) == (0, "drift", True)
    assert CATEGORICAL in result["drifted_gated"]


def test_drift_job_scores_are_evidentlys_and_match_the_calibrated_statistic(
    tmp_path, served
) -> None:
    window = served["holdout"].head(600)
    _, doc = _run(tmp_path, served, window)
    [result] = doc["versions"]
    ref = served["bundle"].reference()
    assert result["columns"][INCOME]["score"] == pytest.approx(
        wasserstein_norm(ref[INCOME].to_numpy(), window[INCOME].to_numpy()), rel=1e-9
    )
    assert result["columns"][CATEGORICAL]["score"] == pytest.approx(
        jensenshannon(ref[CATEGORICAL], window[CATEGORICAL]), rel=1e-9
    )


def test_calibration_holds_the_false_alarm_rate_when_windows_come_from_the_reference_law() -> None:
    rng = np.random.default_rng(1)

    def draw(n: int) -> pd.DataFrame:
        x = rng.lognormal(size=n)
        return pd.DataFrame(
            {
                "a": x,
                "b": x + rng.normal(size=n),
                "c": rng.choice(list("pqr"), n, p=[0.6, 0.3, 0.1]),
            }
        )

    reference = draw(3000)
    cal = calibrate(
        reference,
        columns=["a", "b", "c"],
        numeric=["a", "b"],
        gated=["a", "b", "c"],
        alpha=0.05,
        replicates=2000,
        seed=0,
    )
    assert cal.column_level < 0.05  # family-wise: each column is tested more strictly
    for n in (100, 1000, 5000):  # 5,000: windows larger than the reference hold it too
        alarms = 0
        for _ in range(300):
            w = draw(n)
            alarms += (
                wasserstein_norm(reference.a.to_numpy(), w.a.to_numpy()) >= cal.threshold("a", n)
                or wasserstein_norm(reference.b.to_numpy(), w.b.to_numpy()) >= cal.threshold("b", n)
                or jensenshannon(reference.c, w.c) >= cal.threshold("c", n)
            )
        assert alarms / 300 <= 0.09, (n, alarms)  # alpha 5 %, three binomial sd of slack
    shifted = draw(1000).assign(a=lambda f: f.a * 1.3)
    assert wasserstein_norm(reference.a.to_numpy(), shifted.a.to_numpy()) >= cal.threshold(
        "a", 1000
    )


def test_drift_job_reports_insufficient_data_when_window_is_below_min_rows(
    tmp_path, served
) -> None:
    code, doc = _run(
        tmp_path, served, served["holdout"].head(299), fail_on_drift=True, min_rows=300
    )
    [result] = doc["versions"]
    assert (code, doc["status"], result["verdict"], result["rows"]) == (
        0,
        "insufficient data",
        "insufficient data",
        299,
    )
    assert result["columns"] == {} and not list((tmp_path / "reports").glob("*.html"))


def test_drift_job_judges_the_window_when_it_has_exactly_min_rows(tmp_path, served) -> None:
    _, doc = _run(tmp_path, served, served["holdout"].head(300), min_rows=300)
    [result] = doc["versions"]
    assert (result["verdict"], result["rows"]) == ("ok", 300)


def test_drift_job_reports_missing_share_when_a_column_is_entirely_missing(
    tmp_path, served
) -> None:
    frame = served["holdout"].head(500).assign(total_bedrooms=np.nan)
    code, doc = _run(tmp_path, served, frame)
    [result] = doc["versions"]
    bedrooms = result["columns"]["total_bedrooms"]
    assert code == 0 and result["verdict"] == "ok"
    assert (bedrooms["missing_share"], bedrooms["score"], bedrooms["rows"]) == (1.0, None, 0)
    assert any("'total_bedrooms' missing values" in t for t in result["failed_tests"])


def test_drift_job_reports_the_versions_it_can_and_advances_state_when_events_lack_a_bundle(
    tmp_path, served
) -> None:
    events = tmp_path / "events"
    when = NOW - timedelta(minutes=10)
    for version in ("unknown", "None", "20990101T000000Z-0000000"):
        write_window(events, served["holdout"].head(30), version=version, ts=when)
    code, doc = _run(tmp_path, served, served["holdout"].head(400), fail_on_drift=True)
    assert code == 0
    assert [r["model_version"] for r in doc["versions"]] == [served["bundle"].version]
    assert {u["model_version"]: (u["events"], u["reason"]) for u in doc["unjudged_versions"]} == {
        "unknown": (3, "no bundle"),
        "None": (3, "no bundle"),
        "20990101T000000Z-0000000": (3, "no bundle"),
    }
    # The state moved on: the next run starts where this one ended and succeeds.
    settings = DriftSettings(
        events_uri=str(events),
        bundles_uri=str(served["bundle"].path.parent),
        workspace=str(tmp_path / "ws"),
        reports_dir=tmp_path / "next",
    )
    assert run(settings, now=NOW + timedelta(hours=1)) == 0
    [nxt] = [json.loads(p.read_text()) for p in (tmp_path / "next").glob("*-drift.json")]
    assert (nxt["start"], nxt["status"]) == (NOW.isoformat(), "no events")


def test_drift_job_reports_other_versions_and_exits_2_when_a_bundle_is_tampered(
    tmp_path, served
) -> None:
    import shutil

    root = tmp_path / "bundles"
    shutil.copytree(served["bundle"].path, root / served["bundle"].version)
    bad = "20990101T000000Z-badbad0"
    shutil.copytree(served["bundle"].path, root / bad)
    with (root / bad / "reference.parquet").open("ab") as f:
        f.write(b"tampered")
    write_window(
        tmp_path / "events", served["holdout"].head(50), version=bad, ts=NOW - timedelta(minutes=5)
    )
    code, doc = _run(tmp_path, served, served["holdout"].head(400), bundles_uri=str(root))
    assert code == 2
    assert [r["model_version"] for r in doc["versions"]] == [served["bundle"].version]
    [entry] = doc["unjudged_versions"]
    assert (entry["model_version"], entry["reason"]) == (bad, "bundle failed")
    state = json.loads((tmp_path / "ws" / ".housing-drift" / "state.json").read_text())
    assert state["last_end"] == NOW.isoformat()


def test_drift_job_prints_one_line_per_version_and_writes_one_json_document(
    tmp_path, served, capsys
) -> None:
    shifted = (
        served["holdout"].head(1000).assign(**{INCOME: served["holdout"][INCOME].head(1000) * 1.3})
    )
    _run(tmp_path, served, served["predict"](shifted))
    out = capsys.readouterr().out.splitlines()
    version = served["bundle"].version
    [line] = [o for o in out if o.startswith(version)]
    assert line.startswith(f"{version}: DRIFT 1000 rows; 100 events; drifted: {INCOME} ")
    assert " >= " in line
    assert len(list((tmp_path / "reports").glob("*.json"))) == 1


def test_drift_job_fails_missing_value_test_when_30_percent_of_income_is_missing(
    tmp_path, served
) -> None:
    frame = served["holdout"].copy()
    frame.loc[frame.sample(frac=0.3, random_state=4).index, INCOME] = np.nan
    _, doc = _run(tmp_path, served, frame)
    [result] = doc["versions"]
    assert any(f"'{INCOME}' missing values" in t for t in result["failed_tests"])
    assert result["columns"][INCOME]["missing_share"] == pytest.approx(0.3)


def test_drift_job_fails_out_of_list_test_when_categories_are_garbage(tmp_path, served) -> None:
    frame = served["holdout"].copy()
    frame.loc[frame.sample(frac=0.1, random_state=4).index, CATEGORICAL] = "LAKE"
    _, doc = _run(tmp_path, served, frame)
    [result] = doc["versions"]
    assert any("out of list" in t for t in result["failed_tests"])


def test_drift_job_returns_0_with_no_events_when_window_is_empty(tmp_path, served) -> None:
    code, doc = _run(tmp_path, served, served["holdout"].head(0), fail_on_drift=True)
    assert (code, doc["status"], doc["versions"]) == (0, "no events", [])


def test_drift_job_counts_and_skips_malformed_lines_when_store_has_garbage(
    tmp_path, served
) -> None:
    part = tmp_path / "events" / f"dt={NOW:%Y-%m-%d}" / f"hour={NOW:%H}"
    part.mkdir(parents=True)
    (part / "junk.jsonl").write_text('not json\n{"kind": "prediction"}\n{"ts": "torn')
    code, doc = _run(tmp_path, served, served["holdout"].head(500))
    assert (code, doc["malformed_lines"], doc["events"]) == (
        0,
        3,
        {served["bundle"].version: 50},
    )
    assert "junk.jsonl:1" in doc["malformed_examples"][0]


def test_drift_job_starts_where_last_run_ended_when_state_file_exists(tmp_path, served) -> None:
    _run(tmp_path, served, served["holdout"].head(100))
    settings = DriftSettings(
        events_uri=str(tmp_path / "events"),
        workspace=str(tmp_path / "ws"),
        reports_dir=tmp_path / "reports2",
        bundles_uri=str(served["bundle"].path.parent),
    )
    assert run(settings, now=NOW + timedelta(hours=1)) == 0
    [doc] = [json.loads(p.read_text()) for p in (tmp_path / "reports2").glob("*-drift.json")]
    assert (doc["start"], doc["status"]) == (NOW.isoformat(), "no events")


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


def test_window_sample_keeps_a_uniform_bounded_sample_when_rows_exceed_capacity() -> None:
    from monitoring.sampling import WindowSample

    sample = WindowSample(capacity=1000, seed=3)
    for start in range(0, 100_000, 700):
        sample.add("v", pd.DataFrame({"x": np.arange(start, min(start + 700, 100_000))}), 1)
        assert sample.versions["v"]._held < 2 * 1000 + 700  # bounded whatever the window
    kept = sample.versions["v"].frame()["x"].to_numpy()
    assert (len(kept), len(set(kept)), sample.versions["v"].seen) == (1000, 1000, 100_000)
    # Uniform over the whole stream: each decile holds ~100 rows (binomial sd ~9.5).
    assert np.histogram(kept, bins=10, range=(0, 100_000))[0].min() > 60
    assert sample.events["v"] == 143


def test_window_sample_keeps_every_row_when_rows_fit_capacity() -> None:
    from monitoring.sampling import WindowSample

    sample = WindowSample(capacity=1000)
    sample.add("v", pd.DataFrame({"x": np.arange(1000)}), 100)
    assert sorted(sample.versions["v"].frame()["x"]) == list(range(1000))


def test_drift_job_counts_and_skips_events_with_unparsable_ts_or_null_version(
    tmp_path, served
) -> None:
    part = tmp_path / "events" / f"dt={NOW:%Y-%m-%d}" / f"hour={NOW - timedelta(minutes=10):%H}"
    part.mkdir(parents=True)
    good = {
        "ts": (NOW - timedelta(minutes=10)).isoformat(),
        "request_id": "r",
        "model_version": served["bundle"].version,
        "inputs": {c: [None] for c in RAW_COLUMNS},
        "outputs": {PREDICTION: [1.0]},
    }
    lines = [{**good, "ts": "yesterday"}, {**good, "ts": "2026-13-45T99:00:00Z"}]
    lines.append({**good, "model_version": None})
    (part / "bad.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    code, doc = _run(tmp_path, served, served["holdout"].head(400), fail_on_drift=True)
    assert (code, doc["status"], doc["malformed_lines"]) == (0, "ok", 3)
    assert doc["events"] == {served["bundle"].version: 40}
    assert any("yesterday" in e for e in doc["malformed_examples"])


def test_drift_job_judges_a_bounded_sample_when_window_exceeds_sample_rows(
    tmp_path, served, capsys
) -> None:
    code, doc = _run(tmp_path, served, served["holdout"], drift_sample_rows=500)
    [result] = doc["versions"]
    assert (code, result["rows"], result["window_rows"], result["events"]) == (0, 500, 2000, 200)
    assert result["columns"][INCOME]["rows"] == 500
    assert "500 rows (sampled from 2000)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("rows", "size"),
    [
        (0, 1),
        (1, 1),
        (2, 2),
        (4, 3),
        (99, 50),
        (100, 100),
        (199, 100),
        (200, 200),
        (299, 200),
        (300, 300),
        (499, 300),
        (500, 500),
        (999, 500),
        (1_000, 1_000),
        (5_000, 5_000),
        (9_999, 5_000),
        (10_000, 10_000),
    ],
)
def test_window_sizes_round_down_to_their_size_class(rows, size):
    from monitoring.calibration import size_class

    assert size_class(rows) == size


def test_threshold_is_steady_within_a_size_class_so_the_dashboard_series_continues():
    from monitoring.calibration import Calibration

    cal = Calibration(0.01, 0.003, 10, 0, ("a",), {"a": "wasserstein"}, {"a": 5_000}, {"a": 2.0})
    # A few missing values must not move the threshold (it names the Evidently series) ...
    assert cal.threshold("a", 297) == cal.threshold("a", 200) == cal.threshold("a", 299)
    # ... and rounding down only ever makes it stricter, never looser.
    assert cal.threshold("a", 297) > 2.0 * (1 / 297 + 1 / 5_000) ** 0.5
    assert cal.threshold("a", 300) == pytest.approx(2.0 * (1 / 300 + 1 / 5_000) ** 0.5)

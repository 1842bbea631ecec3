"""Performance monitoring: labels joined to served predictions, verdict per model version."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.bundle import PREDICTION, load_bundle
from model.errors import PublishError
from model.events import EventStoreWriter, PredictionEvent, open_writer
from model.labels import Label, LabelStore
from model.predict import predict
from model.schema import CATEGORICAL, RAW_COLUMNS, TARGET, validate_raw
from monitoring.feedback_settings import FeedbackSettings
from monitoring.performance import PRED, VersionPerformance, bootstrap_rmse, evaluate, join
from monitoring_helpers import NOW
from support import moto_s3

ROWS_PER_REQUEST = 10


def _serve(
    root: Path, bundle_dir: Path, frame: pd.DataFrame, s3_uri: str | None = None
) -> list[tuple[str, int]]:
    """Log ``frame`` as served requests of 10 rows (also to ``s3_uri`` when given); returns
    each row's (request_id, row)."""
    bundle = load_bundle(bundle_dir)
    predicted = predict(bundle, validate_raw(frame[list(RAW_COLUMNS)]))[PREDICTION]
    events, keys = [], []
    for n, i in enumerate(range(0, len(frame), ROWS_PER_REQUEST)):
        part = frame.iloc[i : i + ROWS_PER_REQUEST]
        rid = f"req-{n}"
        inputs = {c: [None if pd.isna(v) else v for v in part[c].tolist()] for c in RAW_COLUMNS}
        events.append(
            PredictionEvent(
                ts=NOW - timedelta(minutes=30),
                request_id=rid,
                model_version=bundle.version,
                inputs=inputs,
                outputs={PREDICTION: [float(x) for x in predicted[i : i + len(part)]]},
            )
        )
        keys += [(rid, r) for r in range(len(part))]
    EventStoreWriter(root, "test").write(events)
    if s3_uri is not None:  # the same events, one object per hour partition
        endpoint = os.environ["HOUSING_S3_ENDPOINT_URL"]
        open_writer(s3_uri, "test", s3_endpoint_url=endpoint).write(events)
    return keys


def _settings(tmp_path: Path, bundle_dir: Path, **kw: object) -> FeedbackSettings:
    values: dict[str, object] = {
        "labels_dir": str(tmp_path / "labels"),
        "events_uri": str(tmp_path / "events"),
        "bundles_uri": str(bundle_dir.parent),
        "workspace": str(tmp_path / "ws"),
        "performance_reports_dir": tmp_path / "perf",
        "start": (NOW - timedelta(hours=1)).isoformat(),
        "end": NOW.isoformat(),
    }
    return FeedbackSettings(**(values | kw))


def _label(store: LabelStore, keys: list[tuple[str, int]], values: np.ndarray) -> None:
    store.add([("t", Label(r, i, float(v))) for (r, i), v in zip(keys, values, strict=True)], "t")


@pytest.fixture
def served(tmp_path: Path, tiny_bundle: Path, housing_csv: Path) -> tuple[pd.DataFrame, list]:
    frame = pd.read_csv(housing_csv).sample(400, random_state=3).reset_index(drop=True)
    return frame, _serve(tmp_path / "events", tiny_bundle, frame)


def test_join_matches_labels_to_rows_and_counts_the_unmatched_when_some_have_no_event(
    tmp_path: Path, served: tuple[pd.DataFrame, list]
) -> None:
    frame, keys = served
    store = LabelStore(tmp_path / "labels")
    _label(store, keys[:250], frame[TARGET].to_numpy()[:250])
    _label(store, [("never-served", 0), ("req-0", 99)], np.array([1e5, 2e5]))
    joined = join(tmp_path / "events", NOW - timedelta(hours=1), NOW, store.frame())
    [rows] = joined.frames.values()
    assert (joined.labels_total, joined.matched, joined.unmatched) == (252, 250, 2)
    assert sorted(joined.unmatched_examples) == ["never-served#0", "req-0#99"]
    assert rows[TARGET].tolist() == frame[TARGET].tolist()[:250]  # each label on its own row
    assert rows[CATEGORICAL].tolist() == frame[CATEGORICAL].tolist()[:250]
    outside = join(tmp_path / "events", NOW, NOW + timedelta(hours=1), store.frame())
    assert (outside.matched, outside.unmatched) == (0, 252)  # kept for the window they belong to


def _frame(n: int, error_sd: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.uniform(50_000, 500_000, n)
    return pd.DataFrame(
        {
            TARGET: y,
            PRED: y + rng.normal(0, error_sd, n),
            "lower": y - 60_000,
            "upper": y + 60_000 * rng.choice([1, -1], n, p=[0.8, 0.2]),
            CATEGORICAL: rng.choice(["INLAND", "NEAR BAY"], n),
        }
    )


def _judge(rows: int, error_sd: float) -> VersionPerformance:
    """A window of ``rows`` labelled rows judged against a 40,000 hold-out RMSE, 10 % margin."""
    return evaluate(
        "v",
        _frame(rows, error_sd),
        holdout_rmse=40_000,
        promised_coverage=0.9,
        margin=0.1,
        min_rows=30,
    )


def test_evaluate_says_ok_when_rmse_is_at_the_holdout_level() -> None:
    result = _judge(500, 40_000)
    assert result.status == "ok"
    assert result.rmse_ci_lower < result.rmse < result.rmse_ci_upper < result.rmse_limit
    assert result.rmse_limit == 44_000
    assert result.coverage == pytest.approx(0.8, abs=0.05)
    assert set(result.segments) == {"INLAND", "NEAR BAY"}
    assert sum(s["rows"] for s in result.segments.values()) == 500


def test_evaluate_says_degraded_only_when_the_whole_ci_is_above_the_limit() -> None:
    # 30 % worse than hold-out: the CI's lower bound clears the 10 % margin at 500 rows.
    bad = _judge(500, 52_000)
    assert bad.status == "degraded"
    assert bad.rmse_ci_lower > bad.rmse_limit
    # The same 30 % on 30 rows: the CI reaches below the limit, so no alarm.
    few = _judge(30, 52_000)
    assert few.status == "ok"
    assert few.rmse_ci_lower <= few.rmse_limit < few.rmse_ci_upper


def test_evaluate_gives_no_verdict_below_min_rows_and_one_at_it() -> None:
    below = _judge(29, 1e5)
    at = _judge(30, 1e5)
    assert (below.status, below.rmse) == ("insufficient data", None)
    assert at.status == "degraded"


def test_bootstrap_ci_covers_the_true_rmse_in_about_95_percent_of_samples() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    for seed in range(100):
        low, high = bootstrap_rmse(rng.normal(0, 10, 300), resamples=400, seed=seed)
        hits += low <= 10 <= high
    assert 88 <= hits <= 100


def test_report_writes_one_document_and_pushes_gauges_when_labels_show_degradation(
    tmp_path: Path, tiny_bundle: Path, served: tuple[pd.DataFrame, list], gateway
) -> None:
    from monitoring.performance_job import run

    frame, keys = served
    store = LabelStore(tmp_path / "labels")
    _label(store, keys, frame[TARGET].to_numpy() * 1.8)  # prices far from every prediction
    url, recorder = gateway
    document = run(_settings(tmp_path, tiny_bundle, pushgateway_url=url))
    [written] = (tmp_path / "perf").glob("*-performance.json")
    assert json.loads(written.read_text()) == document
    [v] = document["versions"]
    holdout = load_bundle(tiny_bundle).manifest.metrics["holdout"]["rmse"]
    assert (document["status"], v["status"], v["labelled_rows"]) == ("degraded", "degraded", 400)
    assert v["holdout_rmse"] == pytest.approx(holdout)
    assert v["rmse_ci_lower"] > v["rmse_limit"] == pytest.approx(holdout * 1.1, abs=0.01)
    assert v["coverage_rows"] == 400 and v["coverage"] < v["promised_coverage"]
    [(_, path, body)] = recorder.received
    assert path == "/metrics/job/housing-performance"
    assert f'housing_performance_degraded{{model_version="{v["model_version"]}"}} 1.0' in body
    from evidently.ui.workspace import Workspace

    [project] = Workspace(str(tmp_path / "ws")).list_projects()
    titles = {p.title for p in project.dashboard.model().panels}
    assert f"RMSE and MAE in k$ over time: {v['model_version']}" in titles


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto on loopback with bucket ``monitoring``; HOUSING_S3_ENDPOINT_URL points at it."""
    with moto_s3("monitoring", monkeypatch) as url:
        monkeypatch.setenv("HOUSING_S3_ENDPOINT_URL", url)
        yield url


def test_label_store_on_s3_keeps_one_entry_per_key_across_writers_when_reopened(
    s3_endpoint: str,
) -> None:
    uri = "s3://monitoring/labels"
    first = LabelStore(uri, s3_endpoint_url=s3_endpoint)
    stored = first.add([("t", Label("a", 0, 1e5)), ("t", Label("a", 1, 2e5))], "t")
    second = LabelStore(uri, s3_endpoint_url=s3_endpoint)  # another process: reads the objects
    again = second.add([("t", Label("a", 0, 1e5)), ("t", Label("a", 0, 3e5))], "t")
    assert (stored.stored, len(second)) == (2, 2)
    assert (again.stored, again.duplicates, len(again.conflicts)) == (0, 1, 1)
    assert sorted(second.frame()[TARGET]) == [1e5, 2e5]


def test_report_reads_s3_events_and_s3_labels_like_local_ones_when_both_stores_are_s3(
    tmp_path: Path, tiny_bundle: Path, housing_csv: Path, s3_endpoint: str
) -> None:
    from monitoring.performance_job import run

    frame = pd.read_csv(housing_csv).sample(200, random_state=5).reset_index(drop=True)
    keys = _serve(tmp_path / "events", tiny_bundle, frame, s3_uri="s3://monitoring/events")
    truth = frame[TARGET].to_numpy()
    local_store = LabelStore(tmp_path / "labels")
    s3_store = LabelStore("s3://monitoring/labels", s3_endpoint_url=s3_endpoint)
    for store in (local_store, s3_store):  # 150 matched, 2 without a prediction in the window
        _label(store, keys[:150], truth[:150])
        _label(store, [("never-served", 0), ("req-0", 99)], np.array([1e5, 2e5]))
    local = run(_settings(tmp_path, tiny_bundle))
    remote = run(
        _settings(
            tmp_path,
            tiny_bundle,
            events_uri="s3://monitoring/events",
            labels_dir="s3://monitoring/labels",
            s3_endpoint_url=s3_endpoint,
        )
    )
    assert (remote["labels_total"], remote["labels_matched"], remote["labels_unmatched"]) == (
        152,
        150,
        2,
    )
    assert remote["versions"] == local["versions"]
    assert remote["versions"][0]["labelled_rows"] == 150


def test_report_raises_naming_the_uri_when_the_s3_label_store_cannot_be_listed(
    tmp_path: Path, tiny_bundle: Path, s3_endpoint: str
) -> None:
    from monitoring.performance_job import run

    settings = _settings(tmp_path, tiny_bundle, labels_dir="s3://no-such-bucket/labels")
    with pytest.raises(PublishError, match="s3://no-such-bucket/labels"):
        run(settings)

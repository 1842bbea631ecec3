"""Verdict documents become Prometheus gauges: pushed to a Pushgateway, or served from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitoring.verdicts import (
    LatestVerdicts,
    PushError,
    drift_families,
    performance_families,
    push,
)
from pushgateway_stub import Recorder
from support import free_port

DRIFT = {
    "start": "2026-11-26T15:00:00+00:00",
    "end": "2026-11-26T16:00:00+00:00",
    "versions": [
        {
            "model_version": "v1",
            "rows": 300,
            "drift_share": 0.2,
            "drift": True,
            "failed_tests": ["missing share of total_bedrooms"],
            "columns": {
                "median_income": {"score": 0.31, "threshold": 0.12, "drifted": True},
                "latitude": {"score": 0.02, "threshold": 0.1, "drifted": False},
            },
        },
        {"model_version": "v2", "rows": 4, "verdict": "insufficient data", "columns": {}},
        {"model_version": "v3", "rows": 900, "verdict": "drift", "columns": {}},
    ],
}
PERFORMANCE = {
    "end": "2026-11-26T16:00:00+00:00",
    "versions": [
        {
            "model_version": "v1",
            "status": "degraded",
            "labelled_rows": 500,
            "rmse": 61000.0,
            "rmse_ci_lower": 55000.0,
            "rmse_ci_upper": 67000.0,
            "rmse_limit": 45000.0,
            "mae": 40000.0,
            "coverage": 0.71,
            "promised_coverage": 0.9,
        }
    ],
}


def _text(*families: Any) -> str:
    registry = CollectorRegistry(auto_describe=False)

    class Fixed:
        def collect(self) -> Any:
            return families

    registry.register(Fixed())  # type: ignore[arg-type]
    return generate_latest(registry).decode()


def test_drift_gauges_carry_the_verdict_per_version_and_column_when_built() -> None:
    text = _text(*drift_families(DRIFT))
    assert 'housing_drift_alarm{model_version="v1"} 1.0' in text
    assert 'housing_drift_alarm{model_version="v2"} 0.0' in text  # no verdict: never pages
    assert 'housing_drift_insufficient_data{model_version="v2"} 1.0' in text
    assert 'housing_drift_alarm{model_version="v3"} 1.0' in text  # the gate's "verdict" field
    assert 'housing_drift_detected{column="median_income",model_version="v1"} 1.0' in text
    assert 'housing_drift_detected{column="latitude",model_version="v1"} 0.0' in text
    assert 'housing_drift_score{column="median_income",model_version="v1"} 0.31' in text
    assert 'housing_drift_threshold{column="median_income",model_version="v1"} 0.12' in text
    assert 'housing_drift_window_rows{model_version="v1"} 300.0' in text
    assert 'housing_drift_failed_tests{model_version="v1"} 1.0' in text
    assert "housing_drift_last_run_timestamp_seconds 1.7957088e+09" in text


def test_performance_gauges_say_degraded_only_when_the_status_says_so() -> None:
    text = _text(*performance_families(PERFORMANCE))
    assert 'housing_performance_degraded{model_version="v1"} 1.0' in text
    assert 'housing_performance_rmse_ci_lower{model_version="v1"} 55000.0' in text
    assert 'housing_performance_interval_coverage{model_version="v1"} 0.71' in text
    ok = {"versions": [{**PERFORMANCE["versions"][0], "status": "ok"}]}
    assert 'housing_performance_degraded{model_version="v1"} 0.0' in _text(
        *performance_families(ok)
    )


def test_push_replaces_the_job_group_on_the_pushgateway_when_a_url_is_set(
    gateway: tuple[str, type[Recorder]],
) -> None:
    url, recorder = gateway
    push(drift_families(DRIFT), url, job="housing-drift")
    [(method, path, body)] = recorder.received
    assert (method, path) == ("PUT", "/metrics/job/housing-drift")  # PUT: the whole group
    assert 'housing_drift_alarm{model_version="v1"} 1.0' in body
    assert 'housing_drift_detected{column="median_income",model_version="v1"} 1.0' in body


def test_push_raises_push_error_naming_the_url_when_the_gateway_refuses(
    gateway: tuple[str, type[Recorder]],
) -> None:
    url, recorder = gateway
    recorder.status = 500
    with pytest.raises(PushError, match=r"pushgateway_url: push to 'http://127\.0\.0\.1"):
        push(drift_families(DRIFT), url, job="housing-drift")


def test_push_raises_push_error_when_nothing_listens() -> None:
    with pytest.raises(PushError, match="failed"):
        push(drift_families(DRIFT), f"http://127.0.0.1:{free_port()}", job="housing-drift")


def test_latest_verdicts_serve_the_newest_documents_when_scraped(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    registry.register(LatestVerdicts([tmp_path / "drift", tmp_path / "perf"]))
    assert "housing_drift_alarm{" not in generate_latest(registry).decode()  # nothing yet
    old = {**DRIFT, "versions": [{**DRIFT["versions"][0], "drift": False}]}
    (tmp_path / "drift").mkdir()
    (tmp_path / "perf").mkdir()
    (tmp_path / "drift" / "20261126T150000Z-summary.json").write_text(json.dumps(old))
    (tmp_path / "drift" / "20261126T160000Z-drift.json").write_text(json.dumps(DRIFT))
    (tmp_path / "perf" / "20261126T160000Z-performance.json").write_text(json.dumps(PERFORMANCE))
    text = generate_latest(registry).decode()
    assert 'housing_drift_alarm{model_version="v1"} 1.0' in text
    assert 'housing_performance_degraded{model_version="v1"} 1.0' in text
    (tmp_path / "drift" / "20261126T170000Z-summary.json").write_text('{"versions": [')  # partial
    assert 'housing_drift_alarm{model_version="v1"} 1.0' in generate_latest(registry).decode()


def test_drift_job_pushes_its_verdict_when_a_pushgateway_url_is_set(
    tmp_path: Path, tiny_bundle: Path, gateway: tuple[str, type[Recorder]]
) -> None:
    from datetime import timedelta

    from model.bundle import load_bundle
    from monitoring.job import run
    from monitoring.settings import DriftSettings
    from monitoring_helpers import NOW, write_window

    url, recorder = gateway
    bundle = load_bundle(tiny_bundle)
    frame = bundle.reference().sample(300, random_state=0).reset_index(drop=True)
    frame["median_income"] *= 1.5
    write_window(tmp_path / "events", frame, version=bundle.version, ts=NOW - timedelta(minutes=5))
    run(
        DriftSettings(
            events_uri=str(tmp_path / "events"),
            bundles_uri=str(tiny_bundle.parent),
            workspace=str(tmp_path / "ws"),
            reports_dir=tmp_path / "reports",
            start=(NOW - timedelta(hours=1)).isoformat(),
            end=NOW.isoformat(),
            pushgateway_url=url,
        )
    )
    [(_, path, body)] = recorder.received
    assert path == "/metrics/job/housing-drift"
    assert f'housing_drift_alarm{{model_version="{bundle.version}"}} 1.0' in body
    detected = f'housing_drift_detected{{column="median_income",model_version="{bundle.version}"}}'
    assert f"{detected} 1.0" in body


def test_collector_serves_the_verdict_gauges_on_metrics_when_no_pushgateway_is_used(
    tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient

    from monitoring.app import create_app
    from monitoring.collector_settings import CollectorSettings

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "20261126T160000Z-summary.json").write_text(json.dumps(DRIFT))
    settings = CollectorSettings(
        events_uri=str(tmp_path / "events"),
        collector_pending_dir=tmp_path / "pending",
        verdict_dirs=[str(reports)],
    )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'housing_drift_alarm{model_version="v1"} 1.0' in answer.text

"""Startup refuses bad bundles (exit 2, one JSON line); shutdown flushes the event log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from predictor_helpers import PredictorProcess, output, train, v2_request

from model.bundle import LOWER, PREDICTION, UPPER
from model.events import PredictionEvent


def refused(proc: PredictorProcess) -> dict:
    assert proc.wait_exit() == 2
    lines = proc.log_lines()
    [line] = [e for e in lines if e["event"] == "startup_refused"]
    assert line["level"] == "ERROR"
    return line


def test_predictor_exits_2_naming_file_when_bundle_tampered(tiny_bundle, tmp_path):
    bundle = tmp_path / tiny_bundle.name
    shutil.copytree(tiny_bundle, bundle)
    with (bundle / "pipeline.joblib").open("ab") as fh:
        fh.write(b"\0")
    line = refused(PredictorProcess(bundle, tmp_path / "out.jsonl"))
    assert "bundle failed verification: pipeline.joblib: sha256:" in line["error"]


def test_predictor_exits_2_when_bundle_missing(tmp_path):
    line = refused(PredictorProcess(tmp_path / "nothing-here", tmp_path / "out.jsonl"))
    assert line["error"].endswith("nothing-here: no such bundle directory")


def test_predictor_exits_2_when_events_uri_is_remote(tiny_bundle, tmp_path):
    proc = PredictorProcess(tiny_bundle, tmp_path / "out.jsonl", "--events_uri", "s3://b/p")
    assert "local directory only" in refused(proc)["error"]


@pytest.fixture(scope="module")
def plain_bundle(housing_csv, tmp_path_factory) -> Path:
    """A bundle trained without quantile models."""
    return train(housing_csv, tmp_path_factory.mktemp("plain"), "--no-intervals")


def test_infer_returns_400_naming_version_when_bundle_has_no_interval_models(
    plain_bundle, rows, tmp_path
):
    proc = PredictorProcess(plain_bundle, tmp_path / "out.jsonl")
    try:
        proc.wait_ready()
        meta = proc.client.get("/v2/models/housing").json()
        assert [o["name"] for o in meta["outputs"]] == [PREDICTION]
        response = proc.infer(v2_request(rows.head(2), outputs=[PREDICTION, UPPER]))
        assert response.status_code == 400
        assert response.json() == {
            "error": f"outputs: {LOWER}/{UPPER} are not available: model "
            f"version {plain_bundle.name} was trained without interval "
            "models"
        }
        assert proc.infer(v2_request(rows.head(2))).status_code == 200
    finally:
        assert proc.stop() == 0


def test_event_log_holds_every_served_request_when_stopped_by_sigterm(tiny_bundle, rows, tmp_path):
    events = tmp_path / "events"
    proc = PredictorProcess(
        tiny_bundle, tmp_path / "out.jsonl", env={"HOUSING_EVENTS_URI": str(events)}
    )
    proc.wait_ready()
    sent = {}
    for i in range(12):
        batch = rows.iloc[i : i + 1 + i % 4]
        response = proc.infer(v2_request(batch, id=f"ev-{i}"))
        sent[f"ev-{i}"] = (batch, output(response, PREDICTION))
    assert proc.infer(v2_request(rows.head(1).assign(population=-1.0))).status_code == 400
    assert proc.stop() == 0  # SIGTERM straight after the last response: the queue is flushed
    lines = [line for f in sorted(events.rglob("*.jsonl")) for line in f.read_text().splitlines()]
    got = {e.request_id: e for e in map(PredictionEvent.from_line, lines)}
    assert sorted(got) == sorted(sent)  # 12 served -> 12 events; the 400 is not an event
    for request_id, (batch, prediction) in sent.items():
        event = got[request_id]
        assert (event.source, event.model_name, event.model_version) == (
            "predictor",
            "housing",
            tiny_bundle.name,
        )
        assert event.rows == len(batch)
        assert event.inputs["median_income"] == batch["median_income"].tolist()
        assert event.inputs["ocean_proximity"] == batch["ocean_proximity"].tolist()
        assert event.outputs == {PREDICTION: prediction}
        assert event.latency_ms is not None and event.latency_ms > 0

"""The collector's /metrics: quarantined (dead-lettered) items counted by reason, from 0."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from monitoring.app import create_app
from monitoring.collector_settings import CollectorSettings
from monitoring.pending import KINDS
from monitoring_helpers import kserve_headers, v2_request

NAME = "housing_collector_dead_letters"


def _settings(tmp: Path) -> CollectorSettings:
    return CollectorSettings(
        events_uri=str(tmp / "events"),
        collector_pending_dir=tmp / "pending",
        verdict_dirs=[],
    )


def _dead_letters(client: TestClient) -> dict[str, float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    [family] = [f for f in text_string_to_metric_families(answer.text) if f.name == NAME]
    assert family.type == "counter"
    return {s.labels["reason"]: s.value for s in family.samples if s.name == NAME + "_total"}


def _poison_log(pending: Path) -> None:
    # What an older collector acknowledged (a lone surrogate in a cell), then a line cut off by
    # a crash mid-write: both are quarantined on start.
    record = {
        "op": "add",
        "key": "poison",
        "id": "poison",
        "kind": "request",
        "received": 0.0,
        "attrs": {"ce-id": "poison"},
        "tensors": {"ocean_proximity": ["\ud800"]},
    }
    pending.mkdir(parents=True)
    (pending / "pending.jsonl").write_text(json.dumps(record) + "\n" + '{"op": "add", "ke')


def test_metrics_count_every_reason_from_zero_when_nothing_was_quarantined(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        sent = client.post("/", content=v2_request(rows), headers=kserve_headers("request", "a"))
        counts = _dead_letters(client)
    assert sent.status_code == 200
    assert counts == dict.fromkeys(KINDS, 0.0)


def test_poison_in_the_pending_log_shows_on_metrics_by_reason_when_the_collector_starts(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    _poison_log(tmp_path / "pending")
    with TestClient(create_app(_settings(tmp_path))) as client:
        counts = _dead_letters(client)
        health = client.get("/healthz").json()
        sent = client.post("/", content=v2_request(rows), headers=kserve_headers("request", "b"))
        after = _dead_letters(client)
    assert counts == {
        "pending_oversize": 0.0,
        "pending_unreadable": 1.0,  # the cut-off line
        "pending_invalid": 1.0,  # the surrogate
        "unserialisable": 0.0,
    }
    assert health["dead_letters"] == sum(counts.values())
    assert (sent.status_code, after) == (200, counts)  # the pipeline moved on; no new dead letter
    dead = [
        json.loads(line)
        for line in (tmp_path / "pending" / "dead-letter.jsonl").read_text().splitlines()
    ]
    assert sorted(d["kind"] for d in dead) == ["pending_invalid", "pending_unreadable"]

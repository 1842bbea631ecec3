"""The collector over HTTP (TestClient, real app): KServe's exact CloudEvents in, events out."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from model.bundle import PREDICTION
from monitoring.app import create_app
from monitoring.collector_settings import CollectorSettings
from monitoring_helpers import MODEL_VERSION, kserve_headers, stored_events, v2_request, v2_response


@pytest.fixture
def settings(tmp_path: Path) -> CollectorSettings:
    return CollectorSettings(
        events_uri=str(tmp_path / "events"),
        collector_pending_dir=tmp_path / "pending",
        collector_orphan_timeout_s=0.3,
    )


def _send(client: TestClient, kind: str, ce_id: str, body: bytes, **kw: str):
    return client.post("/", content=body, headers=kserve_headers(kind, ce_id, **kw))


def test_collector_stores_one_paired_event_when_request_then_response_arrive(
    settings: CollectorSettings, rows: pd.DataFrame
) -> None:
    ce_id = str(uuid.uuid4())
    with TestClient(create_app(settings)) as client:
        first = _send(client, "request", ce_id, v2_request(rows))
        second = _send(client, "response", ce_id, v2_response([1.0, 2.0, 3.0]))
    assert (first.status_code, first.json()) == (200, {"status": "pending", "id": ce_id})
    assert (second.status_code, second.json()) == (200, {"status": "stored", "id": ce_id})
    [event] = stored_events(Path(settings.events_uri))
    assert (event.kind, event.request_id, event.model_version, event.source) == (
        "prediction",
        ce_id,
        MODEL_VERSION,
        "collector",
    )
    assert event.inputs["median_income"] == rows["median_income"].tolist()
    assert event.outputs == {PREDICTION: [1.0, 2.0, 3.0]}


def test_collector_pairs_when_response_arrives_before_request_without_content_type(
    settings: CollectorSettings, rows: pd.DataFrame
) -> None:
    # KServe's workers send both halves concurrently, with the request's (maybe empty) type.
    ce_id = str(uuid.uuid4())
    with TestClient(create_app(settings)) as client:
        _send(client, "response", ce_id, v2_response([1.0, 2.0, 3.0]), content_type="")
        _send(client, "request", ce_id, v2_request(rows), content_type="")
    assert [e.kind for e in stored_events(Path(settings.events_uri))] == ["prediction"]


@pytest.mark.parametrize(
    ("kind", "orphan"), [("request", "request_only"), ("response", "response_only")]
)
def test_collector_stores_orphan_when_partner_never_arrives(
    settings: CollectorSettings, rows: pd.DataFrame, kind: str, orphan: str
) -> None:
    body = v2_request(rows) if kind == "request" else v2_response([1.0, 2.0, 3.0])
    with TestClient(create_app(settings)) as client:
        assert _send(client, kind, "lonely", body).status_code == 200
        for _ in range(50):
            if client.get("/healthz").json()["waiting"] == 0:
                break
            time.sleep(0.1)
    [event] = stored_events(Path(settings.events_uri))
    assert (event.kind, event.request_id) == (orphan, "lonely")
    assert "no " in (event.error or "")


def test_collector_loses_no_pending_half_when_restarted(
    settings: CollectorSettings, rows: pd.DataFrame
) -> None:
    settings.collector_orphan_timeout_s = 3600
    with TestClient(create_app(settings)) as client:
        assert _send(client, "request", "survivor", v2_request(rows)).status_code == 200
    assert stored_events(Path(settings.events_uri)) == []
    with TestClient(create_app(settings)) as client:  # a new process would replay the same log
        assert client.get("/healthz").json()["waiting"] == 1
        assert (
            _send(client, "response", "survivor", v2_response([1.0, 2.0, 3.0])).json()["status"]
            == "stored"
        )
    [event] = stored_events(Path(settings.events_uri))
    assert (event.kind, event.request_id) == ("prediction", "survivor")


DEEP = b'{"inputs": [{"name": "x", "data": ' + b"[" * 900 + b"1" + b"]" * 900 + b"}]}"


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"drop": "Ce-Id"}, 400, "ce-id: missing header"),
        ({"drop": "Ce-Specversion"}, 400, "ce-specversion: missing header"),
        ({"set": ("Ce-Type", "com.example.other")}, 400, "ce-type: 'com.example.other' not in"),
        ({"set": ("Ce-Specversion", "0.3")}, 400, "is not '1.0'"),
        ({"set": ("Ce-Time", "0001-01-01T00:00:00+01:00")}, 400, "ce-time: '0001-01-01T00:00"),
        ({"set": ("Ce-Time", "9999-12-31T23:59:59-01:00")}, 400, "no UTC time within years"),
        ({"set": ("Ce-Time", "yesterday")}, 400, "ce-time: 'yesterday' is not an RFC 3339"),
        ({"set": ("Ce-Id", "x" * 1025)}, 400, "ce-id: longer than 1024 characters"),
        (
            {"set": ("Content-Type", "application/cloudevents+json")},
            415,
            "content-type: structured content mode",
        ),
        ({"body": b"not json"}, 400, "body: not JSON"),
        ({"body": b"[" * 5000 + b"]" * 5000}, 400, "body: not JSON"),
        ({"body": DEEP}, 400, "body.inputs[0].data: nested deeper than 32 levels"),
        ({"body": b'{"inputs": [{"name": "\\ud800", "data": [1]}]}'}, 400, "body: not JSON"),
        ({"body": b'{"inputs": [{"name": "x", "data": ["\xff"]}]}'}, 400, "body: not JSON"),
        ({"body": b'{"inputs": [{"name": "x", "data": [NaN]}]}'}, 400, "body: not JSON"),
        ({"body": b'{"instances": [[1, 2]]}'}, 400, "not a V2 inference payload"),
        (
            {"body": b'{"inputs": [{"name": "x", "data": [{"a": 1}]}]}'},
            400,
            "body.inputs[0].data: {'a': 1} is not a number, a string or null",
        ),
        (
            {"body": b'{"inputs": [{"name": "x", "data": [true]}]}'},
            400,
            "body.inputs[0].data: True is not a number, a string or null",
        ),
        (
            {"body": b'{"inputs": [{"name": "a", "data": [1, 2]}, {"name": "b", "data": [1]}]}'},
            400,
            "body.inputs: tensors differ in length: {'a': 2, 'b': 1}",
        ),
    ],
)
def test_collector_returns_4xx_with_reason_and_stores_nothing_when_event_is_bad(
    settings: CollectorSettings, rows: pd.DataFrame, change: dict, status: int, reason: str
) -> None:
    headers = kserve_headers("request", "bad")
    if "drop" in change:
        del headers[change["drop"]]
    if "set" in change:
        headers[change["set"][0]] = change["set"][1]
    with TestClient(create_app(settings)) as client:
        answer = client.post("/", content=change.get("body", v2_request(rows)), headers=headers)
        waiting = client.get("/healthz").json()["waiting"]
    assert answer.status_code == status
    assert reason in answer.json()["error"]
    assert waiting == 0 and stored_events(Path(settings.events_uri)) == []


def test_collector_healthz_returns_ok_when_started(settings: CollectorSettings) -> None:
    with TestClient(create_app(settings)) as client:
        answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (
        200,
        {"status": "ok", "waiting": 0, "duplicates": 0, "dead_letters": 0},
    )


@pytest.mark.parametrize("declared", [True, False])
def test_collector_returns_413_naming_the_limit_when_body_is_one_byte_over_it(
    settings: CollectorSettings, declared: bool
) -> None:
    settings.collector_max_body_bytes = 1024
    body = b'{"inputs": [{"name": "x", "data": [' + b"1," * 600
    headers = kserve_headers("request", "big")

    def chunks():  # no Content-Length: the limit must hold while streaming
        yield body[:1024]
        yield body[1024:1025]

    with TestClient(create_app(settings)) as client:
        at_limit = client.post("/", content=body[:1024], headers=headers)
        over = client.post("/", content=body[:1025] if declared else chunks(), headers=headers)
    assert at_limit.status_code == 400  # read whole at the limit (and not JSON)
    assert over.status_code == 413
    assert over.json()["error"].startswith("body: ")
    assert "limit of 1024" in over.json()["error"]
    assert "HOUSING_COLLECTOR_MAX_BODY_BYTES" in over.json()["error"]

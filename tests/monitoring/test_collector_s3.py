"""The s3:// event store: one object per flush batch, read back by the drift job's reader."""

from __future__ import annotations

import socket
from datetime import timedelta

import boto3
import pytest
from moto.server import ThreadedMotoServer

from model.bundle import PREDICTION
from model.events import PredictionEvent
from model.schema import RAW_COLUMNS
from monitoring.events_source import read_window
from monitoring.store import open_sink
from monitoring_helpers import MODEL_VERSION, NOW


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch):
    """A real S3-compatible server (moto) on a free loopback port, with bucket ``events``."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket="events")
    yield url
    server.stop()


def test_s3_sink_writes_one_object_per_batch_and_reader_gets_every_row_when_store_is_s3(
    endpoint: str,
) -> None:
    sink = open_sink("s3://events/housing", endpoint)
    event = PredictionEvent(
        ts=NOW - timedelta(minutes=5),
        request_id="r",
        model_version=MODEL_VERSION,
        inputs={c: [1.0, 2.0] for c in RAW_COLUMNS},
        outputs={PREDICTION: [3.0, 4.0]},
        source="collector",
    )
    sink.write([event, event.model_copy(update={"request_id": "s"})])
    sink.write([event.model_copy(update={"request_id": "t"})])
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket="events")
    keys = [o["Key"] for o in listing["Contents"]]
    window = read_window(
        "s3://events/housing", NOW - timedelta(hours=1), NOW, s3_endpoint_url=endpoint
    )
    assert len(keys) == 2 and all(k.startswith(f"housing/dt={NOW:%Y-%m-%d}/hour=") for k in keys)
    assert (window.events[MODEL_VERSION], len(window.frames[MODEL_VERSION])) == (3, 6)

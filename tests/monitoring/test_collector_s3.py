"""The s3:// event store: one object per flush batch, read back by the drift job's reader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest

from model.bundle import PREDICTION
from model.events import PredictionEvent, open_writer, read_window
from model.schema import RAW_COLUMNS
from monitoring_helpers import MODEL_VERSION, NOW
from support import moto_s3


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto on loopback with bucket ``events``."""
    with moto_s3("events", monkeypatch) as url:
        yield url


def test_s3_sink_writes_one_object_per_batch_and_reader_gets_every_row_when_store_is_s3(
    endpoint: str,
) -> None:
    sink = open_writer("s3://events/housing", "collector-test", s3_endpoint_url=endpoint)
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

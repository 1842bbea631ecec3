"""In-process checks: readiness before/after load on KServe's own app, and the event queue."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from predictor_helpers import v2_request
from prometheus_client import CollectorRegistry

from model.events import EventStoreWriter
from predictor.event_log import EventLog, Served
from predictor.metrics import Metrics


@pytest.fixture(scope="module")
def unloaded(tiny_bundle: Path):
    """KServe's app (as ModelServer.start builds it) serving a HousingPredictor not yet loaded."""
    argv, sys.argv = sys.argv, [sys.argv[0]]  # kserve.model_server parses argv on import
    try:
        from kserve import ModelServer
        from kserve.model_server import app
        from kserve.protocol.rest.server import RESTServer
    finally:
        sys.argv = argv
    from predictor.predictor import HousingPredictor
    from predictor.rest import add_infer_route

    model = HousingPredictor(
        "housing", tiny_bundle, max_batch_rows=10, metrics=Metrics(CollectorRegistry())
    )
    server = ModelServer(enable_grpc=False)
    server.register_model(model)
    add_infer_route(app, server.dataplane)  # as predictor.server.run does, before KServe's
    RESTServer(
        "kserve.model_server:app", server.dataplane, server.model_repository_extension, 0
    ).create_application()
    with TestClient(app) as client:
        yield model, client


def test_model_ready_returns_503_until_bundle_loaded_then_200(unloaded, rows):
    model, client = unloaded
    assert client.get("/v2/models/housing/ready").status_code == 503
    response = client.post("/v2/models/housing/infer", json=v2_request(rows.head(1)))
    assert response.status_code == 503
    assert response.json() == {"error": "Model with name housing is not ready."}
    model.load()
    assert client.get("/v2/models/housing/ready").json() == {"name": "housing", "ready": True}
    assert client.post("/v2/models/housing/infer", json=v2_request(rows.head(1))).status_code == 200


class _SlowWriter(EventStoreWriter):
    def __init__(self, root: Path) -> None:
        super().__init__(root, "test")
        self.release = threading.Event()

    def write(self, events):
        self.release.wait(10)
        return super().write(events)


def test_event_log_drops_and_counts_without_blocking_when_queue_full(tmp_path):
    writer = _SlowWriter(tmp_path)
    dropped, written = [], []
    log = EventLog(
        writer,
        model_name="housing",
        queue_size=2,
        on_dropped=dropped.append,
        on_written=written.append,
    )
    served = Served(
        __import__("datetime").datetime.now(),
        "r",
        "v",
        {"median_income": np.array([1.0])},
        {"median_house_value": np.array([2.0])},
        1.0,
    )
    for _ in range(10):  # returns at once every time: two queued, eight dropped and counted
        log.submit(served)
    assert (sum(dropped), written) == (8, [])
    writer.release.set()
    log.start()
    log.close()
    assert (sum(dropped), sum(written)) == (8, 2)


def test_health_says_not_ready_and_not_live_once_model_is_gone(tiny_bundle):
    import asyncio

    from kserve.model_repository import ModelRepository

    from predictor.plane import HealthDataPlane
    from predictor.predictor import HousingPredictor

    registry = ModelRepository()
    model = HousingPredictor(
        "housing", tiny_bundle, max_batch_rows=10, metrics=Metrics(CollectorRegistry())
    )
    registry.update(model)
    plane = HealthDataPlane("housing", model_registry=registry)

    def health() -> tuple[bool, str]:
        return asyncio.run(plane.ready()), asyncio.run(plane.live())["status"]

    assert health() == (False, "alive")  # registered, bundle not loaded yet
    model.load()
    assert health() == (True, "alive")
    plane.draining = True  # SIGTERM: no new traffic, still alive
    assert health() == (False, "alive")
    plane.draining = False
    registry.unload("housing")  # what KServe's repository unload did from the data plane
    assert health() == (False, "dead")

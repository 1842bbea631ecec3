"""Monitoring test helpers: CloudEvents exactly as KServe's logger sends them, and event windows.

The CloudEvents follow kserve/kserve pkg/logger (handler.go, worker.go): binary mode, the same
ce-id on request and response, the request's Content-Type on both, the extensions
inferenceservicename/namespace/component/endpoint/metadata, a V2 JSON body.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from model.bundle import PREDICTION
from model.events import EventStoreWriter, PredictionEvent
from model.schema import CATEGORICAL, RAW_COLUMNS
from monitoring.cloudevents import Half, parse

REQUEST = "org.kubeflow.serving.inference.request"
RESPONSE = "org.kubeflow.serving.inference.response"
MODEL_VERSION = "20261126T160000Z-abc1234"
REPO = Path(__file__).resolve().parents[2]


def kserve_headers(
    kind: str,
    ce_id: str,
    *,
    content_type: str = "application/json",
    time: str = "2026-11-26T16:00:00.123456789Z",
) -> dict[str, str]:
    """The headers sdk-go's binary encoding puts on one of KServe's logger events."""
    headers = {
        "Ce-Id": ce_id,
        "Ce-Source": "http://localhost:9081/",
        "Ce-Specversion": "1.0",
        "Ce-Type": REQUEST if kind == "request" else RESPONSE,
        "Ce-Time": time,
        "Ce-Inferenceservicename": "housing",
        "Ce-Namespace": "default",
        "Ce-Component": "predictor",
        "Ce-Endpoint": "default",
        "Ce-Metadata": "{}",
    }
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def v2_request(rows: pd.DataFrame) -> bytes:
    """The V2 infer body our clients send: one input per raw column, shape [N]."""
    inputs = [
        {
            "name": c,
            "shape": [len(rows)],
            "datatype": "BYTES" if c == CATEGORICAL else "FP64",
            "data": rows[c].tolist(),
        }
        for c in RAW_COLUMNS
    ]
    return json.dumps({"id": str(uuid.uuid4()), "inputs": inputs}).encode()


def v2_response(predictions: list[float], version: str = MODEL_VERSION) -> bytes:
    """The predictor's V2 reply."""
    return json.dumps(
        {
            "model_name": "housing",
            "model_version": version,
            "id": "x",
            "parameters": {},
            "outputs": [
                {
                    "name": PREDICTION,
                    "shape": [len(predictions)],
                    "datatype": "FP64",
                    "data": predictions,
                }
            ],
        }
    ).encode()


def stored_events(root: Path) -> list[PredictionEvent]:
    """Every event line under an event store directory, parsed with the shared class."""
    return [
        PredictionEvent.from_line(line)
        for f in sorted(root.rglob("*.jsonl"))
        for line in f.read_text().splitlines()
        if line.strip()
    ]


def write_window(
    root: Path, frame: pd.DataFrame, *, version: str, ts: datetime, rows_per_event: int = 10
) -> int:
    """Write ``frame`` (raw columns + ``prediction``) as events of ``rows_per_event`` rows."""
    events = []
    for i in range(0, len(frame), rows_per_event):
        part = frame.iloc[i : i + rows_per_event]
        inputs: dict[str, list[Any]] = {
            c: [None if pd.isna(v) else v for v in part[c].tolist()] for c in RAW_COLUMNS
        }
        events.append(
            PredictionEvent(
                ts=ts,
                request_id=str(uuid.uuid4()),
                model_version=version,
                inputs=inputs,
                outputs={PREDICTION: part["prediction"].astype(float).tolist()},
            )
        )
    return EventStoreWriter(root, f"test-{uuid.uuid4().hex[:6]}").write(events)


NOW = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)


class Clock:
    """Epoch seconds that move only when the test says so (the collector's ``clock``)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def half(kind: str, ce_id: str, body: bytes, clock: Clock) -> Half:
    """One CloudEvent half as the collector's app parses it, received at ``clock()``."""
    headers = {k.lower(): v for k, v in kserve_headers(kind, ce_id).items()}
    return parse(headers, body, clock())


def start_collector(port: int, tmp: Path, *flags: str) -> subprocess.Popen[bytes]:
    """A real ``housing-collector`` on loopback storing under ``tmp``; returns once it answers."""
    cmd = [
        sys.executable,
        "-c",
        "import sys; from monitoring.collector_main import main; sys.exit(main())",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--events-uri",
        str(tmp / "events"),
        "--pending-dir",
        str(tmp / "pending"),
        *flags,
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "HOUSING_LOG_LEVEL": "WARNING"})
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("collector did not start")


@contextmanager
def collector_process(port: int, tmp: Path, *flags: str) -> Iterator[subprocess.Popen[bytes]]:
    """``start_collector``, then SIGTERM and wait for it on the way out (its exit code is then in
    ``returncode``)."""
    proc = start_collector(port, tmp, *flags)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def wait_until_idle(port: int, timeout_s: float = 60) -> None:
    """Until no half waits for its partner (orphans stored)."""
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["waiting"]:
        if time.monotonic() > deadline:
            raise TimeoutError("halves still waiting")
        time.sleep(0.1)

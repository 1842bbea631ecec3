"""N in, N out: a real ``housing-collector`` process on loopback, several concurrent clients."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd

from monitoring_helpers import (
    kserve_headers,
    start_collector,
    stored_events,
    v2_request,
    v2_response,
)
from support import free_port

INFERENCES, CLIENTS = 400, 8


def _client(port: int, ids: list[int], rows: pd.DataFrame) -> list[int]:
    statuses = []
    request, response = v2_request(rows), v2_response([1.0, 2.0, 3.0])
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for i in ids:  # alternate which half arrives first, as KServe's workers race
            halves = [("request", request), ("response", response)][:: 1 if i % 2 else -1]
            for kind, body in halves:
                statuses.append(
                    client.post(
                        "/", content=body, headers=kserve_headers(kind, f"load-{i}")
                    ).status_code
                )
    return statuses


def test_collector_stores_exactly_n_events_when_n_inferences_arrive_from_concurrent_clients(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    port = free_port()
    proc = start_collector(port, tmp_path)
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            chunks = [list(range(INFERENCES))[c::CLIENTS] for c in range(CLIENTS)]
            statuses = [
                s for part in pool.map(lambda ids: _client(port, ids, rows), chunks) for s in part
            ]
        seconds = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    events = stored_events(tmp_path / "events")  # parses every line: none is torn
    print(
        f"{INFERENCES} inferences ({len(statuses)} CloudEvents) in {seconds:.1f} s from "
        f"{CLIENTS} clients -> {len(events)} events stored"
    )
    assert statuses == [200] * (2 * INFERENCES)
    assert sorted(e.request_id for e in events) == sorted(f"load-{i}" for i in range(INFERENCES))
    assert {e.kind for e in events} == {"prediction"}

"""A real ``housing-collector`` process under faults: SIGKILL and SIGTERM under load, oversize
bodies and a huge pending record, with the process's peak RSS held under the pod's limit."""

from __future__ import annotations

import json
import signal
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest

from model.schema import RAW_COLUMNS
from monitoring_helpers import (
    collector_process,
    kserve_headers,
    start_collector,
    stored_events,
    v2_request,
    v2_response,
    wait_until_idle,
)
from support import free_port

POD_LIMIT_MIB = 256  # the chart's collector memory limit
CLIENTS = 6


def _peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _client(port: int, ids: range, rows: pd.DataFrame, acked: dict[str, set[str]]) -> None:
    """Send both halves of each inference until the server goes away; note what got a 200."""
    request, response = v2_request(rows), v2_response([1.0, 2.0, 3.0])
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for i in ids:
            halves = [("request", request), ("response", response)][:: 1 if i % 2 else -1]
            for kind, body in halves:
                try:
                    answer = client.post("/", content=body, headers=kserve_headers(kind, f"f-{i}"))
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    acked[f"f-{i}"].add(kind)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_collector_stores_every_acknowledged_half_when_signalled_under_load(
    tmp_path: Path, rows: pd.DataFrame, sig: signal.Signals
) -> None:
    port = free_port()
    proc = start_collector(port, tmp_path)
    acked: dict[str, set[str]] = defaultdict(set)
    with ThreadPoolExecutor(CLIENTS) as pool:
        for c in range(CLIENTS):
            pool.submit(_client, port, range(c * 10_000, (c + 1) * 10_000), rows, acked)
        while sum(len(k) for k in list(acked.values())) < 300:
            time.sleep(0.01)
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    with collector_process(port, tmp_path, "--orphan-timeout-s", "0.2") as restarted:
        wait_until_idle(port)
    assert restarted.returncode == 0
    events = stored_events(tmp_path / "events")
    stored = {e.request_id for e in events}
    paired = {e.request_id for e in events if e.kind == "prediction"}
    halves = sum(len(k) for k in acked.values())
    both = {i for i, kinds in acked.items() if len(kinds) == 2}
    lost = {i for i in acked if i not in stored} | (both - paired)
    print(
        f"\n{sig.name}: exit {code}; {halves} halves of {len(acked)} inferences acknowledged, "
        f"{len(both)} with both; {len(events)} events stored ({len(paired)} paired); "
        f"lost {len(lost)}"
    )
    assert lost == set()
    if sig == signal.SIGTERM:
        assert code == 0


def _big_request(rows: int, width: int) -> bytes:
    """A V2 request of ``rows`` rows, every cell a string of ``width`` characters."""
    data = ["x" * width] * rows
    return json.dumps({"inputs": [{"name": c, "data": data} for c in RAW_COLUMNS]}).encode()


def _post(port: int, kind: str, ce_id: str, body: bytes | object) -> int:
    headers = kserve_headers(kind, ce_id)
    with httpx.Client(timeout=120) as client:
        answer = client.post(f"http://127.0.0.1:{port}/", content=body, headers=headers)
    return answer.status_code


def test_collector_peak_rss_stays_under_the_pod_limit_with_max_size_and_oversize_bodies(
    tmp_path: Path,
) -> None:
    limit, rows = 6 << 20, 10_000  # the default body limit; the predictor's default row limit
    request = _big_request(rows, width=limit // (rows * len(RAW_COLUMNS)) - 4)
    response = v2_response([0.5] * rows)
    dense = b'{"inputs": [{"name": "x", "data": [' + b"0," * (limit // 2 - 64) + b"0]}]}"
    oversize = b"[" * (47 << 20)
    port = free_port()
    with collector_process(port, tmp_path) as proc:
        started = _peak_rss_mib(proc.pid)
        codes = [_post(port, "request", "big", request), _post(port, "response", "big", response)]
        with ThreadPoolExecutor(3) as pool:  # three at once, left waiting for their partner
            codes += pool.map(lambda i: _post(port, "request", f"c{i}", request), range(3))
        refused = [_post(port, "request", "dense", dense), _post(port, "request", "huge", oversize)]
        refused.append(_post(port, "request", "huge", iter([oversize[: 1 << 20]] * 47)))
        peak = _peak_rss_mib(proc.pid)
    print(
        f"\ncollector RSS: {started:.0f} MiB at start, peak {peak:.0f} MiB "
        f"({len(request)} B requests, a {len(dense)} B dense body, a 47 MiB body)"
    )
    assert codes == [200] * 5 and refused == [413] * 3
    assert len(request) <= limit and len(dense) <= limit
    assert peak < POD_LIMIT_MIB * 0.9
    [event] = [e for e in stored_events(tmp_path / "events") if e.request_id == "big"]
    assert event.kind == "prediction" and event.rows == rows


def test_collector_replays_past_a_huge_pending_record_under_the_pod_limit(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    # What a collector without a body limit left behind: one 47 MB half in the pending log.
    pending = tmp_path / "pending"
    pending.mkdir()
    head = {"op": "add", "key": "huge", "id": "huge", "kind": "response", "received": 0.0}
    with (pending / "pending.jsonl").open("w") as fh:
        fh.write(json.dumps(head)[:-1] + ', "attrs": {}, "tensors": {"median_house_value": [')
        for _ in range(47):
            fh.write("0.5," * (1 << 18))
        fh.write("0.5]}}\n")
    port = free_port()
    with collector_process(port, tmp_path) as proc:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert _post(port, "request", "after", v2_request(rows)) == 200
        peak = _peak_rss_mib(proc.pid)
    print(
        f"\ncollector replay of a {(pending / 'dead-letter.jsonl').stat().st_size} B dead letter:"
        f" peak RSS {peak:.0f} MiB"
    )
    assert (health["dead_letters"], health["waiting"]) == (1, 0)
    assert peak < POD_LIMIT_MIB * 0.9
    assert "longer than" in (pending / "dead-letter.jsonl").read_text()

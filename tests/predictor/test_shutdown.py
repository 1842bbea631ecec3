"""SIGTERM under load: every request already sent is answered, then the process exits 0."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pandas as pd
from predictor_helpers import PredictorProcess, v2_request

N = 40


def test_sigterm_under_load_answers_every_request_already_sent(tiny_bundle, rows, tmp_path):
    proc = PredictorProcess(tiny_bundle, tmp_path / "out.jsonl")
    proc.wait_ready()
    body = v2_request(pd.concat([rows] * 5).head(1000))  # ~10-50 ms of work each
    answers: list[int | str] = []
    sent = threading.Barrier(N + 1)

    def client() -> None:
        with httpx.Client(base_url=proc.url, timeout=60) as c:
            c.get("/v2/health/live")  # connection open before the burst
            sent.wait()
            try:
                answers.append(c.post("/v2/models/housing/infer", json=body).status_code)
            except httpx.HTTPError as e:
                answers.append(type(e).__name__)

    threads = [threading.Thread(target=client) for _ in range(N)]
    for t in threads:
        t.start()
    sent.wait()
    time.sleep(0.3)  # the requests are on the wire; most wait unread in socket buffers
    proc.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    assert proc.wait_exit(60) == 0
    assert sorted(answers, key=str) == [200] * N
    events = [line["event"] for line in proc.log_lines()]
    assert "draining" in events and "drained" in events
    proc.stop()


def test_sigterm_makes_readiness_fail_while_draining(tiny_bundle, rows, tmp_path):
    proc = PredictorProcess(tiny_bundle, tmp_path / "out.jsonl", env={"HOUSING_DRAIN_SECONDS": "3"})
    proc.wait_ready()
    body = v2_request(rows.head(5))
    stop = threading.Event()

    def keep_busy() -> None:  # a request every 0.2 s keeps the drain from ending early
        with httpx.Client(base_url=proc.url, timeout=30) as c:
            while not stop.is_set():
                try:
                    c.post("/v2/models/housing/infer", json=body)
                except httpx.HTTPError:
                    return
                time.sleep(0.2)

    busy = threading.Thread(target=keep_busy)
    busy.start()
    time.sleep(0.5)
    proc.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        ready = proc.client.get("/v2/health/ready")
        assert ready.status_code == 503
        assert proc.client.get("/v2/health/live").status_code == 200
        assert proc.infer(body).status_code == 200  # still serving while draining
    finally:
        stop.set()
        busy.join()
    assert proc.wait_exit(60) == 0
    proc.stop()

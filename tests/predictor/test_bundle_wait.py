"""First install: the predictor starts before training has published ``latest`` (chart form
``pvc://<claim>/latest`` mounts the claim root and sets HOUSING_BUNDLE_WAIT_SECONDS)."""

from __future__ import annotations

import os
import shutil
import time

from predictor_helpers import PredictorProcess, v2_request


def _until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception:  # the port is briefly closed between the wait server and KServe's
            result = None
        if result:
            return result
        time.sleep(0.3)
    raise TimeoutError("condition not met")


def test_predictor_waits_alive_not_ready_then_serves_when_bundle_is_published(
    tiny_bundle, tmp_path, sample_frame
):
    claim = tmp_path / "claim"
    claim.mkdir()
    proc = PredictorProcess(
        claim / "latest", tmp_path / "log.jsonl", env={"HOUSING_BUNDLE_WAIT_SECONDS": "120"}
    )
    try:
        live = _until(lambda: proc.client.get("/v2/health/live"))
        assert live.status_code == 200
        ready = proc.client.get("/v2/health/ready")
        assert ready.status_code == 503
        assert "no model bundle yet" in ready.json()["error"]
        assert str(claim / "latest") in ready.json()["error"]
        infer = proc.infer(v2_request(sample_frame.head(2)))
        assert infer.status_code == 503 and "no model bundle yet" in infer.json()["error"]

        shutil.copytree(tiny_bundle, claim / tiny_bundle.name)  # what training publishes
        os.symlink(tiny_bundle.name, claim / "latest")
        proc.wait_ready(timeout=90)
        response = proc.infer(v2_request(sample_frame.head(2)))
        assert response.status_code == 200, response.text
    finally:
        proc.stop()
    events = [line["event"] for line in proc.log_lines()]
    assert events.index("waiting_for_bundle") < events.index("bundle_appeared")
    assert "Traceback" not in proc.log.read_text()


def test_predictor_exits_2_naming_missing_bundle_when_wait_times_out(tmp_path):
    proc = PredictorProcess(
        tmp_path / "latest", tmp_path / "log.jsonl", env={"HOUSING_BUNDLE_WAIT_SECONDS": "2"}
    )
    assert proc.wait_exit(60) == 2
    proc.stop()
    lines = proc.log_lines()
    refused = next(line for line in lines if line["event"] == "startup_refused")
    assert str(tmp_path / "latest") in refused["error"]
    assert (
        "no such bundle directory" in refused["error"] or "not a model bundle" in refused["error"]
    )
    assert "Traceback" not in proc.log.read_text()

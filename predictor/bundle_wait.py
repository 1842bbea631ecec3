"""Before the first bundle exists: wait for it, alive but not ready, and say why.

On the first ``helm install`` the InferenceService and the training hook start together, so the
predictor can start before training has published ``latest``. Instead of exiting (a crash loop with
KServe's restarts) it answers on its HTTP port while it waits: ``/v2/health/live`` 200 (kubelet's
liveness probe keeps the container), everything else 503 with a V2 error body naming the missing
bundle (readiness fails, so Knative sends it no traffic). Once ``manifest.json`` appears the port is
released and the normal KServe server starts. Knative fails a revision that is not ready within its
``serving.knative.dev/progress-deadline`` (knative/serving knative-v1.21.1
``pkg/apis/serving/v1/revision_lifecycle.go``: "Initial scale was never achieved"), so the chart
sets that annotation and this wait to the same time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from model.bundle import MANIFEST

logger = logging.getLogger(__name__)
LIVE_PATH = "/v2/health/live"
_LOG_EVERY_S = 60.0


def has_bundle(model_dir: Path) -> bool:
    """True once ``model_dir`` holds a manifest (``latest`` may be missing or dangling before)."""
    return (model_dir / MANIFEST).is_file()


def wait_for_bundle(model_dir: Path, *, port: int, timeout_s: float, poll_s: float = 2.0) -> bool:
    """Block until ``model_dir`` holds a bundle, serving "alive, not ready" on ``port`` meanwhile.

    Args:
        model_dir: the bundle directory the predictor will load.
        port: the predictor's HTTP port (released again before this returns).
        timeout_s: give up after this many seconds. poll_s: seconds between checks.

    Returns:
        True when a bundle appeared (at once if it was already there), False on timeout.
    """
    if has_bundle(model_dir):
        return True
    message = (
        f"no model bundle yet at {model_dir} (no {MANIFEST}): waiting up to {timeout_s:.0f}s "
        "for the training Job to publish one"
    )
    server = _not_ready_server(port, message)
    thread = threading.Thread(target=server.serve_forever, name="bundle-wait", daemon=True)
    thread.start()
    start = last_log = time.monotonic()
    logger.warning("waiting_for_bundle", extra={"model_dir": str(model_dir), "error": message})
    try:
        while not has_bundle(model_dir):
            now = time.monotonic()
            if now - start >= timeout_s:
                return False
            if now - last_log >= _LOG_EVERY_S:
                last_log = now
                logger.warning(
                    "waiting_for_bundle",
                    extra={"model_dir": str(model_dir), "waited_s": round(now - start)},
                )
            time.sleep(poll_s)
        logger.info("bundle_appeared", extra={"model_dir": str(model_dir)})
        return True
    finally:
        server.shutdown()
        server.server_close()


def _not_ready_server(port: int, message: str) -> ThreadingHTTPServer:
    body = json.dumps({"error": message}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == LIVE_PATH:
                self._send(200, b'{"live":true}')
            else:
                self._send(503, body)

        def do_POST(self) -> None:
            self._send(503, body)

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # probes every few seconds: the periodic waiting_for_bundle line says enough

    return _ReusableServer(("0.0.0.0", port), Handler)  # the pod's serving port, as KServe's


class _ReusableServer(ThreadingHTTPServer):
    allow_reuse_address = True  # KServe binds the same port right after this one closes
    daemon_threads = True

"""A stand-in Pushgateway: a loopback HTTP server that records each push and answers a status."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from support import free_port


class Recorder(BaseHTTPRequestHandler):
    """Records (method, path, body) of every PUT; answers ``status``."""

    received: ClassVar[list[tuple[str, str, str]]] = []
    status = 200

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).received.append(("PUT", self.path, body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def pushgateway() -> Iterator[tuple[str, type[Recorder]]]:
    """A running stub on a free port: its URL and its (per-server) recorder class."""
    handler = type("Recorder", (Recorder,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", handler
    finally:
        server.shutdown()
        server.server_close()

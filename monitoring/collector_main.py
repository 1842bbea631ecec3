"""``housing-collector``: the HTTP sink of KServe's inference logger (port 8090)."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from model import cli
from model.logging import log_config
from monitoring.collector_settings import CollectorSettings

_FLAGS = {
    "events_uri": "--events-uri",
    "collector_pending_dir": "--pending-dir",
    "collector_host": "--host",
    "collector_port": "--port",
    "collector_orphan_timeout_s": "--orphan-timeout-s",
    "collector_max_batch": "--max-batch",
    "collector_max_body_bytes": "--max-body-bytes",
    "collector_max_values": "--max-values",
    "collector_dedupe_window": "--dedupe-window",
}


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-collector", description=__doc__)
    cli.add_settings_flags(p, CollectorSettings, _FLAGS, flags=_FLAGS)
    return p


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM once uvicorn has shut down cleanly: nothing left to do, so the job returns 0."""


def _serve(settings: CollectorSettings, _: argparse.Namespace) -> int:
    import uvicorn

    from monitoring.app import create_app

    # uvicorn 0.54 (server.py, capture_signals) handles SIGTERM itself while serving, then
    # raises it again to the handler it found: with the default one the process dies with 143.
    signal.signal(signal.SIGTERM, _terminated)
    uvicorn.run(
        create_app(settings),
        host=settings.collector_host,
        port=settings.collector_port,
        log_config=log_config(settings.log_level),
        access_log=False,
        timeout_graceful_shutdown=20,  # within the pod's default 30 s termination grace period
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, build settings, serve until SIGTERM/SIGINT; 0 after a clean shutdown."""
    return cli.run("housing-collector", _parser, CollectorSettings, _serve, argv)


if __name__ == "__main__":
    sys.exit(main())

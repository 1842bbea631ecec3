"""``housing-collector``: the HTTP sink of KServe's inference logger (port 8090)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model import cli
from model.logging import log_config
from monitoring.settings import CollectorSettings

_FLAGS = {
    "events_uri": "--events-uri",
    "collector_pending_dir": "--pending-dir",
    "collector_host": "--host",
    "collector_port": "--port",
    "collector_orphan_timeout_s": "--orphan-timeout-s",
    "collector_max_batch": "--max-batch",
}


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-collector", description=__doc__)
    cli.add_settings_flags(p, CollectorSettings, _FLAGS, flags=_FLAGS)
    return p


def _serve(settings: CollectorSettings, _: argparse.Namespace) -> int:
    import uvicorn

    from monitoring.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.collector_host,
        port=settings.collector_port,
        log_config=log_config(settings.log_level),
        access_log=False,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, build settings, serve until stopped."""
    return cli.run("housing-collector", _parser, CollectorSettings, _serve, argv)


if __name__ == "__main__":
    sys.exit(main())

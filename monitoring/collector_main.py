"""``housing-collector``: the HTTP sink of KServe's inference logger (port 8090)."""

from __future__ import annotations

import argparse
import logging.config
import sys

import uvicorn

from model.logging import log_config
from monitoring.app import create_app
from monitoring.settings import CollectorSettings


def main(argv: list[str] | None = None) -> None:
    """Parse flags, build settings, serve until stopped."""
    parser = argparse.ArgumentParser(prog="housing-collector", description=__doc__)
    parser.add_argument("--events-uri", help="event store dir or s3:// (HOUSING_EVENTS_URI)")
    parser.add_argument("--pending-dir", dest="collector_pending_dir")
    parser.add_argument("--host", dest="collector_host")
    parser.add_argument("--port", dest="collector_port", type=int)
    parser.add_argument("--orphan-timeout-s", dest="collector_orphan_timeout_s", type=float)
    args = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}
    settings = CollectorSettings(**args)
    config = log_config(settings.log_level)
    logging.config.dictConfig(config)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.collector_host,
        port=settings.collector_port,
        log_config=config,
        access_log=False,
    )
    sys.exit(0)


if __name__ == "__main__":
    main()

"""``housing-dashboard``: serve the Evidently workspace with Evidently's own UI (port 8000)."""

from __future__ import annotations

import argparse
import logging.config
import os
import sys

from model.logging import log_config
from monitoring.settings import DashboardSettings


def main(argv: list[str] | None = None) -> None:
    """Parse flags, build settings, serve the UI until stopped."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently UI telemetry off, before import
    parser = argparse.ArgumentParser(prog="housing-dashboard", description=__doc__)
    parser.add_argument("--workspace", help="Evidently workspace directory (HOUSING_WORKSPACE)")
    parser.add_argument("--host", dest="dashboard_host")
    parser.add_argument("--port", dest="dashboard_port", type=int)
    args = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}
    settings = DashboardSettings(**args)
    logging.config.dictConfig(log_config(settings.log_level))
    if settings.workspace.startswith(("http://", "https://")):
        logging.getLogger(__name__).error(
            "dashboard_bad_workspace",
            extra={"error": "HOUSING_WORKSPACE is a remote UI already; open that URL instead"},
        )
        sys.exit(2)
    from evidently.ui.service.app import run_local

    os.makedirs(settings.workspace, exist_ok=True)
    logging.getLogger(__name__).info(
        "dashboard_serving",
        extra={
            "url": f"http://{settings.dashboard_host}:{settings.dashboard_port}/",
            "workspace": settings.workspace,
        },
    )
    run_local(
        host=settings.dashboard_host, port=settings.dashboard_port, workspace=settings.workspace
    )
    sys.exit(0)


if __name__ == "__main__":
    main()

"""``housing-dashboard``: serve the Evidently workspace with Evidently's own UI (port 8000)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from model import cli
from model.errors import ConfigError
from monitoring.settings import DashboardSettings

_FLAGS = {"workspace": "--workspace", "dashboard_host": "--host", "dashboard_port": "--port"}


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-dashboard", description=__doc__)
    cli.add_settings_flags(p, DashboardSettings, _FLAGS, flags=_FLAGS)
    return p


def _serve(settings: DashboardSettings, _: argparse.Namespace) -> int:
    if settings.workspace.startswith(("http://", "https://")):
        raise ConfigError(
            f"workspace: {settings.workspace} is a remote UI already; open that URL instead"
        )
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
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, build settings, serve the UI until stopped."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently UI telemetry off, before import
    return cli.run("housing-dashboard", _parser, DashboardSettings, _serve, argv)


if __name__ == "__main__":
    sys.exit(main())

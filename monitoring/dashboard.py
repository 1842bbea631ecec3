"""``housing-dashboard``: serve the Evidently workspace with Evidently's own UI (port 8000).

Read-only to clients unless ``HOUSING_DASHBOARD_TOKEN`` is set: Evidently guards every route that
changes the workspace (projects, dashboards, snapshots, datasets, artifacts, prompts) with its
token check, so the server always runs with a token, a random one nobody knows when none is
configured. The drift job writes the workspace directory directly and needs no token.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Sequence

from model import cli
from model.errors import ConfigError
from monitoring.settings import DashboardSettings

_FLAGS = {"workspace": "--workspace", "dashboard_host": "--host", "dashboard_port": "--port"}
# Header Evidently's token check reads (evidently/ui/service/security/token.py, 0.7.23).
TOKEN_HEADER = "evidently-secret"


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-dashboard", description=__doc__)
    cli.add_settings_flags(p, DashboardSettings, _FLAGS, flags=_FLAGS)
    return p


def _serve(settings: DashboardSettings, _: argparse.Namespace) -> int:
    if settings.workspace.startswith(("http://", "https://")):
        raise ConfigError(
            f"workspace: {settings.workspace} is a remote UI already; open that URL instead"
        )
    from evidently.ui.service.app import get_config, run

    token = settings.dashboard_token
    os.makedirs(settings.workspace, exist_ok=True)
    logging.getLogger(__name__).info(
        "dashboard_serving",
        extra={
            "url": f"http://{settings.dashboard_host}:{settings.dashboard_port}/",
            "workspace": settings.workspace,
            "writes": f"token in header {TOKEN_HEADER}" if token else "refused (read-only)",
        },
    )
    config = get_config(
        host=settings.dashboard_host,
        port=settings.dashboard_port,
        workspace=settings.workspace,
        # Explicit, so EVIDENTLY_SECRET in the environment cannot open writes by accident.
        secret=token.get_secret_value() if token else secrets.token_urlsafe(32),
    )
    run(config)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, build settings, serve the UI until stopped."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently UI telemetry off, before import
    return cli.run("housing-dashboard", _parser, DashboardSettings, _serve, argv)


if __name__ == "__main__":
    sys.exit(main())

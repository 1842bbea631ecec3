"""``housing-drift`` / ``python -m monitoring``: one drift report per model version.

Exit 0 ok, 1 unexpected, 2 bad config/data/bundle, 3 drift (with ``--fail-on-drift``).
"""

import argparse
import os
import sys
from collections.abc import Sequence

from model import cli
from monitoring.settings import DriftSettings

_FLAGS = (
    "events_uri",
    "bundles_uri",
    "workspace",
    "reports_dir",
    "start",
    "end",
    "window_hours",
    "state_file",
    "project",
    "fail_on_drift",
)


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-drift", description=__doc__)
    cli.add_settings_flags(p, DriftSettings, _FLAGS)
    return p


def _job(settings: DriftSettings, _: argparse.Namespace) -> int:
    from monitoring.job import run

    return run(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags (each overrides its HOUSING_* env var), run the job once; the exit code."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently telemetry off, before it is imported
    return cli.run("housing-drift", _parser, DriftSettings, _job, argv)


if __name__ == "__main__":
    sys.exit(main())

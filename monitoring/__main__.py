"""``housing-drift`` / ``python -m monitoring``.

Exit 0 ok, 1 unexpected, 2 bad config/data/bundle, 3 drift (with ``--fail-on-drift``).
"""

import argparse
import logging.config
import os
import sys

from pydantic import ValidationError

from model.errors import HousingError
from model.logging import log_config


def main(argv: list[str] | None = None) -> None:
    """Parse flags (each overrides its HOUSING_* env var), run the job once, exit with its code."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently telemetry off, before it is imported
    p = argparse.ArgumentParser(prog="housing-drift", description=__doc__)
    for flag in (
        "events-uri",
        "bundles-uri",
        "workspace",
        "reports-dir",
        "start",
        "end",
        "state-file",
        "project",
    ):
        p.add_argument(f"--{flag}")
    p.add_argument("--window-hours", type=float)
    p.add_argument("--fail-on-drift", action="store_true", default=None)
    args = {k.replace("-", "_"): v for k, v in vars(p.parse_args(argv)).items() if v is not None}
    from monitoring.job import run
    from monitoring.settings import DriftSettings

    log = logging.getLogger("monitoring")
    try:
        settings = DriftSettings(**args)
        logging.config.dictConfig(log_config(settings.log_level))
        code = run(settings)
    except (HousingError, ValidationError) as e:
        log.error("drift_failed", extra={"error": str(e)})
        code = 2
    except Exception:
        log.exception("drift_crashed")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()

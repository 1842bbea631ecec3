"""``housing-predictor`` / ``python -m predictor``: serve a verified bundle over KServe V2."""

import logging
import sys

from pydantic import ValidationError


def main(argv: list[str] | None = None) -> int:
    """Parse flags (KServe's and ours), build settings, configure logging, serve; exit code."""
    from kserve.model_server import parser as kserve_parser  # KServe parses argv on import

    from predictor.server import configure_logging, run
    from predictor.settings import build_parser, settings_from

    args, log = build_parser(kserve_parser).parse_args(argv), logging.getLogger("predictor")
    try:
        settings = settings_from(args)
        configure_logging(settings.log_level, args)
        return run(settings, args)
    except ValidationError as e:  # a bad HOUSING_* value or flag: exit 2, logged as JSON
        configure_logging("INFO", args)
        log.error("bad_settings", extra={"error": str(e)})
        return 2
    except Exception:  # the CLI boundary: log it as JSON and exit 1
        log.exception("unexpected_error")
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``housing-feedback``: labelled outcomes in, performance per model version out.

    housing-feedback ingest labels.csv|labels.jsonl|s3://bucket/key.csv
    housing-feedback report [--start ISO] [--end ISO]

Exit 0 ok, 1 unexpected, 2 bad config / data (also when some labels were invalid or conflicted:
the valid ones are stored, every problem is named on stderr and counted in the JSON result).
"""

from __future__ import annotations

import argparse
import json
import logging.config
import os
import sys

from pydantic import ValidationError

from model.errors import HousingError
from model.logging import log_config
from monitoring.feedback_settings import FeedbackSettings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="housing-feedback", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="store labels from a CSV/JSONL file or s3:// object")
    ingest.add_argument(
        "source", help="path or s3:// URI; columns request_id, row, median_house_value"
    )
    ingest.add_argument("--labels-dir", help="label store directory (HOUSING_LABELS_DIR)")
    report = sub.add_parser("report", help="performance per model version over a window")
    report.add_argument("--labels-dir", help="label store directory (HOUSING_LABELS_DIR)")
    report.add_argument("--events-uri", help="event store directory (HOUSING_EVENTS_URI)")
    report.add_argument("--bundles-uri", help="bundles root (HOUSING_BUNDLES_URI)")
    report.add_argument("--workspace", help="Evidently workspace (HOUSING_WORKSPACE)")
    report.add_argument(
        "--reports-dir", dest="performance_reports_dir", help="HOUSING_PERFORMANCE_REPORTS_DIR"
    )
    report.add_argument("--start", help="window start, ISO 8601 (HOUSING_START)")
    report.add_argument("--end", help="window end, ISO 8601, exclusive (HOUSING_END)")
    report.add_argument("--window-hours", type=float, help="window length (HOUSING_WINDOW_HOURS)")
    return p


def main(argv: list[str] | None = None) -> None:
    """Parse flags (each overrides its HOUSING_* env var), run the command, exit with its code."""
    args = vars(_parser().parse_args(argv))
    command, source = args.pop("command"), args.pop("source", None)
    log = logging.getLogger("monitoring")
    try:
        settings = FeedbackSettings(**{k: v for k, v in args.items() if v is not None})
        logging.config.dictConfig(log_config(settings.log_level))
        code = _ingest(settings, source) if command == "ingest" else _report(settings)
    except (HousingError, ValidationError) as e:
        log.error("feedback_failed", extra={"error": str(e)})
        print(f"housing-feedback: {e}", file=sys.stderr)
        code = 2
    except Exception:
        log.exception("feedback_crashed")
        code = 1
    sys.exit(code)


def _ingest(settings: FeedbackSettings, source: str) -> int:
    from model.labels import LabelStore
    from monitoring.feedback import ingest, read_records

    records = read_records(source, settings.s3_endpoint_url)
    result = ingest(records, LabelStore(settings.labels_dir), source=source, origin=source)
    print(json.dumps(result.to_dict()))
    for problem in result.invalid + result.conflicts:
        print(f"housing-feedback: {problem}", file=sys.stderr)
    return 2 if result.invalid or result.conflicts else 0


def _report(settings: FeedbackSettings) -> int:
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently telemetry off, before it is imported
    from monitoring.performance_job import run

    print(json.dumps(run(settings)))
    return 0


if __name__ == "__main__":
    main()

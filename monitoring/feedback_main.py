"""``housing-feedback``: labelled outcomes in, performance per model version out.

    housing-feedback ingest labels.csv|labels.jsonl|s3://bucket/key.csv
    housing-feedback report [--start ISO] [--end ISO]

Exit 0 ok, 1 unexpected, 2 bad config / data (also when some labels were invalid or conflicted:
the valid ones are stored, every problem is named on stderr and counted in the JSON result).
The result is one JSON line on stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from model import cli
from monitoring.feedback_settings import FeedbackSettings

_REPORT = {
    "labels_dir": "--labels-dir",
    "events_uri": "--events-uri",
    "bundles_uri": "--bundles-uri",
    "workspace": "--workspace",
    "performance_reports_dir": "--reports-dir",
    "start": "--start",
    "end": "--end",
    "window_hours": "--window-hours",
    "rmse_margin": "--rmse-margin",
    "min_labelled_rows": "--min-labelled-rows",
    "pushgateway_url": "--pushgateway-url",
}


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-feedback", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=cli.ArgumentParser)
    ingest = sub.add_parser("ingest", help="store labels from a CSV/JSONL file or s3:// object")
    ingest.add_argument(
        "source", help="path or s3:// URI with columns request_id, row, median_house_value"
    )
    cli.add_settings_flags(ingest, FeedbackSettings, ["labels_dir"], flags=_REPORT)
    report = sub.add_parser("report", help="performance per model version over a window")
    cli.add_settings_flags(report, FeedbackSettings, _REPORT, flags=_REPORT)
    return p


def _job(settings: FeedbackSettings, args: argparse.Namespace) -> int:
    if args.command == "ingest":
        return _ingest(settings, args.source)
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently telemetry off, before it is imported
    from monitoring.performance_job import run

    print(json.dumps(run(settings)))
    return 0


def _ingest(settings: FeedbackSettings, source: str) -> int:
    from model.labels import LabelStore
    from monitoring.feedback import ingest, read_records

    records = read_records(source, settings.s3_endpoint_url)
    store = LabelStore(settings.labels_dir, s3_endpoint_url=settings.s3_endpoint_url)
    result = ingest(records, store, source=source, origin=source)
    print(json.dumps(result.to_dict()))
    for problem in result.invalid + result.conflicts:
        print(f"housing-feedback: {problem}", file=sys.stderr)
    return 2 if result.invalid or result.conflicts else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags (each overrides its HOUSING_* env var), run the command, return its code."""
    return cli.run("housing-feedback", _parser, FeedbackSettings, _job, argv, log_stream="stderr")


if __name__ == "__main__":
    sys.exit(main())

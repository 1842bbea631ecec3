"""``housing-feedback report``: join a window's events to the labels, judge each model version."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from model.bundle import load_bundle
from model.bundle_store import local_bundle
from model.errors import HousingError
from model.labels import LabelStore
from monitoring.feedback_settings import FeedbackSettings
from monitoring.performance import VersionPerformance, evaluate, join, summary, with_intervals
from monitoring.verdicts import performance_families, push

logger = logging.getLogger(__name__)


class WindowError(HousingError):
    """A bad --start/--end."""


def _ts(text: str, name: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise WindowError(f"{name}: {text!r} is not an ISO 8601 time") from e
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def window(settings: FeedbackSettings, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from the flags, else the last ``window_hours`` before now."""
    end = _ts(settings.end, "end") if settings.end else now
    start = (
        _ts(settings.start, "start")
        if settings.start
        else end - timedelta(hours=settings.window_hours)
    )
    if start >= end:
        raise WindowError(
            f"empty window: start {start.isoformat()} is not before {end.isoformat()}"
        )
    return start, end


def _judge(version: str, frame: Any, settings: FeedbackSettings) -> VersionPerformance:
    bundle = load_bundle(
        local_bundle(settings.bundles_uri, version, settings.bundle_cache, settings.s3_endpoint_url)
    )
    holdout = (bundle.manifest.metrics.get("holdout") or {}).get("rmse")
    promised = (bundle.manifest.interval or {}).get("nominal")
    return evaluate(
        version,
        with_intervals(frame, bundle),
        holdout_rmse=float(holdout) if holdout is not None else None,
        promised_coverage=promised,
        margin=settings.rmse_margin,
        min_rows=settings.min_labelled_rows,
        level=settings.confidence,
    )


def run(settings: FeedbackSettings, now: datetime | None = None) -> dict[str, Any]:
    """Run one performance report; returns the document it wrote.

    Raises:
        WindowError, BundleError, PushError, PublishError (an s3:// store that cannot be
            read): mapped to exit 2.
    """
    start, end = window(settings, now or datetime.now(UTC))
    endpoint = settings.s3_endpoint_url
    labels = LabelStore(settings.labels_dir, s3_endpoint_url=endpoint).frame()
    labelled = join(settings.events_uri, start, end, labels, s3_endpoint_url=endpoint)
    results = [_judge(v, f, settings) for v, f in sorted(labelled.frames.items())]
    document = summary(labelled, results, start, end)
    settings.performance_reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = end.strftime("%Y%m%dT%H%M%SZ")
    path = settings.performance_reports_dir / f"{stamp}-performance.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    if results:
        from monitoring.performance_report import publish

        publish(labelled, results, settings, end)
    for r in results:
        logger.info(
            "performance_result",
            extra={"model_version": r.model_version, "status": r.status, "rmse": r.rmse},
        )
    if settings.pushgateway_url:
        push(performance_families(document), settings.pushgateway_url, job="housing-performance")
    return document

"""``housing-drift``: read a window of events, one report per model version, publish, decide."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from model.errors import BundleError, ConfigError, PublishError
from model.events import KIND, VERSION, EventReader, Window
from monitoring.calibration import cached_calibration
from monitoring.drift import (
    COLUMNS,
    NUMERIC_SCORED,
    DriftResult,
    gated_columns,
    insufficient,
    prepare,
    run_report,
)
from monitoring.references import NoBundle, load_reference
from monitoring.sampling import WindowSample
from monitoring.settings import DriftSettings

logger = logging.getLogger(__name__)
OK, BAD, DRIFT = 0, 2, 3
SCHEMA_VERSION = 1  # of the JSON document: bump on any change that is not a new optional field
READ_BATCH_ROWS = 20_000  # rows parsed per batch before they are offered to the samples
_EMPTY = pd.DataFrame()


def _parse_ts(text: str, name: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise ConfigError(f"{name}: {text!r} is not an ISO 8601 time") from e
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def window_bounds(settings: DriftSettings, now: datetime) -> tuple[datetime, datetime]:
    """[start, end): flags first, then the end of the last run, then the last window_hours."""
    end = _parse_ts(settings.end, "end") if settings.end else now
    state = settings.resolved_state_file()
    if settings.start:
        start = _parse_ts(settings.start, "start")
    elif state.is_file():
        try:
            start = _parse_ts(json.loads(state.read_text())["last_end"], str(state))
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(
                f"{state}: unreadable state file ({e}); delete it or pass --start"
            ) from e
    else:
        start = end - timedelta(hours=settings.window_hours)
    if start >= end:
        raise ConfigError(
            f"empty window: start {start.isoformat()} is not before end {end.isoformat()}"
        )
    return start, end


def _save_state(path: Path, end: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"last_end": end.isoformat()}) + "\n")
    os.replace(tmp, path)


def _publish(snapshot: Any, result: DriftResult, settings: DriftSettings, stamp: str) -> str:
    path = settings.reports_dir / f"{stamp}-{result.model_version}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))
    return str(path)


def _import_evidently() -> None:
    """Import Evidently once, with the cyclic GC paused, and freeze what the import built.

    The import runs ~3,000 modules and builds ~1,000 pydantic classes; every collection the
    allocations trigger rescans what was built so far. Paused, and then kept out of later full
    collections (``gc.freeze``: the job's process ends after one run), the job spends ~0.5-1 s
    less CPU (docs/monitoring.md, "Cost"). Cycles among the frozen objects are never collected.
    """
    if "evidently.ui.workspace" in sys.modules:
        return
    gc.disable()
    try:
        import evidently.metrics
        import evidently.tests
        import evidently.ui.workspace  # noqa: F401
    finally:
        gc.enable()
    gc.freeze()


def _judge(
    version: str,
    frame: pd.DataFrame,
    events: int,
    window_rows: int,
    settings: DriftSettings,
    end: datetime,
) -> tuple[Any, DriftResult]:
    """The verdict of one version (calibrated only when there are enough rows)."""
    ref = load_reference(
        version, settings.bundles_uri, settings.bundle_cache, settings.s3_endpoint_url
    )
    rows = len(frame)
    if rows < settings.min_rows:
        return None, insufficient(
            version, events=events, rows=rows, window_rows=window_rows, settings=settings
        )
    gated = gated_columns(settings)
    calibration = cached_calibration(
        settings.resolved_calibration_dir(),
        version,
        prepare(ref.frame, version),
        columns=COLUMNS,
        numeric=NUMERIC_SCORED,
        gated=gated,
        alpha=settings.drift_alpha,
        replicates=settings.calibration_replicates,
        seed=settings.calibration_seed,
    )
    _import_evidently()
    return run_report(
        frame,
        ref.frame,
        version=version,
        events=events,
        window_rows=window_rows,
        calibration=calibration,
        settings=settings,
        timestamp=end.replace(tzinfo=None),
    )


def run(settings: DriftSettings, now: datetime | None = None) -> int:
    """Run the drift job once: every version it can judge, the others counted and named.

    Returns:
        0 fine (or no events, or too few), 3 drift found with ``fail_on_drift``, 2 a version's
        bundle exists but failed verification or download (the others are still reported and
        the state still advances, so one bad bundle cannot stop later runs).

    Raises:
        ConfigError: bad window or state file (exit 2 via ``__main__``).
    """
    from monitoring.workspace import open_workspace, project_for

    started = time.perf_counter()
    start, end = window_bounds(settings, now or datetime.now(UTC))
    window, sample = read_sample(settings, start, end)
    _log_window(window)
    results: list[DriftResult] = []
    unjudged: list[dict[str, Any]] = []
    stamp = end.strftime("%Y%m%dT%H%M%SZ")
    workspace = project = None
    for version, frame in window.frames.items():
        events = window.events[version]
        try:
            seen = sample.versions[version].seen
            snapshot, result = _judge(version, frame, events, seen, settings, end)
        except NoBundle as e:
            unjudged.append(
                {"model_version": version, "events": events, "reason": "no bundle", "error": str(e)}
            )
            logger.warning(
                "drift_version_without_bundle",
                extra={"model_version": version, "events": events, "error": str(e)},
            )
            continue
        except (BundleError, PublishError) as e:
            unjudged.append(
                {
                    "model_version": version,
                    "events": events,
                    "reason": "bundle failed",
                    "error": str(e),
                }
            )
            logger.error(
                "drift_bundle_failed",
                extra={"model_version": version, "events": events, "error": str(e)},
            )
            continue
        if snapshot is not None:
            token = settings.dashboard_token
            workspace = workspace or open_workspace(
                settings.workspace, token and token.get_secret_value()
            )
            project = project or project_for(workspace, settings.project, gated_columns(settings))
            result.report_html = _publish(snapshot, result, settings, stamp)
            workspace.add_run(project.id, snapshot)
        results.append(result)
        print(result.line())
        logger.info("drift_result", extra={"model_version": version, "verdict": result.verdict})
    for entry in unjudged:
        print(f"{entry['model_version']}: NOT JUDGED ({entry['reason']}; {entry['events']} events)")
    document = _document(window, results, unjudged, time.perf_counter() - started)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"{stamp}-drift.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"status: {document['status']}; report: {path}")
    _save_state(settings.resolved_state_file(), end)
    if settings.pushgateway_url:
        from monitoring.verdicts import drift_families, push  # FastAPI and prometheus_client

        push(drift_families(document), settings.pushgateway_url, job="housing-drift")
    if any(e["reason"] == "bundle failed" for e in unjudged):
        return BAD
    drift = any(r.drift for r in results)
    return DRIFT if drift and settings.fail_on_drift else OK


def read_sample(
    settings: DriftSettings, start: datetime, end: datetime
) -> tuple[Window, WindowSample]:
    """Stream the window, keeping a bounded uniform sample of rows per version (sampling.py).

    Returns:
        The window's counts (events per version, orphans, malformed lines; ``frames`` holds the
        samples) and the sampler (rows seen per version).
    """
    reader = EventReader(
        settings.events_uri,
        start,
        end,
        s3_endpoint_url=settings.s3_endpoint_url,
        batch_rows=READ_BATCH_ROWS,
    )
    sample = WindowSample(settings.drift_sample_rows, seed=settings.calibration_seed)
    for batch in reader:
        frames = batch.predictions()
        predicted = batch.events[batch.events[KIND] == "prediction"]
        for version, count in predicted[VERSION].astype(str).value_counts().items():
            sample.add(str(version), frames.get(str(version), _EMPTY), int(count))
    window = Window(
        start,
        end,
        frames={v: s.frame() for v, s in sorted(sample.versions.items())},
        events=sample.events,
        orphans=reader.orphans,
        malformed=reader.malformed,
        malformed_examples=reader.malformed_examples,
    )
    return window, sample


def _log_window(window: Window) -> None:
    if window.malformed:
        logger.warning(
            "malformed_event_lines",
            extra={"count": window.malformed, "examples": window.malformed_examples},
        )
    if not window.total_events:
        logger.info(
            "no_events", extra={"start": window.start.isoformat(), "end": window.end.isoformat()}
        )


def _status(results: list[DriftResult], unjudged: list[dict[str, Any]]) -> str:
    if any(r.drift for r in results):
        return "drift"
    if any(r.verdict == "ok" for r in results):
        return "ok"
    if results:
        return "insufficient data"
    return "not judged" if unjudged else "no events"


def _document(
    window: Window,
    results: list[DriftResult],
    unjudged: list[dict[str, Any]],
    seconds: float,
) -> dict[str, Any]:
    """The run's one JSON document; its schema is in docs/monitoring.md (keep it stable)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "status": _status(results, unjudged),
        "events": dict(window.events),
        "orphans": dict(window.orphans),
        "malformed_lines": window.malformed,
        "malformed_examples": window.malformed_examples,
        "versions": [r.to_dict() for r in results],
        "unjudged_versions": unjudged,
        "seconds": round(seconds, 2),
    }

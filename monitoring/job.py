"""``housing-drift``: read a window of events, one report per model version, publish, decide."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from model.errors import ConfigError
from model.events import Window, read_window
from monitoring.drift import DriftResult, key_columns, run_report
from monitoring.references import load_reference
from monitoring.settings import DriftSettings

logger = logging.getLogger(__name__)
OK, DRIFT = 0, 3


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


def _publish(
    snapshot: Any,
    result: DriftResult,
    settings: DriftSettings,
    project: Any,
    workspace: Any,
    stamp: str,
) -> None:
    base = settings.reports_dir / f"{stamp}-{result.model_version}"
    base.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(base.with_suffix(".html")))
    snapshot.save_json(str(base.with_suffix(".json")))
    workspace.add_run(project.id, snapshot)


def run(settings: DriftSettings, now: datetime | None = None) -> int:
    """Run the drift job once.

    Returns:
        0 fine (or no events), 3 drift found with ``fail_on_drift``.

    Raises:
        ConfigError, BundleError, PublishError: mapped to exit 2 by ``__main__``.
    """
    from monitoring.workspace import open_workspace, project_for

    started = time.perf_counter()
    start, end = window_bounds(settings, now or datetime.now(UTC))
    window = read_window(settings.events_uri, start, end, s3_endpoint_url=settings.s3_endpoint_url)
    _log_window(window)
    results: list[DriftResult] = []
    stamp = end.strftime("%Y%m%dT%H%M%SZ")
    if window.total_events:
        workspace = open_workspace(settings.workspace)
        project = None
        for version, frame in window.frames.items():
            ref = load_reference(
                version, settings.bundles_uri, settings.bundle_cache, settings.s3_endpoint_url
            )
            keys = key_columns(ref.importance, settings)
            project = project or project_for(workspace, settings.project, keys)
            snapshot, result = run_report(
                frame,
                ref.frame,
                version=version,
                events=window.events[version],
                keys=keys,
                settings=settings,
                timestamp=end.replace(tzinfo=None),
            )
            _publish(snapshot, result, settings, project, workspace, stamp)
            results.append(result)
            logger.info("drift_result", extra={"model_version": version, **result.to_dict()})
    summary = _summary(window, results, time.perf_counter() - started)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    (settings.reports_dir / f"{stamp}-summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    _save_state(settings.resolved_state_file(), end)
    drift = any(r.drift for r in results)
    return DRIFT if drift and settings.fail_on_drift else OK


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


def _summary(window: Window, results: list[DriftResult], seconds: float) -> dict[str, Any]:
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "status": "no events"
        if not results
        else ("drift" if any(r.drift for r in results) else "ok"),
        "events": dict(window.events),
        "orphans": dict(window.orphans),
        "malformed_lines": window.malformed,
        "malformed_examples": window.malformed_examples,
        "versions": [r.to_dict() for r in results],
        "seconds": round(seconds, 2),
    }

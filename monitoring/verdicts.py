"""Prometheus gauges from the monitoring jobs' verdict documents (drift and performance).

Each drift or performance run writes one JSON document (docs/monitoring.md). This module turns
such a document into gauge families, so an alert rule sees exactly what the document says:
pushed to a Pushgateway by the job when ``HOUSING_PUSHGATEWAY_URL`` is set, otherwise served on
the collector's ``/metrics`` from the newest documents of the reports directory, read at scrape
time (no state to go stale between a run and a collector restart).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    push_to_gateway,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from model.errors import HousingError

logger = logging.getLogger(__name__)

VERSION = ("model_version",)
COLUMN = ("model_version", "column")
# name -> (help, labels); the alert rules and the Grafana dashboard query these names.
DRIFT_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "housing_drift_alarm": ("1 when the gate's verdict for the version is drift", VERSION),
    "housing_drift_insufficient_data": (
        "1 when the window had too few rows for a verdict",
        VERSION,
    ),
    "housing_drift_window_rows": ("Rows of the version in the last drift window", VERSION),
    "housing_drift_share": ("Share of drifted columns (Evidently's dataset drift)", VERSION),
    "housing_drift_failed_tests": ("Data-quality tests failed in the last run", VERSION),
    "housing_drift_detected": ("1 when the column's drift test flagged drift", COLUMN),
    "housing_drift_score": ("Drift statistic of the column in the last run", COLUMN),
    "housing_drift_threshold": ("Threshold the column's statistic is compared with", COLUMN),
    "housing_drift_last_run_timestamp_seconds": ("End of the last drift window (Unix time)", ()),
}
PERFORMANCE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "housing_performance_degraded": (
        "1 when the RMSE's bootstrap CI lies above hold-out RMSE * (1 + margin)",
        VERSION,
    ),
    "housing_performance_insufficient_data": ("1 when too few labelled rows", VERSION),
    "housing_performance_labelled_rows": ("Labelled predictions in the window", VERSION),
    "housing_performance_rmse": ("RMSE of labelled predictions in the window", VERSION),
    "housing_performance_rmse_ci_lower": ("Lower bound of the RMSE's bootstrap CI", VERSION),
    "housing_performance_rmse_ci_upper": ("Upper bound of the RMSE's bootstrap CI", VERSION),
    "housing_performance_rmse_limit": ("Hold-out RMSE of the bundle times (1 + margin)", VERSION),
    "housing_performance_mae": ("MAE of labelled predictions in the window", VERSION),
    "housing_performance_interval_coverage": (
        "Share of labels inside the predicted interval",
        VERSION,
    ),
    "housing_performance_promised_coverage": ("Coverage the bundle's interval promises", VERSION),
    "housing_performance_last_run_timestamp_seconds": (
        "End of the last performance window (Unix time)",
        (),
    ),
}
ALL_GAUGES = {**DRIFT_GAUGES, **PERFORMANCE_GAUGES}
# The drift job names its document <window end>-drift.json (earlier: -summary.json).
DRIFT_GLOBS, PERFORMANCE_GLOB = ("*-drift.json", "*-summary.json"), "*-performance.json"


def _families(spec: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, GaugeMetricFamily]:
    return {
        name: GaugeMetricFamily(name, text, labels=list(lbl)) for name, (text, lbl) in spec.items()
    }


class PushError(HousingError):
    """The Pushgateway was unreachable or refused the push."""


def _timestamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def drift_families(document: dict[str, Any]) -> list[GaugeMetricFamily]:
    """The gauges of one drift document: per version, and per version and column.

    A version without a verdict ("insufficient data") gets ``housing_drift_insufficient_data``
    1 and alarm 0: too little data must not page anyone, but it is visible.
    """
    fams = _families(DRIFT_GAUGES)
    for v in document.get("versions") or []:
        version = str(v.get("model_version", "unknown"))
        verdict = str(v.get("verdict") or v.get("status") or "")
        insufficient = verdict == "insufficient data"
        alarm = verdict == "drift" or v.get("drift") is True
        fams["housing_drift_alarm"].add_metric([version], float(alarm))
        fams["housing_drift_insufficient_data"].add_metric([version], float(insufficient))
        fams["housing_drift_window_rows"].add_metric([version], float(v.get("rows") or 0))
        if (share := _number(v.get("drift_share"))) is not None:
            fams["housing_drift_share"].add_metric([version], share)
        fams["housing_drift_failed_tests"].add_metric(
            [version], float(len(v.get("failed_tests") or []))
        )
        for column, c in (v.get("columns") or {}).items():
            labels = [version, str(column)]
            fams["housing_drift_detected"].add_metric(labels, float(bool(c.get("drifted"))))
            for key, name in (
                ("score", "housing_drift_score"),
                ("threshold", "housing_drift_threshold"),
            ):
                if (value := _number(c.get(key))) is not None:
                    fams[name].add_metric(labels, value)
    if (end := _timestamp(document.get("end"))) is not None:
        fams["housing_drift_last_run_timestamp_seconds"].add_metric([], end)
    return list(fams.values())


def performance_families(document: dict[str, Any]) -> list[GaugeMetricFamily]:
    """The gauges of one performance document, per model version."""
    fams = _families(PERFORMANCE_GAUGES)
    fields = {
        "housing_performance_labelled_rows": "labelled_rows",
        "housing_performance_rmse": "rmse",
        "housing_performance_rmse_ci_lower": "rmse_ci_lower",
        "housing_performance_rmse_ci_upper": "rmse_ci_upper",
        "housing_performance_rmse_limit": "rmse_limit",
        "housing_performance_mae": "mae",
        "housing_performance_interval_coverage": "coverage",
        "housing_performance_promised_coverage": "promised_coverage",
    }
    for v in document.get("versions") or []:
        version = str(v.get("model_version", "unknown"))
        status = str(v.get("status", ""))
        fams["housing_performance_degraded"].add_metric([version], float(status == "degraded"))
        fams["housing_performance_insufficient_data"].add_metric(
            [version], float(status == "insufficient data")
        )
        for name, key in fields.items():
            if (value := _number(v.get(key))) is not None:
                fams[name].add_metric([version], value)
    if (end := _timestamp(document.get("end"))) is not None:
        fams["housing_performance_last_run_timestamp_seconds"].add_metric([], end)
    return list(fams.values())


class _Fixed(Collector):
    def __init__(self, families: Iterable[GaugeMetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.families


def push(families: Iterable[GaugeMetricFamily], url: str, job: str, timeout: float = 10.0) -> None:
    """Replace the job's group on the Pushgateway with these gauges (prometheus-client PUT).

    A PUT replaces every metric of the group, so a version that left the window disappears
    instead of repeating its last verdict forever.

    Raises:
        PushError: the Pushgateway is unreachable or answered with an error.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    try:
        push_to_gateway(url, job=job, registry=registry, timeout=timeout)
    except (OSError, ValueError) as e:  # URLError/HTTPError are OSErrors; a bad URL a ValueError
        raise PushError(f"pushgateway_url: push to {url!r} failed: {e}") from e


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as e:  # half-written or foreign: the caller tries the one before
        logger.warning("verdict_unreadable", extra={"path": str(path), "error": str(e)})
        return None
    return document if isinstance(document, dict) else None


class LatestVerdicts(Collector):
    """Serves the newest drift and performance documents' gauges, read at each scrape.

    Args:
        directories: where the jobs write their documents (``HOUSING_VERDICT_DIRS``).
    """

    def __init__(self, directories: Iterable[Path]) -> None:
        self.directories = list(directories)

    def _newest(self, *patterns: str) -> dict[str, Any]:
        found = sorted(
            (p for d in self.directories for pattern in patterns for p in d.glob(pattern)),
            key=lambda p: p.name,
            reverse=True,
        )
        for path in found:
            document = _read(path)
            if document is not None:
                return document
        return {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from drift_families(self._newest(*DRIFT_GLOBS))
        yield from performance_families(self._newest(PERFORMANCE_GLOB))

    def describe(self) -> list[GaugeMetricFamily]:
        return drift_families({}) + performance_families({})


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    """``GET /metrics`` in Prometheus' text format for ``registry``."""
    router = APIRouter()

    @router.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router

"""Prometheus counters of the predictor, served on KServe's /metrics beside its histograms.

KServe already records ``request_preprocess_seconds`` (decode + validate),
``request_predict_seconds`` and ``request_postprocess_seconds`` (encode) per model name; these
counters add what a dashboard needs to tell versions and failure kinds apart.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter

_LABELS = ("model_name", "model_version", "outcome")


class Metrics:
    """The predictor's counters, registered once per process.

    Args:
        registry: where to register (KServe's /metrics serves the default one).
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.requests = Counter(
            "housing_requests",
            "Inference requests by outcome (ok, invalid, unavailable, error)",
            _LABELS,
            registry=registry,
        )
        self.rows = Counter(
            "housing_rows", "Rows in inference requests by outcome", _LABELS, registry=registry
        )
        self.errors = Counter(
            "housing_request_errors",
            "Failed inference requests by outcome",
            _LABELS,
            registry=registry,
        )
        self.events_written = Counter(
            "housing_events_written",
            "Prediction events appended to the local event store",
            _LABELS[:2],
            registry=registry,
        )
        self.events_dropped = Counter(
            "housing_events_dropped",
            "Prediction events dropped (queue full or write failed)",
            _LABELS[:2],
            registry=registry,
        )

    def request(self, model_name: str, model_version: str, outcome: str, rows: int) -> None:
        """Count one request and its rows."""
        labels = (model_name, model_version, outcome)
        self.requests.labels(*labels).inc()
        self.rows.labels(*labels).inc(rows)
        if outcome != "ok":
            self.errors.labels(*labels).inc()

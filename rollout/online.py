"""Online evidence from the prediction-event store: what each served model version did.

Events come from the predictor's local log or the collector (KServe's CloudEvents logger), read
from a directory or S3 through ``model.events.EventReader``. During a canary both revisions log
with their own ``model_version``, and traffic is split at random, so their inputs are alike and a
shift between their prediction distributions is the models' difference, not the traffic's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from model.events import KIND, PREDICTION_COLUMN, VERSION, EventBatch, EventReader
from rollout.stats import ks_statistic, psi


@dataclass
class VersionStats:
    """What one model version served in the window."""

    model_version: str
    requests: int = 0
    rows: int = 0
    errors: int = 0
    unanswered: int = 0
    predictions: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def latency(self, q: float) -> float | None:
        """The q-quantile of recorded latencies, None when none were recorded."""
        return float(np.quantile(self.latencies_ms, q)) if self.latencies_ms else None

    def summary(self) -> dict[str, object]:
        return {
            "model_version": self.model_version,
            "requests": self.requests,
            "rows": self.rows,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 5),
            "unanswered": self.unanswered,
            "latency_p50_ms": self.latency(0.5),
            "latency_p95_ms": self.latency(0.95),
            "prediction_mean": float(np.mean(self.predictions)) if self.predictions else None,
        }


@dataclass
class Online:
    """Both versions' stats, the shift between their predictions, and what could not be read."""

    root: str
    start: datetime
    end: datetime
    champion: VersionStats
    challenger: VersionStats
    other_versions: dict[str, int]
    malformed_lines: int
    ks: float | None
    psi: float | None


def _add(stats: VersionStats, batch: EventBatch) -> None:
    events = batch.events[batch.events[VERSION] == stats.model_version]
    # A response_only event's request half was never seen: only its answer counts.
    requests = events[events[KIND] != "response_only"]
    failed = requests["error"].notna()
    stats.requests += len(requests)
    stats.rows += int(requests["rows"].sum())
    stats.errors += int(failed.sum())
    stats.unanswered += int(((requests[KIND] == "request_only") & ~failed).sum())
    stats.latencies_ms += requests["latency_ms"].dropna().tolist()
    rows = batch.rows[batch.rows[VERSION] == stats.model_version]
    stats.predictions += rows[PREDICTION_COLUMN].dropna().tolist()


def collect(
    uri: str,
    start: datetime,
    end: datetime,
    champion_version: str,
    challenger_version: str,
    *,
    s3_endpoint_url: str | None = None,
) -> Online:
    """Read the window's events and summarise the two versions.

    Args:
        uri: event store, a directory or s3://bucket/prefix. start, end: the window [start, end),
            timezone-aware. champion_version, challenger_version: each bundle's ``model_version``.
        s3_endpoint_url: S3 endpoint (MinIO); None: AWS.

    Returns:
        Per-version stats; ``ks``/``psi`` are None unless both versions served predictions.
    """
    a, b = VersionStats(champion_version), VersionStats(challenger_version)
    others: pd.Series[int] = pd.Series(dtype="int64")
    reader = EventReader(uri, start, end, s3_endpoint_url=s3_endpoint_url)
    for batch in reader:
        _add(a, batch)
        _add(b, batch)
        versions = batch.events[VERSION].astype(str)
        counts = versions[~versions.isin([champion_version, challenger_version])].value_counts()
        others = others.add(counts, fill_value=0)
    both = bool(a.predictions) and bool(b.predictions)
    pa, pb = np.asarray(a.predictions), np.asarray(b.predictions)
    return Online(
        uri,
        start,
        end,
        a,
        b,
        {str(k): int(v) for k, v in others.items()},
        reader.malformed,
        ks_statistic(pa, pb) if both else None,
        psi(pa, pb) if both else None,
    )

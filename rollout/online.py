"""Online evidence from the prediction-event store: what each served model version did.

Events come from the predictor's local log or the collector (KServe's CloudEvents logger), in
``<root>/dt=YYYY-MM-DD/hour=HH/*.jsonl``. During a canary both revisions log with their own
``model_version``, and traffic is split at random, so their inputs are alike and a shift between
their prediction distributions is the models' difference, not the traffic's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from model.events import PredictionEvent, read_lines
from model.schema import TARGET
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


def _add(stats: VersionStats, event: PredictionEvent) -> None:
    if event.kind == "response_only":  # its request half was never seen; count the answer only
        stats.predictions += [p for p in event.outputs.get(TARGET, []) if p is not None]
        return
    stats.requests += 1
    stats.rows += event.rows
    if event.error is not None:
        stats.errors += 1
    elif event.kind == "request_only":
        stats.unanswered += 1
    stats.predictions += [p for p in event.outputs.get(TARGET, []) if p is not None]
    if event.latency_ms is not None:
        stats.latencies_ms.append(event.latency_ms)


def collect(
    root: Path, start: datetime, end: datetime, champion_version: str, challenger_version: str
) -> Online:
    """Read the window's events and summarise the two versions.

    Args:
        root: local event store directory. start, end: the window [start, end), timezone-aware.
        champion_version, challenger_version: the ``model_version`` of each bundle.

    Returns:
        Per-version stats; ``ks``/``psi`` are None unless both versions served predictions.
    """
    a, b = VersionStats(champion_version), VersionStats(challenger_version)
    others: dict[str, int] = {}
    malformed = 0
    for _, _, line in read_lines(root, start, end):
        try:
            event = PredictionEvent.from_line(line)
        except ValueError:
            malformed += 1  # a partial last line of a crashed writer, or a foreign line
            continue
        if not start <= event.ts < end:
            continue
        if event.model_version == champion_version:
            _add(a, event)
        elif event.model_version == challenger_version:
            _add(b, event)
        else:
            others[event.model_version] = others.get(event.model_version, 0) + 1
    both = bool(a.predictions) and bool(b.predictions)
    pa, pb = np.asarray(a.predictions), np.asarray(b.predictions)
    return Online(
        str(root),
        start,
        end,
        a,
        b,
        others,
        malformed,
        ks_statistic(pa, pb) if both else None,
        psi(pa, pb) if both else None,
    )

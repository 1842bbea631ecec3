"""Online labelled evidence: each version's error on the requests it served whose prices came in.

During a canary, traffic is split at random, so champion and challenger see alike rows over the
same period; their labelled RMSE is the online counterpart of the offline hold-out comparison.
The rows differ between the two, so each RMSE gets its own bootstrap interval (not a paired one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.labels import PRED, LabelStore, join
from model.schema import TARGET
from rollout.stats import Interval, resample_indices


@dataclass(frozen=True)
class VersionLabelled:
    """One version's labelled rows in the window, and its RMSE with a percentile interval."""

    model_version: str
    rows: int
    rmse: Interval | None

    def summary(self) -> dict[str, Any]:
        """JSON-ready."""
        rmse = self.rmse
        return {
            "model_version": self.model_version,
            "rows": self.rows,
            "rmse": None if rmse is None else rmse.value,
            "rmse_ci": None if rmse is None else [rmse.low, rmse.high],
        }


def _rmse(errors: np.ndarray, n_boot: int, seed: int, confidence: float) -> Interval:
    idx = resample_indices(len(errors), n_boot, seed)
    samples = np.sqrt((errors[idx] ** 2).mean(axis=1))
    tail = (1 - confidence) / 2
    return Interval(
        float(np.sqrt(np.mean(errors**2))),
        float(np.quantile(samples, tail)),
        float(np.quantile(samples, 1 - tail)),
    )


def collect(
    events_uri: Path | str,
    labels_uri: Path | str,
    start: datetime,
    end: datetime,
    versions: tuple[str, str],
    *,
    s3_endpoint_url: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    min_rows: int = 30,
) -> tuple[VersionLabelled, VersionLabelled] | None:
    """Champion's and challenger's labelled RMSE over [start, end); None without any label.

    A version with fewer than ``min_rows`` labelled rows gets ``rmse`` None (no claim).
    """
    labels = LabelStore(labels_uri, s3_endpoint_url=s3_endpoint_url).frame()
    if labels.empty:
        return None
    joined = join(events_uri, start, end, labels, s3_endpoint_url=s3_endpoint_url)
    out = []
    for version in versions:
        frame = joined.frames.get(version)
        n = 0 if frame is None else len(frame)
        rmse = None
        if frame is not None and n >= min_rows:
            errors = frame[PRED].to_numpy(float) - frame[TARGET].to_numpy(float)
            rmse = _rmse(errors, n_boot, seed, confidence)
        out.append(VersionLabelled(version, n, rmse))
    return out[0], out[1]


def text(evidence: tuple[VersionLabelled, VersionLabelled] | None) -> str:
    """Lines for the compare table (empty without labels)."""
    if evidence is None:
        return ""
    lines = ["online labelled evidence (same period; RMSE with 95 % bootstrap interval):"]
    for role, v in zip(("champion", "challenger"), evidence, strict=True):
        shown = (
            f"RMSE {v.rmse.value:,.0f} [{v.rmse.low:,.0f}, {v.rmse.high:,.0f}]"
            if v.rmse
            else "too few labelled rows for an RMSE"
        )
        lines.append(f"  {role:<10} {v.model_version}: {v.rows} labelled rows, {shown}")
    return "\n".join(lines)

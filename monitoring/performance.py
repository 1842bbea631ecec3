"""Performance of served predictions once their sale prices are known, per model version.

Labels (monitoring/feedback.py) join the window's prediction events by (request_id, row). Per
version: RMSE with a bootstrap confidence interval, MAE, mean error, RMSE and MAE per
``ocean_proximity`` segment, and the share of labels inside the predicted interval against the
coverage the bundle promises. The verdict is "degraded" only when the whole CI lies above the
bundle's hold-out RMSE times (1 + margin): a noisy window of a good model must not page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from model.bundle import LOWER, UPPER
from model.labels import HIGH, LOW, PRED, Labelled, join
from model.schema import CATEGORICAL, RAW_COLUMNS, TARGET

SEGMENT = CATEGORICAL
__all__ = ["HIGH", "LOW", "PRED", "Labelled", "join"]  # the join lives in model.labels


def bootstrap_rmse(
    errors: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of the RMSE (rows resampled with replacement, seeded)."""
    rng = np.random.default_rng(seed)
    squared = np.asarray(errors, dtype=np.float64) ** 2
    n, out = len(squared), []
    for chunk in range(0, resamples, 100):  # bounded memory: 100 x n indices at a time
        idx = rng.integers(0, n, size=(min(100, resamples - chunk), n))
        out.append(np.sqrt(squared[idx].mean(axis=1)))
    values = np.concatenate(out)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


@dataclass
class VersionPerformance:
    """One version's verdict and the numbers it was decided from."""

    model_version: str
    status: str
    labelled_rows: int
    holdout_rmse: float | None = None
    margin: float | None = None
    rmse_limit: float | None = None
    rmse: float | None = None
    rmse_ci_lower: float | None = None
    rmse_ci_upper: float | None = None
    mae: float | None = None
    mean_error: float | None = None
    coverage: float | None = None
    coverage_rows: int = 0
    promised_coverage: float | None = None
    segments: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def evaluate(
    version: str,
    frame: pd.DataFrame,
    *,
    holdout_rmse: float | None,
    promised_coverage: float | None,
    margin: float,
    min_rows: int,
    level: float = 0.95,
) -> VersionPerformance:
    """The verdict of one version: ok, degraded, or insufficient data (below ``min_rows``)."""
    result = VersionPerformance(version, "insufficient data", len(frame))
    result.holdout_rmse, result.margin, result.promised_coverage = (
        holdout_rmse,
        margin,
        promised_coverage,
    )
    if holdout_rmse is not None:
        result.rmse_limit = round(holdout_rmse * (1 + margin), 2)
    if len(frame) < min_rows:
        return result
    y, pred = frame[TARGET].to_numpy(float), frame[PRED].to_numpy(float)
    errors = pred - y
    result.rmse = round(float(np.sqrt(np.mean(errors**2))), 2)
    result.mae = round(float(np.mean(np.abs(errors))), 2)
    result.mean_error = round(float(np.mean(errors)), 2)
    low, high = bootstrap_rmse(errors, level=level)
    result.rmse_ci_lower, result.rmse_ci_upper = round(low, 2), round(high, 2)
    has = frame[LOW].notna() & frame[HIGH].notna()
    if has.any():
        inside = frame.loc[has, TARGET].between(frame.loc[has, LOW], frame.loc[has, HIGH])
        result.coverage, result.coverage_rows = round(float(inside.mean()), 4), int(has.sum())
    for segment, part in frame.groupby(SEGMENT, dropna=False):
        e = part[PRED].to_numpy(float) - part[TARGET].to_numpy(float)
        result.segments[str(segment)] = {
            "rows": len(part),
            "rmse": round(float(np.sqrt(np.mean(e**2))), 2),
            "mae": round(float(np.mean(np.abs(e))), 2),
        }
    degraded = result.rmse_limit is not None and low > result.rmse_limit
    result.status = "degraded" if degraded else "ok"
    return result


def with_intervals(frame: pd.DataFrame, bundle: Any) -> pd.DataFrame:
    """Fill missing interval bounds from the bundle (requests that did not ask for them)."""
    from model.predict import predict
    from model.schema import validate_raw

    need = frame[LOW].isna() | frame[HIGH].isna()
    if getattr(bundle, "interval", None) is None or not need.any():
        return frame
    out = predict(bundle, validate_raw(frame.loc[need, list(RAW_COLUMNS)]), interval=True)
    frame = frame.copy()
    frame.loc[need, LOW], frame.loc[need, HIGH] = out[LOWER], out[UPPER]
    return frame


def summary(
    labelled: Labelled, results: Iterable[VersionPerformance], start: datetime, end: datetime
) -> dict[str, Any]:
    """The run's one JSON document (what monitoring/verdicts.py turns into gauges)."""
    versions = [r.to_dict() for r in results]
    statuses = {v["status"] for v in versions}
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "status": "degraded"
        if "degraded" in statuses
        else ("ok" if "ok" in statuses else "insufficient data"),
        "labels_total": labelled.labels_total,
        "labels_matched": labelled.matched,
        "labels_unmatched": labelled.unmatched,
        "unmatched_examples": labelled.unmatched_examples,
        "versions": versions,
    }

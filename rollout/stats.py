"""Seeded bootstrap intervals, paired differences and distribution-shift statistics (NumPy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS = ("rmse", "mae", "r2")


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap percentile interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def resample_indices(n: int, n_boot: int, seed: int | tuple[int, ...]) -> np.ndarray:
    """``n_boot`` rows of ``n`` indices drawn with replacement; one seed, one set of rows."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _metric_matrix(y: np.ndarray, pred: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
    yy, err = y[idx], (y - pred)[idx]
    sse = (err**2).sum(axis=-1)
    sst = ((yy - yy.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(sst > 0, 1.0 - sse / sst, np.nan)
    return {"rmse": np.sqrt(sse / idx.shape[-1]), "mae": np.abs(err).mean(axis=-1), "r2": r2}


def point_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² of one prediction vector."""
    full = _metric_matrix(y, pred, np.arange(len(y))[None, :])
    return {k: float(v[0]) for k, v in full.items()}


def _interval(point: float, samples: np.ndarray, confidence: float) -> Interval:
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.nanpercentile(samples, [tail, 100.0 - tail])
    return Interval(float(point), float(low), float(high))


@dataclass(frozen=True)
class PairedResult:
    """Both models' metrics with intervals; the paired RMSE difference (challenger - champion)."""

    n: int
    champion: dict[str, Interval]
    challenger: dict[str, Interval]
    rmse_diff: Interval

    @property
    def rmse_diff_relative(self) -> float:
        """Difference as a share of the champion's RMSE (negative: the challenger is better)."""
        base = self.champion["rmse"].value
        return self.rmse_diff.value / base if base else float("nan")


def paired_bootstrap(
    y: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    n_boot: int,
    seed: int | tuple[int, ...],
    confidence: float = 0.95,
) -> PairedResult:
    """Bootstrap both models on the same resampled rows.

    Each resample draws rows with replacement once and scores both models on exactly those rows, so
    the difference's interval reflects only how the models differ, not which rows were drawn.

    Args:
        y: true values. champion, challenger: predictions for the same rows.
        n_boot: resamples. seed: NumPy seed (an int or a tuple, e.g. ``(seed, segment_no)``).
        confidence: coverage of the percentile intervals.

    Returns:
        Point values with intervals for both models and the RMSE difference.
    """
    idx = resample_indices(len(y), n_boot, seed)
    a, b = _metric_matrix(y, champion, idx), _metric_matrix(y, challenger, idx)
    pa, pb = point_metrics(y, champion), point_metrics(y, challenger)
    return PairedResult(
        n=len(y),
        champion={m: _interval(pa[m], a[m], confidence) for m in METRICS},
        challenger={m: _interval(pb[m], b[m], confidence) for m in METRICS},
        rmse_diff=_interval(pb["rmse"] - pa["rmse"], b["rmse"] - a["rmse"], confidence),
    )


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``actual`` against ``expected`` on ``expected``'s deciles.

    Rule of thumb: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 large shift.
    """
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(expected, edges)[0] / len(expected)
    f = np.histogram(actual, edges)[0] / len(actual)
    e, f = np.clip(e, eps, None), np.clip(f, eps, None)
    return float(np.sum((f - e) * np.log(f / e)))

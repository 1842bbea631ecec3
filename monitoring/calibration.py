"""Drift thresholds with a known false-alarm rate at the window size seen.

Evidently scores each column with a distance (normed Wasserstein for numbers, Jensen-Shannon for
the category) and flags it when the score reaches a threshold. Its default threshold (0.1) ignores
the window size: sampling noise alone crosses it on 300-row windows of heavy-tailed columns, and
a real shift may stay under it on 5,000 rows. Here each column's threshold is a quantile of that
same distance under "no drift", simulated from the bundle's reference:

- Under no drift, the window (n rows) and the reference (m rows) are two independent samples of
  one distribution, and the difference of their distribution functions is, to first order,
  ``sqrt(1/n + 1/m)`` times a Brownian bridge ``B(F(x))``. So the distance divided by
  ``sqrt(1/n + 1/m)`` has one null distribution for every window size: it is simulated once per
  bundle (cached) and scaled to the window size seen, per column (a column's size is its
  non-missing count). A test checks this against windows of the reference's own rows.
- The bridge is simulated with the multiplier bootstrap over the reference's rows (one random
  +-1 weight per row and replicate: cheap, and as valid as N(0, 1) weights), all columns from
  the same weights, so the dependence between columns (income and prediction move together) is
  kept. The weights' partial sums are counted exactly in integers (``_Column``, ``_Bits``).
- Family-wise control over the gated columns (single-step min-P, Westfall & Young 1993): the
  per-column tail level ``q`` is chosen so that in only ``alpha`` of the replicates any gated
  column reaches its threshold. Every column, gated or not, gets its ``1 - q`` quantile, so a
  "drifted" flag means the same everywhere on the dashboard.

The distances are Evidently 0.7.23's (evidently/legacy/calculations/stattests/
wasserstein_distance_norm.py: scipy's ``wasserstein_distance / max(std(ref), 0.001)``;
jensenshannon.py: scipy's ``jensenshannon`` of the category shares, natural log). The Jensen-Shannon
distance of shares ``p`` and ``p + d`` is ``sqrt(sum(d**2 / (8 p)))`` to first order; that is
what is simulated for the category.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

NUMERIC_METHOD, CATEGORICAL_METHOD = "wasserstein", "jensenshannon"
# Bump when the statistic, the procedure or its arithmetic changes: old caches are then ignored.
# 3: the partial sums are exact integer counts (2 summed them in float32: quantiles moved < 1e-4).
CALIBRATION_FORMAT = 3
_BATCH_CELLS = 2_000_000  # replicates x reference rows simulated at once (2 MB of bits)


@dataclass(frozen=True)
class Calibration:
    """Size-free null quantiles of one reference; ``threshold`` scales them to a window."""

    alpha: float
    """Family-wise false-alarm rate over the gated columns."""
    column_level: float
    """Per-column tail level ``q`` that holds ``alpha`` over the gated columns."""
    replicates: int
    seed: int
    gated: tuple[str, ...]
    methods: dict[str, str]
    reference_rows: dict[str, int]
    """Non-missing reference rows per column (``m``)."""
    standardized: dict[str, float]
    """Per column: the ``1 - q`` null quantile of distance / sqrt(1/n + 1/m)."""

    def threshold(self, column: str, rows: int) -> float:
        """The column's threshold for a window with ``rows`` non-missing values.

        ``rows`` is first rounded down to its size class (1, 2, 3, 5 x 10^k). Evidently names a
        dashboard series by the metric's parameters, thresholds included (evidently 0.7.23,
        ``ui/service/storage/local/base.py``, ``get_data_series``), so a threshold that
        moved with every missing value would start a new one-point series on every run; within a
        size class it stays put. Rounding down only raises the threshold: the false-alarm rate
        still holds, and at the benchmarked sizes (100, 300, 1,000, 5,000) nothing changes.
        """
        m = self.reference_rows[column]
        return self.standardized[column] * math.sqrt(1 / size_class(rows) + 1 / m)


def size_class(rows: int) -> int:
    """The largest of 1, 2, 3, 5 x 10^k that is at most ``rows`` (1 for ``rows`` < 1)."""
    if rows < 1:
        return 1
    power = 10 ** (len(str(int(rows))) - 1)
    return max(step * power for step in (1, 2, 3, 5) if step * power <= rows)


def wasserstein_norm(reference: np.ndarray, current: np.ndarray) -> float:
    """Evidently's "wasserstein" score of one numeric column (NaN already dropped)."""
    from scipy import stats

    norm = max(float(np.std(reference)), 0.001)
    return float(stats.wasserstein_distance(reference, current)) / norm


def jensenshannon(reference: pd.Series, current: pd.Series) -> float:
    """Evidently's "jensenshannon" score of one categorical column (NaN already dropped)."""
    from scipy.spatial import distance

    keys = sorted(set(reference.unique()) | set(current.unique()), key=str)
    ref = reference.value_counts().reindex(keys, fill_value=0).to_numpy(np.float64)
    cur = current.value_counts().reindex(keys, fill_value=0).to_numpy(np.float64)
    return float(distance.jensenshannon(ref / ref.sum(), cur / cur.sum()))


class _Column:
    """How one reference column turns row signs into its standardized null distance.

    A replicate's multiplier weights are ``xi = 2 s - 1`` for random bits ``s``, one per
    reference row. With ``P`` the ones among the ``c`` smallest of the ``m`` present values and
    ``T`` among all of them, the bridge ``(sum(xi[:c]) - c/m sum(xi)) / sqrt(m)`` is exactly
    ``2 (m P - c T) / m**1.5``: integer counts, computed exactly, and one scale factor applied to
    the distance (folded into the weights) instead of to every row.
    """

    def __init__(self, values: pd.Series, numeric: bool) -> None:
        self.numeric = numeric
        present = np.flatnonzero(values.notna().to_numpy())
        self.m = len(present)
        self.scale = 2 / math.sqrt(self.m)
        if numeric:
            clean = values.to_numpy(np.float64)[present]
            distinct, counts = np.unique(clean, return_counts=True)
            self.rows = present[np.argsort(clean, kind="stable")]  # reference rows in value order
            self.ends = np.cumsum(counts)[:-1] - 1  # last sorted row of each distinct value but one
            # m P - c T lies within +-m**2: int32 below 46,341 rows.
            self.exact = np.dtype(np.int32 if self.m**2 < 2**31 else np.int64)
            self.below = (self.ends + 1).astype(self.exact)  # c: rows at or below each value
            gaps = np.diff(distinct) / max(float(np.std(clean)), 0.001)
            self.weights = gaps * self.scale / self.m
        else:
            codes = pd.Categorical(values.to_numpy(object)[present]).codes
            counts = np.bincount(codes)
            self.rows = present[np.argsort(codes, kind="stable")]  # reference rows by category
            self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self.shares = counts / self.m
            self.inv = 1 / (8 * self.shares)

    def scores(self, bits: _Bits) -> np.ndarray:
        """Standardized distances of the replicates whose bits are ``bits``."""
        if not self.numeric:
            ones = bits.group_counts(self.rows, self.starts)  # categories x replicates
            z = ones - self.shares[:, None] * ones.sum(axis=0)
            return self.scale * np.sqrt(self.inv @ (z * z))
        ones = bits.prefix_counts(self.rows)  # sorted rows x replicates
        bridge = ones[self.ends].astype(self.exact)
        bridge *= self.m
        bridge -= np.multiply.outer(self.below, ones[-1].astype(self.exact))
        np.abs(bridge, out=bridge)
        return self.weights @ bridge


class _Bits:
    """One batch of replicates' random bits, rows x replicates, for exact counts of ones.

    A count of ones is at most the reference's row count, so a 16-bit counter holds it (32-bit
    above 32,767 rows). Four (two) replicates' counters are packed in one 64-bit integer: a sum
    of non-negative counters that each stay below their sign bit never carries into the next
    one, so one 64-bit cumulative sum down the rows counts four replicates at once. The gather
    of the rows and that sum are the calibration's main cost.
    """

    def __init__(self, signs: np.ndarray) -> None:
        self.replicates, rows = signs.shape
        self.lane = np.dtype(np.int16 if rows < 2**15 else np.int32)
        per_word = 8 // self.lane.itemsize
        width = -(-self.replicates // per_word) * per_word  # padded to whole 64-bit words
        self.packed = np.zeros((rows, width), self.lane)
        self.packed[:, : self.replicates] = signs.T

    def _unpack(self, counts: np.ndarray) -> np.ndarray:
        return counts.view(self.lane)[:, : self.replicates]

    def prefix_counts(self, rows: np.ndarray) -> np.ndarray:
        """Ones among the first i+1 of ``rows``, for every i (rows x replicates)."""
        return self._unpack(np.cumsum(self.packed[rows].view(np.int64), axis=0))

    def group_counts(self, rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Ones within each group of ``rows`` that begins at ``starts`` (groups x replicates)."""
        return self._unpack(np.add.reduceat(self.packed[rows].view(np.int64), starts, axis=0))


def null_scores(
    reference: pd.DataFrame,
    columns: Sequence[str],
    numeric: Sequence[str],
    replicates: int,
    seed: int,
) -> np.ndarray:
    """Standardized null distances, replicates x columns."""
    rng = np.random.default_rng(seed)
    cols = [_Column(reference[c], c in numeric) for c in columns]
    out = np.empty((replicates, len(cols)))
    batch = max(1, _BATCH_CELLS // len(reference))
    # One BLAS thread: the products here are small, and OpenBLAS's other threads spin between
    # them, which doubled the CPU time on 2 cores (0.8 s instead of 0.4 s).
    with threadpool_limits(1, user_api="blas"):
        for start in range(0, replicates, batch):
            signs = rng.integers(
                0, 2, size=(min(batch, replicates - start), len(reference)), dtype=np.int8
            )
            bits = _Bits(signs)
            for j, col in enumerate(cols):
                out[start : start + len(signs), j] = col.scores(bits)
    return out


def family_level(scores: np.ndarray, gated: Sequence[int], alpha: float) -> float:
    """Per-column tail level ``q``: any gated column beyond its ``1 - q`` quantile in ``alpha``."""
    b = len(scores)
    if not gated:
        return alpha
    tails = np.empty((b, len(gated)))
    for i, j in enumerate(gated):  # tail probability of each replicate within its own column
        tails[:, i] = (b - np.searchsorted(np.sort(scores[:, j]), scores[:, j])) / b
    min_p = np.sort(tails.min(axis=1))
    # Largest q with #(min_p <= q) <= alpha * b.
    allowed = math.floor(alpha * b)
    return float(min_p[allowed - 1]) if allowed >= 1 else 1 / b


def calibrate(
    reference: pd.DataFrame,
    *,
    columns: Sequence[str],
    numeric: Sequence[str],
    gated: Sequence[str],
    alpha: float,
    replicates: int,
    seed: int,
) -> Calibration:
    """Size-free thresholds of every column against ``reference``."""
    scores = null_scores(reference, columns, numeric, replicates, seed)
    q = family_level(scores, [columns.index(g) for g in gated], alpha)
    quantiles = np.quantile(scores, 1 - q, axis=0, method="higher")
    return Calibration(
        alpha=alpha,
        column_level=q,
        replicates=replicates,
        seed=seed,
        gated=tuple(gated),
        methods={c: NUMERIC_METHOD if c in numeric else CATEGORICAL_METHOD for c in columns},
        reference_rows={c: int(reference[c].notna().sum()) for c in columns},
        standardized={c: float(v) for c, v in zip(columns, quantiles, strict=True)},
    )


def cached_calibration(
    cache_dir: Path,
    version: str,
    reference: pd.DataFrame,
    *,
    columns: Sequence[str],
    numeric: Sequence[str],
    gated: Sequence[str],
    alpha: float,
    replicates: int,
    seed: int,
) -> Calibration:
    """``calibrate``, kept per bundle version in ``cache_dir`` (bundles never change)."""
    key = json.dumps(
        [CALIBRATION_FORMAT, list(columns), list(gated), alpha, replicates, seed, len(reference)]
    )
    path = cache_dir / version / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            return Calibration(**{**data, "gated": tuple(data["gated"])})
        except (ValueError, TypeError):
            pass  # a torn or foreign file: compute again and overwrite it
    result = calibrate(
        reference,
        columns=columns,
        numeric=numeric,
        gated=gated,
        alpha=alpha,
        replicates=replicates,
        seed=seed,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(result)))
    os.replace(tmp, path)
    return result

"""The plain model's interval where evidence is far, calibrated so that unseen regions keep it.

Where a district's evidence is far, the evidence blend (``model.evidence``) serves the plain
model's interval. It comes from the plain model's spatially blocked out-of-fold predictions on the
training rows (its errors in regions it never saw). Quantiles pooled over all those rows promise
the coverage only on average over regions, and regions differ: one is priced above what its raw
columns suggest, another below, so whole spatial-CV folds fell to 85-86 % of a nominal 90 %
(docs/model.md). Here each bound is instead the most extreme of the inner folds' own quantiles, so
every inner fold (a fifth of the regions) keeps each tail within (1 - coverage) / 2; and it is
calibrated per band of evidence distance, since errors grow with it. Bounds are ratios of target
to prediction: the plain model's gamma loss fits prices multiplicatively, and a ratio interval
is narrower for cheap districts than one USD offset for all (measured: docs/model.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin, clone
from sklearn.pipeline import Pipeline

# Bands need this many rows of an inner fold to count its quantiles: fewer make its 5 % tail a
# guess of one or two rows.
MIN_ROWS = 100


def ratios(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Target / prediction of each row.

    Raises:
        ValueError: a prediction is not positive (the plain model's gamma loss never gives one;
            a loss that can would make ratio bounds meaningless).
    """
    if not np.all(predicted > 0):
        raise ValueError(f"ratio bounds need positive predictions, got min {predicted.min():,.0f}")
    ratio: np.ndarray = y / predicted
    return ratio


def ratio_bands(
    ratio: np.ndarray,
    groups: np.ndarray,
    evidence: np.ndarray,
    starts: Sequence[float],
    coverage: float,
    *,
    min_rows: int = MIN_ROWS,
) -> tuple[tuple[float, float, float], ...]:
    """``EvidenceBlend.far_bands``: per evidence band, the widest of the groups' ratio quantiles.

    Args:
        ratio: target / out-of-fold prediction of each calibration row.
        groups: each row's inner spatial fold (the out-of-fold model that predicted it).
        evidence: each row's evidence distance (km) as seen from outside its fold.
        starts: where each band starts (km), ascending, the first 0.
        coverage: nominal two-sided coverage, e.g. 0.9.
        min_rows: rows a group needs inside a band for its quantiles to count.

    Returns:
        ``(start, lower, upper)`` per band. A band no group fills enough inherits the band below
        (the first: every row's widest group); a further band is never narrower than a nearer one.
    """
    if not starts or starts[0] != 0.0 or list(starts) != sorted(starts):
        raise ValueError(f"band starts must ascend from 0, got {list(starts)}")
    tail = (1.0 - coverage) / 2
    band = np.searchsorted(np.asarray(starts), evidence, side="right") - 1
    every = _widest(ratio, groups, np.ones(len(ratio), dtype=bool), tail, 1)
    if every is None:
        raise ValueError("no calibration rows")
    low, high = every
    out = []
    for index, start in enumerate(starts):
        inside = _widest(ratio, groups, band == index, tail, min_rows)
        if inside is not None and index == 0:
            low, high = inside
        elif inside is not None:
            low, high = min(low, inside[0]), max(high, inside[1])
        out.append((float(start), low, high))
    return tuple(out)


def out_of_fold(
    make: Callable[[], RegressorMixin],
    matrix: np.ndarray,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Each row's prediction by a model fitted without its fold.

    Args:
        make: factory of the unfitted regressor. matrix: its input rows. y: their targets.
        folds: (fit rows, own rows) per fold, covering every row once.
    """
    predicted = np.empty(len(y))
    for fit_rows, own_rows in folds:
        model = clone(make()).fit(matrix[fit_rows], y[fit_rows])
        predicted[own_rows] = model.predict(matrix[own_rows])
    return predicted


def fold_evidence(
    features: Pipeline,
    x: pd.DataFrame,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    column: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's fold and its evidence distance as seen from outside its fold.

    Args:
        features: the feature steps (a Pipeline; cloned and fitted per fold, as in serving).
        x: raw columns of the rows. y: their targets.
        folds: (fit rows, own rows) per fold, covering every row once.
        column: the evidence distance's column in the feature matrix.

    Returns:
        The fold index of every row, and its evidence distance (km) from the other folds' rows.
    """
    groups, evidence = np.empty(len(y), dtype=np.int64), np.empty(len(y))
    for index, (fit_rows, own_rows) in enumerate(folds):
        fitted = clone(features).fit(x.iloc[fit_rows], y[fit_rows])
        evidence[own_rows] = np.asarray(fitted.transform(x.iloc[own_rows]))[:, column]
        groups[own_rows] = index
    return groups, evidence


def _widest(
    ratio: np.ndarray, groups: np.ndarray, rows: np.ndarray, tail: float, min_rows: int
) -> tuple[float, float] | None:
    """Lowest lower and highest upper conformal quantile over the groups with enough rows."""
    bounds = [
        _quantiles(ratio[rows & (groups == group)], tail)
        for group in np.unique(groups)
        if np.count_nonzero(rows & (groups == group)) >= min_rows
    ]
    if not bounds:
        return None
    return min(low for low, _ in bounds), max(high for _, high in bounds)


def _quantiles(values: np.ndarray, tail: float) -> tuple[float, float]:
    # The split-conformal level of each one-sided tail (as model.intervals.conformal_margin).
    n = len(values)
    level = min(1.0, math.ceil((n + 1) * (1.0 - tail)) / n)
    return (
        float(np.quantile(values, 1.0 - level, method="lower")),
        float(np.quantile(values, level, method="higher")),
    )

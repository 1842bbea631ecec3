"""Fall back to a plain model where the nearest priced districts are far away.

The champion leans on what nearby districts are worth (``model.neighbours``). Where no priced
district is near (a new development, a region the training data covers thinly) those statistics
describe somewhere else, and spatially blocked CV shows the champion then doing worse than a plain
model of the raw columns (docs/model.md). ``EvidenceBlend`` reads how far the evidence is from the
feature matrix (``evidence_km``: the distance to the nearest training district times how
one-sided its neighbours lie) and moves from the champion to the plain model as that distance
grows, for the point estimate and the interval; the plain model's interval also widens with it
(``far_bands``).

Both regressors are fitted by ``training``; this object only predicts. Rows with near evidence
(nearly every row of a random split) never evaluate the plain model, so they cost what the
champion alone costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class EvidenceBlend(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """The champion where evidence is near, the plain model where it is far, linear in between.

    Attributes:
        near: regressor fitted on the first ``near_columns`` columns (the champion).
        far: regressor fitted on the first ``plain_columns`` columns (raw columns, ratios,
            one-hot: the same as ``HousingFeatures(engineered=False)``).
        near_columns: how many leading columns the champion reads: all but the evidence
            distance, which only gates (as a champion input it cost CV and hold-out RMSE).
        plain_columns: how many leading columns the plain model reads.
        distance_column: column of the mean distance (km) to the nearest training districts.
        near_km: at or below this distance only the champion counts.
        far_km: at or above it only the plain model counts.
        far_residuals: lower and upper residual quantiles (USD) of the plain model on regions it
            never saw (spatially blocked out-of-fold, conformal): its interval offsets when
            ``far_bands`` is empty.
        far_bands: ``(from_km, lower, upper)`` per band of evidence distance, ascending, the first
            from 0: where a row's evidence is at least ``from_km`` (the last such band), the plain
            model's interval is its prediction times ``lower`` and ``upper`` (target / prediction
            ratios, ``training.far_interval``). Empty in bundles pickled before it existed.
    """

    # Bundles pickled before the bands existed have no such attribute: they read this default.
    far_bands: tuple[tuple[float, float, float], ...] = ()

    def __init__(
        self,
        near: Any,
        far: Any,
        near_columns: int,
        plain_columns: int,
        distance_column: int,
        near_km: float,
        far_km: float,
        far_residuals: tuple[float, float],
        far_bands: tuple[tuple[float, float, float], ...] = (),
    ) -> None:
        self.near = near
        self.far = far
        self.near_columns = near_columns
        self.plain_columns = plain_columns
        self.distance_column = distance_column
        self.near_km = near_km
        self.far_km = far_km
        self.far_residuals = far_residuals
        self.far_bands = far_bands

    def fit(self, X: Any, y: Any = None) -> EvidenceBlend:
        """Not fitted in place: ``training.pipeline.fit`` builds it from two fitted regressors.

        Present because scikit-learn's Pipeline only predicts through a step that has ``fit``.
        """
        raise NotImplementedError("EvidenceBlend is built from fitted regressors by training")

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def near_weight(self, features: np.ndarray) -> np.ndarray:
        """Weight of the champion per row: 1 at ``near_km`` or closer, 0 at ``far_km`` or beyond."""
        distance = features[:, self.distance_column]
        weight: np.ndarray = np.clip(
            (self.far_km - distance) / (self.far_km - self.near_km), 0.0, 1.0
        )
        return weight

    def plain(self, features: np.ndarray) -> Plain:
        """The plain model's part: which rows it counts for, its weight there, its predictions.

        Rows where only the champion counts (nearly all of a random split) skip the plain model.
        """
        weight = self.near_weight(features)
        rows = np.flatnonzero(weight < 1.0)
        predicted = (
            np.asarray(self.far.predict(features[rows, : self.plain_columns]), dtype=np.float64)
            if len(rows)
            else np.empty(0)
        )
        return Plain(rows, 1.0 - weight[rows], predicted)

    def far_offsets(self, features: np.ndarray, plain: Plain) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper offsets from the plain prediction, per row of ``plain``, for
        ``Plain.mix``: the further a row's evidence, the wider (``far_bands``)."""
        if not self.far_bands or not len(plain.rows):
            low, high = self.far_residuals
            return np.full(len(plain.rows), low), np.full(len(plain.rows), high)
        starts, lows, highs = (np.array(column) for column in zip(*self.far_bands, strict=True))
        distance = features[plain.rows, self.distance_column]
        band = np.maximum(np.searchsorted(starts, distance, side="right") - 1, 0)
        return plain.predicted * (lows[band] - 1.0), plain.predicted * (highs[band] - 1.0)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The blended point estimate per row."""
        return self.plain(features).mix(self.predict_near(features))

    def predict_near(self, features: np.ndarray) -> np.ndarray:
        """The champion's prediction alone."""
        return np.asarray(self.near.predict(features[:, : self.near_columns]), dtype=np.float64)


@dataclass(frozen=True)
class Plain:
    """The plain model's share of a batch (``EvidenceBlend.plain``)."""

    rows: np.ndarray
    weight: np.ndarray
    predicted: np.ndarray

    def mix(self, near: np.ndarray, offset: float | np.ndarray = 0.0) -> np.ndarray:
        """``near`` (champion values for every row) mixed with the plain prediction + ``offset``.

        The point estimate uses offset 0; the interval bounds use the plain model's offsets per
        row (``EvidenceBlend.far_offsets``).
        """
        out = near.copy()
        out[self.rows] += self.weight * (self.predicted + offset - near[self.rows])
        return out

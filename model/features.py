"""Every transform from validated raw rows to the model's numeric feature matrix.

One transformer, ``HousingFeatures``, does all of it on NumPy arrays (ratios, imputation, one-hot,
geography, neighbour statistics): single-row predictions sit on the serving hot path, and a stack of
pandas-output ColumnTransformers costs several milliseconds per call.

Target statistics (``model.neighbours``) follow sklearn's ``TargetEncoder`` pattern:
``fit_transform(X, y)`` gives every training row statistics of its neighbours *excluding itself*
(leave-self-out) and of its grid cells out-of-fold, while ``transform(X)`` uses all training
rows. Inside a Pipeline, ``cross_validate`` refits per fold, so no row's target ever reaches its
own features.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from model.geography import GEOGRAPHY_FEATURES, geography, planar_km
from model.neighbours import (
    GRID_STATS,
    KERNEL_STATS,
    LOCAL_FIT_STATS,
    NEIGHBOUR_STATS,
    encode_cells,
    fit_cells,
    floored,
    grid_cells,
    kd_tree,
    kernel_prior,
    neighbour_stats,
    out_of_fold_cells,
    target_table,
)
from model.schema import CATEGORICAL, CATEGORIES, NUMERIC, Rows

# Each raw column by its name in model.schema, never by its position there: a column added to the
# schema must not shift these (tests/model/test_features.py checks each is a schema column).
LONGITUDE, LATITUDE, AGE = "longitude", "latitude", "housing_median_age"
ROOMS, BEDROOMS, POPULATION = "total_rooms", "total_bedrooms", "population"
HOUSEHOLDS, INCOME = "households", "median_income"

RATIO_FEATURES: tuple[str, ...] = (
    "rooms_per_household",
    "bedrooms_per_room",
    "population_per_household",
)

_CATEGORY_VALUES = np.asarray(CATEGORIES[CATEGORICAL], dtype=object)
# One neighbourhood: the smallest k that scores as well as larger ones, at the cheapest KD-tree
# query (docs/model.md lists the sizes tried).
NEIGHBOURHOODS = (16,)
GRID_DEGREES = (0.05, 0.25)
# Seed of the out-of-fold split of the grid encodings (fit_transform only).
_GRID_SEED = 0


# How far a row's evidence is (``model.neighbours``: nearest distance x one-sidedness, km).
DISTANCE_FEATURE = f"evidence_km_k{max(NEIGHBOURHOODS)}"


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """Add the per-household and per-room ratio columns to a validated raw frame.

    Args:
        df: rows that passed ``model.schema.validate_raw``. A missing ``total_bedrooms`` gives a
            missing ``bedrooms_per_room``; imputation belongs to the fitted pipeline.

    Returns:
        A new frame: the input columns plus ``RATIO_FEATURES``. The input is not modified.
    """
    rooms, bedrooms, population, households = (
        _column(df, c) for c in (ROOMS, BEDROOMS, POPULATION, HOUSEHOLDS)
    )
    ratios = _ratios(rooms, bedrooms, population, households)
    return df.assign(**dict(zip(RATIO_FEATURES, ratios.T, strict=True)))


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_columns(df: pd.DataFrame | Rows) -> dict[str, np.ndarray]:
    if isinstance(df, Rows):
        return {name: df.numeric[:, i] for i, name in enumerate(NUMERIC)}
    # A frame in schema order (what validate_raw returns) gives its numeric block in one call:
    # ~65 instead of ~150 µs per request for eight column lookups.
    if tuple(df.columns[: len(NUMERIC)]) == NUMERIC:
        block = df.iloc[:, : len(NUMERIC)].to_numpy(dtype=np.float64, na_value=np.nan)
        return {name: block[:, i] for i, name in enumerate(NUMERIC)}
    return {name: _column(df, name) for name in NUMERIC}


def _ratios(
    rooms: np.ndarray, bedrooms: np.ndarray, population: np.ndarray, households: np.ndarray
) -> np.ndarray:
    # The schema guarantees rooms >= 1 and households >= 1, so no division by zero.
    return np.column_stack([rooms / households, bedrooms / rooms, population / households])


# auto_wrap_output_keys=None: no set_output wrapper around transform (it looks up the output
# configuration on every call; nothing here asks for pandas output).
class HousingFeatures(  # type: ignore[call-arg]
    TransformerMixin,  # type: ignore[misc]
    BaseEstimator,  # type: ignore[misc]
    auto_wrap_output_keys=None,
):
    """Validated raw frame -> float64 feature matrix, in one NumPy pass.

    Output columns (see ``get_feature_names_out``): the raw numeric columns with
    ``total_bedrooms`` imputed, the ratios, one-hot ``ocean_proximity`` and, when ``engineered``,
    distances to cities, rotated coordinates, statistics of the nearest training districts
    (distance-weighted and Gaussian-kernel) and grid-cell target encodings (``model.neighbours``).

    ``fit_transform(X, y)`` differs from ``fit(X, y).transform(X)`` on purpose (as in sklearn's
    ``TargetEncoder``): the former leaves each training row out of its own neighbourhood and
    encodes its grid cells from the folds that exclude it.

    Args:
        engineered: add geography and neighbour features; False gives the raw-column baseline.
        neighbourhoods: sizes k of the neighbourhoods (nearest training rows) to summarise;
            the widest also feeds the local fit and the kernel statistics.
        grid_degrees: side, in degrees, of the square cells target-encoded at each scale.
    """

    def __init__(
        self,
        engineered: bool = True,
        neighbourhoods: tuple[int, ...] = NEIGHBOURHOODS,
        grid_degrees: tuple[float, ...] = GRID_DEGREES,
    ) -> None:
        self.engineered = engineered
        self.neighbourhoods = neighbourhoods
        self.grid_degrees = grid_degrees

    def fit(self, X: pd.DataFrame, y: Any = None) -> HousingFeatures:
        """Learn the imputation ratio and, when engineered, the neighbour index.

        Args:
            X: validated raw rows (``model.schema.validate_raw``).
            y: the target in dollars; required when ``engineered``.

        Returns:
            self.

        Raises:
            ValueError: ``engineered`` and no target, or not more rows than the widest
                neighbourhood.
        """
        self._fit(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, then transform the training rows leaving each row out of its own neighbours.

        Args:
            X: validated raw rows.
            y: the target in dollars; required when ``engineered``.
            **fit_params: unused; accepted for the TransformerMixin signature.

        Returns:
            The feature matrix of the training rows, free of each row's own target.
        """
        self._fit(X, y)
        return self._transform(X, leave_self_out=True)

    def transform(self, X: pd.DataFrame | Rows) -> np.ndarray:
        """Turn validated raw rows into the feature matrix, using every training row.

        Args:
            X: validated raw rows (``validate_raw``'s frame or ``validate_columns``' rows); a
                missing ``total_bedrooms`` is imputed.

        Returns:
            A float64 array of shape ``(len(X), len(self.get_feature_names_out()))``.

        Raises:
            NotFittedError: ``fit`` has not been called.
        """
        # Not check_is_fitted: its estimator-tag lookups cost ~0.1 ms per one-row request.
        if not hasattr(self, "bedrooms_per_room_"):
            raise NotFittedError("HousingFeatures is not fitted yet: call fit first")
        return self._transform(X, leave_self_out=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns, in matrix order (for feature-importance plots).

        Args:
            input_features: ignored; the input columns are fixed by ``model.schema``.

        Returns:
            An object array of column names.
        """
        names = feature_names(
            engineered=self.engineered,
            neighbourhoods=self.neighbourhoods,
            grid_degrees=self.grid_degrees,
        )
        return np.asarray(names, dtype=object)

    def _fit(self, X: pd.DataFrame, y: Any) -> None:
        self.feature_names_in_ = np.asarray((*NUMERIC, CATEGORICAL), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        rooms, bedrooms = _column(X, ROOMS), _column(X, BEDROOMS)
        known = ~np.isnan(bedrooms)
        # Impute bedrooms from rooms (a ratio), not a global median: district sizes vary 100-fold.
        ratio = np.median(bedrooms[known] / rooms[known]) if known.any() else 0.2
        self.bedrooms_per_room_ = float(ratio)
        if not self.engineered:
            return
        if y is None:
            raise ValueError("HousingFeatures(engineered=True) needs the target y to fit")
        if len(X) <= max(self.neighbourhoods):
            raise ValueError(f"need more rows than neighbourhoods={self.neighbourhoods}: {len(X)}")
        lat, lon = _column(X, LATITUDE), _column(X, LONGITUDE)
        xy = planar_km(lat, lon)
        self.tree_ = kd_tree(xy)
        rooms_per_household = _column(X, ROOMS) / _column(X, HOUSEHOLDS)
        self.neighbour_values_ = target_table(
            np.asarray(y, dtype=np.float64).ravel(), _column(X, INCOME), rooms_per_household
        )
        self.kernel_prior_ = kernel_prior(self.neighbour_values_)
        self.cells_ = [
            fit_cells(grid_cells(lat, lon, d), self.neighbour_values_) for d in self.grid_degrees
        ]

    def _transform(self, X: pd.DataFrame | Rows, *, leave_self_out: bool) -> np.ndarray:
        raw = _numeric_columns(X)
        rooms, population, households = raw[ROOMS], raw[POPULATION], raw[HOUSEHOLDS]
        lat, lon, income = raw[LATITUDE], raw[LONGITUDE], raw[INCOME]
        bedrooms = raw[BEDROOMS]
        bedrooms = np.where(np.isnan(bedrooms), rooms * self.bedrooms_per_room_, bedrooms)
        raw[BEDROOMS] = bedrooms
        columns = [raw[name] for name in NUMERIC]
        category = X.category if isinstance(X, Rows) else X[CATEGORICAL].to_numpy(dtype=object)
        ratios = _ratios(rooms, bedrooms, population, households)
        parts = [*columns, ratios, category[:, None] == _CATEGORY_VALUES[None, :]]
        if self.engineered:
            xy = planar_km(lat, lon)
            parts.append(geography(xy))
            nearest, kernel = neighbour_stats(
                self.tree_,
                self.neighbour_values_,
                self.kernel_prior_,
                xy,
                income,
                ratios[:, 0],
                self.neighbourhoods,
                leave_self_out=leave_self_out,
            )
            parts += [nearest, *self._cells(lat, lon, income, leave_self_out), kernel]
        return np.column_stack(parts).astype(np.float64, copy=False)

    def _cells(
        self, lat: np.ndarray, lon: np.ndarray, income: np.ndarray, leave_self_out: bool
    ) -> list[np.ndarray]:
        out = []
        for degrees, fitted in zip(self.grid_degrees, self.cells_, strict=True):
            cells = grid_cells(lat, lon, degrees)
            stats = (
                out_of_fold_cells(cells, self.neighbour_values_, _GRID_SEED)
                if leave_self_out
                else encode_cells(*fitted, cells)
            )
            stats[:, 1] *= floored(income)  # the cell's value per income unit at this income
            out.append(stats)
        return out


def feature_names(
    *,
    engineered: bool = True,
    neighbourhoods: tuple[int, ...] = NEIGHBOURHOODS,
    grid_degrees: tuple[float, ...] = GRID_DEGREES,
) -> tuple[str, ...]:
    """Names of the model's input features, in the order ``HousingFeatures`` produces them.

    Args:
        engineered: the same flag as ``HousingFeatures``.
        neighbourhoods: the same parameter as ``HousingFeatures``.
        grid_degrees: the same parameter as ``HousingFeatures``.

    Returns:
        The column names of the feature matrix.
    """
    one_hot = tuple(f"{CATEGORICAL}={c}" for c in CATEGORIES[CATEGORICAL])
    names = (*NUMERIC, *RATIO_FEATURES, *one_hot)
    if not engineered:
        return names
    neighbours = (
        *(f"{stat}_k{k}" for k in neighbourhoods for stat in NEIGHBOUR_STATS),
        *(f"{stat}_k{max(neighbourhoods)}" for stat in LOCAL_FIT_STATS),
    )
    cells = (f"{stat}_{d:g}deg" for d in grid_degrees for stat in GRID_STATS)
    kernel = (f"{stat}_k{max(neighbourhoods)}" for stat in KERNEL_STATS)
    return (*names, *GEOGRAPHY_FEATURES, *neighbours, *cells, *kernel)


def build_pipeline(
    regressor: RegressorMixin, *, engineered: bool = True, scale: bool | None = None
) -> Pipeline:
    """Raw validated frame -> features -> (scaler) -> regressor, as one fittable Pipeline.

    Args:
        regressor: an unfitted regressor (e.g. from ``training.candidates.ladder``).
        engineered: use the full feature set; False gives raw columns + imputation + one-hot.
        scale: add a StandardScaler before the regressor. None (default) scales only linear
            models, which need it; trees are scale-invariant and skip it to save latency.

    Returns:
        An unfitted Pipeline with steps ``features``, optionally ``scale``, and ``regressor``.
    """
    if scale is None:
        scale = _is_linear(regressor)
    steps: list[tuple[str, Any]] = [("features", HousingFeatures(engineered=engineered))]
    if scale:
        steps.append(("scale", StandardScaler()))
    steps.append(("regressor", regressor))
    return Pipeline(steps)


def _is_linear(regressor: Any) -> bool:
    inner = getattr(regressor, "regressor", None)  # look through TransformedTargetRegressor
    return type(inner if inner is not None else regressor).__module__.startswith(
        "sklearn.linear_model"
    )

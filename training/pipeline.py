"""Fitting and scoring: the split, cross-validation, hold-out metrics and the final fit.

The only package that calls ``fit``. Everything else predicts with the fitted Pipeline it stores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import Pipeline

from model.bundle import LOWER, PREDICTION, UPPER
from model.evidence import EvidenceBlend
from model.features import DISTANCE_FEATURE, build_pipeline, feature_names
from model.forest import CompiledTrees
from model.intervals import ConformalInterval, conformal_margin
from model.predict import predict
from model.schema import RAW_COLUMNS, TARGET
from training import candidates, far_interval
from training.spatial import describe as describe_spatial
from training.spatial import spatial_folds


def xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Raw feature columns and the target as float64."""
    return frame.loc[:, list(RAW_COLUMNS)], frame[TARGET].to_numpy(dtype=np.float64)


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² rounded for the manifest."""
    return {
        "rmse": round(float(root_mean_squared_error(y_true, y_pred)), 1),
        "mae": round(float(mean_absolute_error(y_true, y_pred)), 1),
        "r2": round(float(r2_score(y_true, y_pred)), 4),
    }


def candidate_factory(name: str) -> Callable[[], RegressorMixin]:
    """The factory of a named candidate, or ValueError listing the valid names."""
    ladder = candidates.ladder()
    if name not in ladder:
        raise ValueError(f"candidate: {name!r} not in {sorted(ladder)}")
    return ladder[name]


def cross_validate(
    make: Callable[[], RegressorMixin],
    train: pd.DataFrame,
    folds: int,
    seed: int,
    *,
    engineered: bool = True,
    spatial: bool = False,
    intervals: bool = False,
    evidence: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Per-fold RMSE on the training part; each fold fits a fresh Pipeline (no leakage).

    Args:
        make: factory of the unfitted regressor.
        train: the training part of the hold-out split.
        folds: number of folds.
        seed: seed of the fold assignment (random) or of the k-means regions (spatial), and of
            the models.
        engineered: the full feature set; False gives the raw-column baseline.
        spatial: spatially blocked folds (``training.spatial``) instead of shuffled K-fold.
        intervals: also fit the interval models per fold and report their coverage per fold.
        evidence: blend with the plain model where evidence is far (``fit``).

    Returns:
        ``{"rmse_mean", "rmse_std", "folds": [...], "rows": [...], "scheme"}``, plus
        ``"coverage": [...]`` (share of validation rows inside their interval) and
        ``"mean_width": [...]`` (USD) per fold with intervals.
    """
    x, y = xy(train)
    if spatial:
        splits = spatial_folds(train, folds=folds, seed=seed)
        scheme = describe_spatial(folds=folds, seed=seed)
    else:
        splits = list(KFold(folds, shuffle=True, random_state=seed).split(x))
        scheme = f"{folds}-fold shuffle seed {seed}"
    scores, coverage, width = [], [], []
    for fit_idx, val_idx in splits:
        fitted = fit(
            make,
            train.iloc[fit_idx],
            intervals=intervals,
            seed=seed,
            engineered=engineered,
            evidence=evidence,
        )
        out = predict(fitted, x.iloc[val_idx], interval=intervals)
        scores.append(float(root_mean_squared_error(y[val_idx], out[PREDICTION])))
        if intervals:
            coverage.append(covered(y[val_idx], out[LOWER], out[UPPER]))
            width.append(float(np.mean(out[UPPER] - out[LOWER])))
    result: dict[str, Any] = {
        "rmse_mean": round(float(np.mean(scores)), 1),
        "rmse_std": round(float(np.std(scores)), 1),
        "folds": [round(s, 1) for s in scores],
        "rows": [len(val_idx) for _, val_idx in splits],
        "scheme": scheme,
    }
    if intervals:
        result["coverage"] = [round(c, 4) for c in coverage]
        result["mean_width"] = [round(w, 1) for w in width]
    return result


def covered(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of the targets inside their interval."""
    return float(np.mean((y >= lower) & (y <= upper)))


@dataclass
class Fitted:
    """The fitted Pipeline, the interval models sharing its features, and the fit time.

    It has what ``model.predict.predict`` needs of a bundle, so training scores through the same
    code path as serving (the price cap included).
    """

    pipeline: Pipeline
    interval: ConformalInterval | None = None
    fit_seconds: float = 0.0
    version: str = "unpublished"


def fit_interval(
    matrix: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    coverage: float = 0.9,
    calibration_share: float = 0.2,
    columns: int | None = None,
) -> ConformalInterval:
    """Quantile models on part of the training rows, conformal margin from the rest.

    The rows' features come from ``fit_transform`` (target-derived ones leave each row out),
    so the calibration rows look like unseen rows to the quantile models.
    """
    fit_rows, cal_rows = train_test_split(
        np.arange(len(y)), test_size=calibration_share, random_state=seed
    )
    matrix = matrix[:, :columns]
    models = candidates.quantile_regressors()
    lower = clone(models["lower"]).fit(matrix[fit_rows], y[fit_rows])
    upper = clone(models["upper"]).fit(matrix[fit_rows], y[fit_rows])
    margin = conformal_margin(
        lower.predict(matrix[cal_rows]),
        upper.predict(matrix[cal_rows]),
        y[cal_rows],
        coverage,
    )
    return ConformalInterval(
        lower=CompiledTrees(lower),
        upper=CompiledTrees(upper),
        margin=margin,
        coverage=coverage,
        columns=columns,
    )


def evidence_blend(
    near: RegressorMixin,
    matrix: np.ndarray,
    train: pd.DataFrame,
    y: np.ndarray,
    seed: int,
    km: tuple[float, float],
    *,
    features: Pipeline | None = None,
    coverage: float = 0.9,
) -> EvidenceBlend:
    """The fitted champion blended with a plain model where evidence is far.

    The plain model's interval comes from its spatially blocked out-of-fold predictions on the
    training rows (its errors in regions it never saw): conformal residual quantiles, and with
    ``features`` the ratio bands of ``training.far_interval``.

    Args:
        near: the fitted champion regressor.
        matrix: the training rows' feature matrix (``fit_transform``).
        train: the training rows (for their regions).
        y: their targets.
        seed: seed of the regions and the plain model.
        km: (near_km, far_km) of ``model.evidence.EvidenceBlend``.
        features: the feature steps, to compute each row's evidence distance from outside its
            fold for the interval bands; None: no bands (no interval is served).
        coverage: nominal coverage of the plain model's interval.
    """
    plain = len(feature_names(engineered=False))
    make_far = candidates.far_regressor
    folds = spatial_folds(train, seed=seed)
    out_of_fold = far_interval.out_of_fold(make_far, matrix[:, :plain], y, folds)
    residual = y - out_of_fold
    tail = (1.0 - coverage) / 2
    distance = feature_names().index(DISTANCE_FEATURE)
    if distance != matrix.shape[1] - 1:
        raise ValueError(f"{DISTANCE_FEATURE} must be the last feature column to only gate")
    bands = ()
    if features is not None:
        groups, evidence = far_interval.fold_evidence(features, xy(train)[0], y, folds, distance)
        ratio = far_interval.ratios(y, out_of_fold)
        bands = far_interval.ratio_bands(ratio, groups, evidence, candidates.FAR_BAND_KM, coverage)
    return EvidenceBlend(
        near=compiled(near),
        far=CompiledTrees(make_far().fit(matrix[:, :plain], y)),
        near_columns=distance,
        plain_columns=plain,
        distance_column=distance,
        near_km=km[0],
        far_km=km[1],
        far_residuals=(
            float(np.quantile(residual, tail, method="lower")),
            float(np.quantile(residual, 1.0 - tail, method="higher")),
        ),
        far_bands=bands,
    )


def compiled(regressor: Any) -> Any:
    """A fitted HistGradientBoosting regressor with the fast small-batch path (``model.forest``);
    any other regressor as it is."""
    if (
        isinstance(regressor, HistGradientBoostingRegressor)
        and regressor.n_trees_per_iteration_ == 1
    ):
        return CompiledTrees(regressor)
    return regressor


def fit(
    make: Callable[[], RegressorMixin],
    train: pd.DataFrame,
    *,
    intervals: bool,
    seed: int = 42,
    engineered: bool = True,
    evidence: tuple[float, float] | None = None,
) -> Fitted:
    """Fit the final model; the interval models reuse the same fitted feature steps.

    The feature matrix of the training rows is computed once (``fit_transform``, which for
    target-derived features is out-of-fold) and shared by the point and interval regressors.
    """
    start = time.perf_counter()
    x, y = xy(train)
    template = build_pipeline(make(), engineered=engineered)
    features = Pipeline(template.steps[:-1])
    matrix = features.fit_transform(x, y)
    name, regressor = template.steps[-1]
    matrix = np.asarray(matrix)
    # With the blend, the evidence distance (the last column) only gates: no model reads it.
    columns = matrix.shape[1] - 1 if evidence is not None else None
    regressor.fit(matrix[:, :columns], y)
    if evidence is not None:
        regressor = evidence_blend(
            regressor, matrix, train, y, seed, evidence, features=features if intervals else None
        )
    pipeline = Pipeline([*features.steps, (name, regressor)])
    interval = fit_interval(matrix, y, seed, columns=columns) if intervals else None
    return Fitted(pipeline, interval, round(time.perf_counter() - start, 2))

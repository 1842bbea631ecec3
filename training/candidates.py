"""The candidate regressors: the evidence ladder, the champion and the prediction-interval models.

Every factory returns an *unfitted* regressor meant to sit behind ``model.features.build_pipeline``.
Scaling is the pipeline's job: ``build_pipeline`` adds a StandardScaler in front of linear models
(found by their module, also through a TransformedTargetRegressor), so the linear rungs see the
same feature matrix as the trees.

The champion was chosen by 5-fold CV RMSE on the training part of the seed's split (see
``CHAMPION``); the test part was scored once, after the choice.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import RegressorMixin
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

SEED = 42
CHAMPION = "hist_gradient_boosting"

# Chosen by CV on the training part. A fixed number of boosting rounds (no early stopping) keeps
# training deterministic and avoids holding out 10 % of the rows for a validation split.
_CHAMPION_PARAMS: dict[str, object] = {
    "max_iter": 600,
    "learning_rate": 0.05,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    # Each split sees half the features: the geography and neighbour features are strongly
    # correlated, and subsampling them cut CV RMSE by ~300 (40,288 -> 39,964).
    "max_features": 0.5,
    "early_stopping": False,
    "random_state": SEED,
}
# Serving cost: HistGradientBoosting's predict loops over trees in Python (~6 us per tree per
# call), so single-row latency grows with max_iter: 600 trees ~4 ms, 150 trees ~1 ms.
# The fast variant trades ~380 CV RMSE (40,341 vs 39,964) for ~4x cheaper single-row predicts.
_FAST_PARAMS: dict[str, object] = {
    **_CHAMPION_PARAMS,
    "max_iter": 150,
    "learning_rate": 0.1,
    "max_leaf_nodes": 63,
}
# 90 % intervals need two quantile models; few rounds keep their fit and predict cheap.
_QUANTILE_PARAMS: dict[str, object] = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "min_samples_leaf": 50,
    "early_stopping": False,
    "random_state": SEED,
}
INTERVAL_QUANTILES: dict[str, float] = {"lower": 0.05, "upper": 0.95}


def hist_gradient_boosting() -> HistGradientBoostingRegressor:
    """The champion: histogram gradient boosting with the CV-chosen hyper-parameters.

    Returns:
        An unfitted HistGradientBoostingRegressor.
    """
    return HistGradientBoostingRegressor(**_CHAMPION_PARAMS)


def ladder() -> dict[str, Callable[[], RegressorMixin]]:
    """The evidence ladder, simplest model first, ending with the champion.

    Returns:
        Candidate name -> factory of an unfitted regressor.
    """
    return {
        "linear": LinearRegression,
        "ridge": lambda: Ridge(alpha=1.0),
        "decision_tree": lambda: DecisionTreeRegressor(min_samples_leaf=10, random_state=SEED),
        # max_features=0.5 halves the cost of each split search and decorrelates the trees.
        "random_forest": lambda: RandomForestRegressor(
            n_estimators=100, max_features=0.5, min_samples_leaf=2, n_jobs=2, random_state=SEED
        ),
        "gradient_boosting": lambda: GradientBoostingRegressor(random_state=SEED),
        "hist_gradient_boosting": hist_gradient_boosting,
        "hist_gradient_boosting_fast": lambda: HistGradientBoostingRegressor(**_FAST_PARAMS),
    }


def quantile_regressors() -> dict[str, RegressorMixin]:
    """Quantile models for 90 % prediction intervals, cheap to fit.

    Returns:
        ``{"lower": q=0.05 model, "upper": q=0.95 model}``, unfitted, each meant to go through
        ``build_pipeline`` like the champion.
    """
    return {
        name: HistGradientBoostingRegressor(loss="quantile", quantile=q, **_QUANTILE_PARAMS)
        for name, q in INTERVAL_QUANTILES.items()
    }

"""model.forest: the small-batch tree walk predicts exactly what scikit-learn predicts."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from model.forest import SMALL_BATCH, CompiledTrees
from model.schema import NUMERIC


@pytest.fixture(scope="module")
def data(sample_frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x = sample_frame[list(NUMERIC)].to_numpy(dtype=np.float64)
    x[::5, 4] = np.nan  # total_bedrooms missing in training: trees learn where NaN goes
    return x, sample_frame["median_house_value"].to_numpy(dtype=np.float64)


LOSSES = [
    {"loss": "squared_error"},
    {"loss": "gamma"},
    {"loss": "quantile", "quantile": 0.05},
]


@pytest.mark.parametrize("params", LOSSES, ids=lambda p: p["loss"])
def test_compiled_trees_predict_bit_identical_to_sklearn_when_batch_small(data, params):
    x, y = data
    model = HistGradientBoostingRegressor(
        max_iter=30, max_depth=6, min_samples_leaf=5, random_state=0, **params
    ).fit(x, y)
    rows = np.vstack([x, x[:20] * 1.5, np.full((1, x.shape[1]), np.nan)])  # unseen and missing
    compiled = CompiledTrees(model)
    expected = model.predict(rows)
    got = np.concatenate([compiled.predict(rows[i : i + 10]) for i in range(0, len(rows), 10)])
    assert np.array_equal(got, expected)


def test_compiled_trees_give_each_row_the_same_prediction_at_any_batch_size(data):
    x, y = data
    model = HistGradientBoostingRegressor(max_iter=40, max_depth=6, random_state=0).fit(x, y)
    compiled = CompiledTrees(model)
    big = np.vstack([x] * 2)[: SMALL_BATCH + 1]  # one past the small-batch limit: sklearn's path
    at_limit = compiled.predict(big[:SMALL_BATCH])
    past_limit = compiled.predict(big)
    singles = np.array([compiled.predict(big[i : i + 1])[0] for i in range(len(big))])
    assert np.array_equal(at_limit, past_limit[:SMALL_BATCH])
    assert np.array_equal(singles, past_limit)


def test_compiled_trees_refuse_categorical_splits(data):
    x, _ = data
    category = np.arange(len(x)) % 3
    x = np.column_stack([x, category])
    y = np.where(category == 1, 500_000.0, 100_000.0)  # only the category explains the target
    model = HistGradientBoostingRegressor(
        max_iter=5, categorical_features=[x.shape[1] - 1], random_state=0
    ).fit(x, y)
    with pytest.raises(ValueError, match="categorical"):
        CompiledTrees(model)

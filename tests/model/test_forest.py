"""model.forest: the compiled tree walk predicts exactly what scikit-learn predicts."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from model.forest import CompiledTrees
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
@pytest.mark.parametrize("batch", [1, 10, 1000])
def test_compiled_trees_predict_bit_identical_to_sklearn(data, params, batch):
    x, y = data
    model = HistGradientBoostingRegressor(
        max_iter=30, max_depth=6, min_samples_leaf=5, random_state=0, **params
    ).fit(x, y)
    rows = np.vstack([x, x[:20] * 1.5, np.full((1, x.shape[1]), np.nan)])  # unseen and missing
    rows = np.vstack([rows] * (1 + 1000 // len(rows)))
    compiled = CompiledTrees(model)
    expected = model.predict(rows)
    got = np.concatenate(
        [compiled.predict(rows[i : i + batch]) for i in range(0, len(rows), batch)]
    )
    assert np.array_equal(got, expected)


def test_compiled_trees_give_each_row_the_same_prediction_at_any_batch_size(data):
    x, y = data
    model = HistGradientBoostingRegressor(max_iter=40, max_depth=6, random_state=0).fit(x, y)
    compiled = CompiledTrees(model)
    big = np.vstack([x] * 2)
    whole = compiled.predict(big)
    singles = np.array([compiled.predict(big[i : i + 1])[0] for i in range(len(big))])
    assert np.array_equal(singles, whole)


def test_compiled_trees_read_a_strided_view_as_its_rows(data):
    x, y = data
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(x[:, :5], y)
    compiled = CompiledTrees(model)
    # The blend passes a column slice of the feature matrix: not contiguous.
    assert np.array_equal(compiled.predict(x[:, :5]), model.predict(np.ascontiguousarray(x[:, :5])))


def test_compiled_trees_pickled_before_the_children_table_still_predict(data):
    x, y = data
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(x, y)
    compiled = CompiledTrees(model)
    old = pickle.loads(pickle.dumps(compiled))
    del old.children_  # as a bundle trained before the compiled walk
    assert np.array_equal(old.predict(x), model.predict(x))


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

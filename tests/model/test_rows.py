"""model.schema.validate_columns and the Rows it returns: the predictor's path without pandas
frames gives what the frame path gives, problems and predictions alike."""

import numpy as np
import pandas as pd
import pytest

from model.bundle import load_bundle
from model.errors import SchemaError
from model.features import HousingFeatures
from model.predict import LOWER, PREDICTION, UPPER, predict
from model.schema import CATEGORICAL, NUMERIC, RAW_COLUMNS, Rows, validate_columns, validate_raw


@pytest.fixture()
def raw(sample_frame: pd.DataFrame) -> pd.DataFrame:
    frame = sample_frame[list(RAW_COLUMNS)].copy()
    frame.loc[::9, "total_bedrooms"] = np.nan
    return frame.reset_index(drop=True)


def columns_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """As the V2 codec decodes a request: float64 numbers, object strings."""
    out = {c: frame[c].to_numpy(dtype=np.float64) for c in NUMERIC}
    out[CATEGORICAL] = frame[CATEGORICAL].to_numpy(dtype=object)
    return out


def test_validate_columns_returns_the_rows_validate_raw_returns(raw):
    rows = validate_columns(columns_of(raw))
    assert isinstance(rows, Rows) and len(rows) == len(raw)
    pd.testing.assert_frame_equal(rows.frame(), validate_raw(raw))


def test_validate_columns_copies_so_the_callers_arrays_may_change(raw):
    columns = columns_of(raw)
    before = columns["median_income"].copy()
    rows = validate_columns(columns)
    columns["median_income"][:] = 1.0
    assert np.array_equal(rows.numeric[:, NUMERIC.index("median_income")], before)


@pytest.mark.parametrize(
    ("column", "value"),
    [("median_income", np.inf), ("latitude", 42.6), ("latitude", np.nan), ("total_bedrooms", 1e5)],
)
def test_validate_columns_names_each_problem_as_validate_raw(raw, column, value):
    raw.loc[5, column] = value
    with pytest.raises(SchemaError) as expected:
        validate_raw(raw)
    with pytest.raises(SchemaError) as got:
        validate_columns(columns_of(raw))
    assert got.value.problems == expected.value.problems
    assert any(column in p for p in got.value.problems)


def test_validate_columns_names_an_unknown_category(raw):
    raw.loc[3, CATEGORICAL] = "LAKE"
    with pytest.raises(SchemaError, match=r"ocean_proximity\[3\]: 'LAKE' not in"):
        validate_columns(columns_of(raw))


def test_validate_columns_names_a_missing_column(raw):
    columns = columns_of(raw)
    del columns["households"]
    with pytest.raises(SchemaError, match="households: missing column"):
        validate_columns(columns)


def test_validate_columns_refuses_columns_of_different_lengths(raw):
    columns = columns_of(raw)
    columns["households"] = columns["households"][:-1]
    with pytest.raises(SchemaError, match=f"households={len(raw) - 1}"):
        validate_columns(columns)


def test_validate_columns_refuses_no_rows(raw):
    with pytest.raises(SchemaError, match="no rows"):
        validate_columns(columns_of(raw.iloc[:0]))


def test_validate_columns_takes_integer_columns_through_the_checked_path(raw):
    columns = columns_of(raw)
    columns["housing_median_age"] = raw["housing_median_age"].to_numpy(dtype=np.int64)
    rows = validate_columns(columns)
    assert rows.numeric.dtype == np.float64
    pd.testing.assert_frame_equal(rows.frame(), validate_raw(raw))


def test_features_of_rows_equal_features_of_the_frame(raw):
    features = HousingFeatures().fit(validate_raw(raw), raw.index.to_numpy() * 1000.0 + 50_000)
    frame = validate_raw(raw)
    rows = validate_columns(columns_of(raw))
    assert np.array_equal(features.transform(rows), features.transform(frame), equal_nan=True)


def test_predict_of_rows_is_bit_identical_to_predict_of_the_frame(tiny_bundle, raw):
    bundle = load_bundle(tiny_bundle)
    by_frame = predict(bundle, validate_raw(raw), interval=True)
    by_rows = predict(bundle, validate_columns(columns_of(raw)), interval=True)
    for name in (PREDICTION, LOWER, UPPER):
        assert np.array_equal(by_rows[name], by_frame[name])
    # and the whole Pipeline, as training scored it, agrees
    assert np.array_equal(
        np.minimum(bundle.pipeline.predict(validate_raw(raw)), 500_001.0), by_frame[PREDICTION]
    )

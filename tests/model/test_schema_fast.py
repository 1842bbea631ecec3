"""model.schema.validate_raw: the whole-batch fast path returns what the per-column path does.

Added by the model engineer with the fast path (model/schema.py is owned by muta).
"""

import numpy as np
import pandas as pd
import pytest

from model.errors import SchemaError
from model.schema import RAW_COLUMNS, find_problems, validate_raw


@pytest.fixture()
def raw(sample_frame: pd.DataFrame) -> pd.DataFrame:
    frame = sample_frame[list(RAW_COLUMNS)].copy()
    frame.loc[::9, "total_bedrooms"] = np.nan
    return frame


def test_validate_raw_equals_per_column_path_when_batch_valid(raw):
    slow, problems = find_problems(raw)
    assert problems == []
    pd.testing.assert_frame_equal(validate_raw(raw), slow)


def test_validate_raw_equals_per_column_path_when_one_row(raw):
    row = raw.iloc[[3]]
    pd.testing.assert_frame_equal(validate_raw(row), find_problems(row)[0])


def test_validate_raw_equals_per_column_path_when_integer_columns(raw):
    raw = raw.assign(housing_median_age=raw["housing_median_age"].astype(np.int64))
    pd.testing.assert_frame_equal(validate_raw(raw), find_problems(raw)[0])


def test_validate_raw_returns_own_copy_when_input_changes_later(raw):
    out = validate_raw(raw)
    before = out["median_income"].to_numpy().copy()
    raw.loc[:, "median_income"] = 1.0
    assert np.array_equal(out["median_income"].to_numpy(), before)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("median_income", np.inf, r"median_income\[5\]: inf is not finite"),
        ("latitude", 42.6, r"latitude\[5\]: 42.6 outside"),
        ("latitude", np.nan, r"latitude\[5\]: missing"),
        (
            "total_bedrooms",
            1e5,
            r"row 5: total_bedrooms 100000.0 > 1 \* total_rooms .*rule bedrooms_within_rooms",
        ),
    ],
)
def test_validate_raw_names_the_problem_when_one_value_in_a_batch_is_bad(
    raw, column, value, message
):
    raw.loc[5, column] = value
    with pytest.raises(SchemaError, match=message):
        validate_raw(raw)


def test_validate_raw_names_the_category_when_unknown_in_a_batch(raw):
    raw.loc[5, "ocean_proximity"] = "LAKE"
    with pytest.raises(SchemaError, match=r"ocean_proximity\[5\]: 'LAKE' not in"):
        validate_raw(raw)

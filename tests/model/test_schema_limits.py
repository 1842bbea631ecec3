"""model.schema's messages, word for word, and the coerced frame find_problems returns.

test_schema_bounds.py moves every bound by one float64 step; here each expected message is
written out by hand (bounds as the user reads them, rule expressions, order of the problems).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.errors import SchemaError
from model.schema import RAW_COLUMNS, TARGET, find_problems, shown, validate_raw
from support import MIDDLE_ROW

OCEAN = "ocean_proximity"
ALLOWED = "['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN']"
ROW = MIDDLE_ROW


def rows(*changes: dict, target: float | None = None) -> pd.DataFrame:
    extra = {} if target is None else {TARGET: target}
    return pd.DataFrame([{**ROW, **extra, **change} for change in changes])


def messages(df: pd.DataFrame, require_target: bool = False) -> list[str]:
    """The problems find_problems names; validate_raw (and its fast path) must agree."""
    frame, problems = find_problems(df, require_target=require_target)
    found = [p.message for p in problems]
    if found:
        with pytest.raises(SchemaError) as info:
            validate_raw(df, require_target=require_target)
        assert info.value.problems == found
    else:
        pd.testing.assert_frame_equal(validate_raw(df, require_target=require_target), frame)
    return found


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("longitude", -125.5, "longitude[0]: -125.5 outside [-125, -114]"),
        ("longitude", -113.5, "longitude[0]: -113.5 outside [-125, -114]"),
        ("latitude", 31.5, "latitude[0]: 31.5 outside [32, 42.5]"),
        ("latitude", 43.0, "latitude[0]: 43.0 outside [32, 42.5]"),
        ("housing_median_age", -0.5, "housing_median_age[0]: -0.5 outside [0, 100]"),
        ("housing_median_age", 100.5, "housing_median_age[0]: 100.5 outside [0, 100]"),
        ("total_rooms", 0.5, "total_rooms[0]: 0.5 outside [1, 1e+06]"),
        ("total_rooms", 1000000.5, "total_rooms[0]: 1000000.5 outside [1, 1e+06]"),
        ("total_bedrooms", -0.5, "total_bedrooms[0]: -0.5 outside [0, 1e+06]"),
        ("total_bedrooms", 1000000.5, "total_bedrooms[0]: 1000000.5 outside [0, 1e+06]"),
        ("population", -0.5, "population[0]: -0.5 outside [0, 1e+07]"),
        ("population", 10000000.5, "population[0]: 10000000.5 outside [0, 1e+07]"),
        ("households", 0.5, "households[0]: 0.5 outside [1, 1e+06]"),
        ("households", 1000000.5, "households[0]: 1000000.5 outside [1, 1e+06]"),
        ("median_income", -0.5, "median_income[0]: -0.5 outside [0, 100]"),
        ("median_income", 100.5, "median_income[0]: 100.5 outside [0, 100]"),
    ],
)
def test_out_of_range_value_is_named_with_the_range_and_no_rule_is_checked_on_its_row(
    column, value, message
):
    assert messages(rows({column: value})) == [message]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (0.0, None),
        (1e7, None),
        (-0.5, "median_house_value[0]: -0.5 outside [0, 1e+07]"),
        (10000000.5, "median_house_value[0]: 10000000.5 outside [0, 1e+07]"),
        (None, "median_house_value[0]: missing (null/NaN not allowed)"),
    ],
)
def test_target_is_checked_only_when_required(target, message):
    df = rows({}, target=np.nan if target is None else target)
    assert messages(df, require_target=True) == ([] if message is None else [message])
    assert messages(df) == []
    assert TARGET not in find_problems(df)[0].columns


def test_target_problems_come_after_those_of_the_raw_columns():
    df = rows({"median_income": 100.5}, target=-0.5)
    assert messages(df, require_target=True) == [
        "median_income[0]: 100.5 outside [0, 100]",
        "median_house_value[0]: -0.5 outside [0, 1e+07]",
    ]


def test_required_target_is_named_when_its_column_is_absent():
    assert messages(rows({}), require_target=True) == ["median_house_value: missing column"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"total_bedrooms": 2000.5},
            "row 0: total_bedrooms 2000.5 > 1 * total_rooms = 2000.0 "
            "(rule bedrooms_within_rooms: bedrooms are among the rooms)",
        ),
        (
            {"households": 2010.5},
            "row 0: households 2010.5 > 2 * population + 10 = 2010.0 "
            "(rule households_within_population: a household has people)",
        ),
        (
            {"population": 0.0, "households": 10.5},
            "row 0: households 10.5 > 2 * population + 10 = 10.0 "
            "(rule households_within_population: a household has people)",
        ),
        (
            {"total_rooms": 199.5, "total_bedrooms": 100.0},
            "row 0: total_rooms 199.5 < 0.5 * households = 200.0 "
            "(rule rooms_per_household: rooms per household in [0.5, 250])",
        ),
        (
            {"total_rooms": 100000.5},
            "row 0: total_rooms 100000.5 > 250 * households = 100000.0 "
            "(rule rooms_per_household: rooms per household in [0.5, 250])",
        ),
        (
            {"population": 800000.5},
            "row 0: population 800000.5 > 2000 * households = 800000.0 "
            "(rule people_per_household: people per household at most 2000)",
        ),
    ],
)
def test_implausible_row_is_named_with_the_rule_its_bound_and_why(change, message):
    assert messages(rows(change)) == [message]


@pytest.mark.parametrize(
    "change",
    [
        {"total_bedrooms": 2000.0},
        {"households": 2010.0},
        {"population": 0.0, "households": 10.0},
        {"total_rooms": 200.0, "total_bedrooms": 100.0},
        {"total_rooms": 100000.0},
        {"population": 800000.0},
        {"total_bedrooms": 0.0},
        {"population": 0.0, "households": 1.0, "total_rooms": 5.0, "total_bedrooms": 1.0},
    ],
)
def test_row_exactly_at_a_rule_bound_is_plausible(change):
    assert messages(rows(change)) == []


def test_every_rule_a_row_breaks_is_named_in_rule_order():
    assert messages(rows({}, {"total_bedrooms": 2500.0, "population": 800400.0})) == [
        "row 1: total_bedrooms 2500.0 > 1 * total_rooms = 2000.0 "
        "(rule bedrooms_within_rooms: bedrooms are among the rooms)",
        "row 1: population 800400.0 > 2000 * households = 800000.0 "
        "(rule people_per_household: people per household at most 2000)",
    ]


def test_rules_skip_a_column_that_is_absent():
    df = rows({"households": 1e6}).drop(columns=["population"])
    assert messages(df) == [
        "population: missing column",
        "row 0: total_rooms 2000.0 < 0.5 * households = 500000.0 "
        "(rule rooms_per_household: rooms per household in [0.5, 250])",
    ]
    assert messages(rows({}).drop(columns=["households"])) == ["households: missing column"]


def test_infinite_value_is_named_once_even_in_a_nullable_column_under_a_rule():
    assert messages(rows({"total_bedrooms": np.inf}, {"longitude": -np.inf})) == [
        "longitude[1]: -inf is not finite",
        "total_bedrooms[0]: inf is not finite",
    ]


def test_text_that_is_not_a_number_is_named_once_even_in_a_nullable_column():
    df = rows({}, {}).astype({"total_bedrooms": object})
    df.loc[1, "total_bedrooms"] = "many"
    assert messages(df) == ["total_bedrooms[1]: 'many' is not a number"]


@pytest.mark.parametrize(("text", "number"), [(["4.5", "7"], [4.5, 7.0]), (["4", "7"], [4.0, 7.0])])
def test_numeric_text_is_read_as_a_float64(text, number):
    df = rows({}, {}).astype({"median_income": object})
    df["median_income"] = text
    frame, problems = find_problems(df)
    assert problems == []
    assert frame["median_income"].dtype == np.float64
    assert frame["median_income"].tolist() == number


def test_integer_columns_are_read_as_float64_and_named_as_such():
    df = rows({}, {}).astype({"households": np.int64, "population": "Int64"})
    df["households"] = [0, 400]
    df["population"] = pd.array([None, 1000], dtype="Int64")
    frame, problems = find_problems(df)
    assert [p.message for p in problems] == [
        "population[0]: missing (null/NaN not allowed)",
        "households[0]: 0.0 outside [1, 1e+06]",
    ]
    assert frame["households"].dtype == frame["population"].dtype == np.float64
    assert frame["households"].tolist()[1] == 400.0 and np.isnan(frame["population"][0])


def test_problems_of_one_column_are_in_row_order_whatever_their_kind():
    df = rows({}, {}, {}, {}).astype({"median_income": object})
    df["median_income"] = [200.0, None, "abc", np.inf]
    assert messages(df) == [
        "median_income[0]: 200.0 outside [0, 100]",
        "median_income[1]: missing (null/NaN not allowed)",
        "median_income[2]: 'abc' is not a number",
        "median_income[3]: inf is not finite",
    ]


def test_missing_columns_come_first_then_columns_in_schema_order_then_rules():
    df = rows({"total_bedrooms": 2500.0}, {OCEAN: "LAKE", "latitude": 50.0})
    df = df.drop(columns=["median_income", "housing_median_age"])
    assert messages(df) == [
        "housing_median_age: missing column",
        "median_income: missing column",
        "latitude[1]: 50.0 outside [32, 42.5]",
        f"ocean_proximity[1]: 'LAKE' not in {ALLOWED}",
        "row 0: total_bedrooms 2500.0 > 1 * total_rooms = 2000.0 "
        "(rule bedrooms_within_rooms: bedrooms are among the rooms)",
    ]


def test_boolean_column_is_named_as_a_whole_not_row_by_row():
    df = rows({}, {}).assign(median_income=[True, False])
    frame, problems = find_problems(df)
    assert [(p.row, p.column, p.message) for p in problems] == [
        (None, "median_income", "median_income: booleans are not numbers")
    ]
    assert frame["median_income"].dtype == np.float64
    assert frame["median_income"].isna().all()


def test_problem_records_row_and_column_for_each_violation():
    df = rows({}, {"households": 0.0, OCEAN: None})
    assert [(p.row, p.column) for p in find_problems(df)[1]] == [
        (1, "households"),
        (1, OCEAN),
    ]
    df = rows({"population": 800000.5})
    assert [(p.row, p.column) for p in find_problems(df)[1]] == [(0, "population")]
    df = rows({}, {}, {}).astype({"median_income": object})
    df["median_income"] = ["abc", None, np.inf]  # the batch errors file names these columns
    assert [(p.row, p.column) for p in find_problems(df)[1]] == [
        (0, "median_income"),
        (1, "median_income"),
        (2, "median_income"),
    ]
    df = rows({}).drop(columns=["median_income"])
    assert [(p.row, p.column) for p in find_problems(df)[1]] == [(None, "median_income")]


# ---- the category: same answers on the per-row path (<= 64 rows) and the vectorised one -------


@pytest.mark.parametrize("n", [64, 65])
def test_category_problems_are_named_alike_on_both_paths(n):
    df = rows(*[{}] * n)
    df[OCEAN] = df[OCEAN].astype(object)
    bad = {0: "LAKE", 1: None, 2: np.nan, 3: 1, 4: "inland", 5: "Z" * 41, n - 1: "NEAR  BAY"}
    for i, value in bad.items():
        df.at[i, OCEAN] = value
    assert messages(df) == [
        f"ocean_proximity[0]: 'LAKE' not in {ALLOWED}",
        "ocean_proximity[1]: missing (null not allowed)",
        "ocean_proximity[2]: missing (null not allowed)",
        f"ocean_proximity[3]: 1 not in {ALLOWED}",
        f"ocean_proximity[4]: 'inland' not in {ALLOWED}",
        f"ocean_proximity[5]: '{'Z' * 40}'… (41 characters) not in {ALLOWED}",
        f"ocean_proximity[{n - 1}]: 'NEAR  BAY' not in {ALLOWED}",
    ]


# ---- the coerced frame ------------------------------------------------------------------------


def test_find_problems_returns_schema_columns_in_order_keeping_the_index():
    df = rows({}, {}).assign(extra="x")[list(reversed([*RAW_COLUMNS, "extra"]))]
    df.index = [10, 20]
    frame, problems = find_problems(df)
    assert problems == []
    assert list(frame.columns) == list(RAW_COLUMNS)
    assert list(frame.index) == [10, 20]
    assert frame.loc[20, "total_rooms"] == 2000.0 and frame.loc[10, OCEAN] == "INLAND"


def test_find_problems_fills_absent_columns_numbers_with_nan_and_the_category_with_none():
    frame, _ = find_problems(rows({}, {}).drop(columns=["median_income", OCEAN]))
    assert frame["median_income"].dtype == np.float64
    assert frame["median_income"].isna().all()
    assert frame[OCEAN].dtype == object
    assert frame[OCEAN].tolist() == [None, None]


def test_find_problems_sets_what_is_not_a_number_to_nan_and_keeps_the_rest():
    df = rows({}, {}).astype({"median_income": object})
    df.loc[0, "median_income"] = "abc"
    frame, _ = find_problems(df)
    assert np.isnan(frame.loc[0, "median_income"])
    assert frame.loc[1, "median_income"] == 4.0


def test_find_problems_appends_the_target_when_required():
    frame, problems = find_problems(rows({}, target=250000.0), require_target=True)
    assert problems == []
    assert list(frame.columns) == [*RAW_COLUMNS, TARGET]
    assert frame[TARGET].tolist() == [250000.0]


# ---- validate_raw -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([ROW], "expected a table of rows, got list"),
        (ROW, "expected a table of rows, got dict"),
        (None, "expected a table of rows, got NoneType"),
        (pd.DataFrame(columns=list(ROW)), "no rows: the batch is empty"),
    ],
)
def test_validate_raw_refuses_what_is_not_a_table_of_rows(data, message):
    with pytest.raises(SchemaError) as info:
        validate_raw(data)
    assert str(info.value) == message


def test_validate_raw_returns_the_coerced_frame_when_valid():
    frame = validate_raw(rows({}, target=250000.0), require_target=True)
    assert list(frame.columns) == [*RAW_COLUMNS, TARGET]
    assert frame.iloc[0].tolist() == [*ROW.values(), 250000.0]


def test_validate_raw_message_joins_every_problem():
    with pytest.raises(SchemaError) as info:
        validate_raw(rows({"median_income": 100.5}, {OCEAN: "LAKE"}))
    assert str(info.value) == (
        f"median_income[0]: 100.5 outside [0, 100]; ocean_proximity[1]: 'LAKE' not in {ALLOWED}"
    )


# ---- shown: what of a client's value a message echoes ----------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 40, "'" + "x" * 40 + "'"),
        ("x" * 41, "'" + "x" * 40 + "'… (41 characters)"),
        (b"y" * 40, "b'" + "y" * 40 + "'"),
        (b"y" * 41, "b'" + "y" * 40 + "'… (41 characters)"),
        ("", "''"),
        (10**39, "1" + "0" * 39),
        (10**40, "1" + "0" * 39 + "… (41 characters)"),
        (-(10**39), "-1" + "0" * 38 + "… (41 characters)"),
        ((1, 2), "a tuple of 2 item(s)"),
        ({}, "a dict of 0 item(s)"),
        ([[1, 2]], "a list of 1 item(s)"),
        (2.5, "2.5"),
        (1e300, "1e+300"),
        (float("nan"), "nan"),
        (-7, "-7"),
        (None, "None"),
        (True, "True"),
        (np.int64(3), "3"),
        (np.float64(-0.0), "-0.0"),
        (np.str_("x" * 41), "'" + "x" * 40 + "'… (41 characters)"),
        (np.bool_(False), "False"),
    ],
)
def test_shown_echoes_short_values_and_cuts_long_ones_naming_their_length(value, expected):
    assert shown(value) == expected

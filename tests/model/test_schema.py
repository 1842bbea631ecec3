import numpy as np
import pandas as pd
import pytest

from model.errors import SchemaError
from model.schema import CATEGORICAL, NUMERIC, RAW_COLUMNS, TARGET, find_problems, validate_raw


def rows(n: int = 3) -> pd.DataFrame:
    """Valid synthetic rows in the schema's shape."""
    rng = np.random.default_rng(0)
    population = rng.integers(50, 3000, n).astype(float)
    households = np.round(population / rng.uniform(2, 4, n))  # within the plausibility rules
    rooms = np.round(households * rng.uniform(3, 7, n))
    return pd.DataFrame(
        {
            "longitude": rng.uniform(-124, -115, n),
            "latitude": rng.uniform(33, 41, n),
            "housing_median_age": rng.integers(1, 52, n).astype(float),
            "total_rooms": rooms,
            "total_bedrooms": np.round(rooms * rng.uniform(0.15, 0.3, n)),
            "population": population,
            "households": households,
            "median_income": rng.uniform(0.5, 15, n),
            "ocean_proximity": ["INLAND", "NEAR BAY", "<1H OCEAN"][:n] + ["ISLAND"] * max(0, n - 3),
        }
    )


def messages(df: pd.DataFrame) -> list[str]:
    with pytest.raises(SchemaError) as info:
        validate_raw(df)
    return info.value.problems


def test_validate_raw_returns_schema_columns_as_float64_when_rows_valid():
    out = validate_raw(rows().assign(extra=1))
    assert list(out.columns) == list(RAW_COLUMNS)
    assert all(out[c].dtype == np.float64 for c in NUMERIC)


def test_validate_raw_accepts_missing_total_bedrooms_when_null():
    df = rows()
    df.loc[1, "total_bedrooms"] = None
    assert np.isnan(validate_raw(df)["total_bedrooms"][1])


def test_validate_raw_names_column_row_and_value_when_category_unknown():
    df = rows()
    df.loc[2, CATEGORICAL] = "LAKE"
    assert messages(df) == [
        "ocean_proximity[2]: 'LAKE' not in "
        "['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN']"
    ]


def test_validate_raw_reports_every_problem_at_once_when_several_columns_bad():
    df = rows().astype({"median_income": object})
    df.loc[0, "median_income"] = "abc"
    df.loc[1, "households"] = 0
    df.loc[2, "longitude"] = np.inf
    df.loc[0, "population"] = -5
    df.loc[1, "latitude"] = None
    found = messages(df)
    assert "median_income[0]: 'abc' is not a number" in found
    assert "households[1]: 0.0 outside [1, 1e+06]" in found
    assert "longitude[2]: inf is not finite" in found
    assert "population[0]: -5.0 outside [0, 1e+07]" in found
    assert "latitude[1]: missing (null/NaN not allowed)" in found
    assert len(found) == 5


def test_validate_raw_names_missing_columns_when_absent():
    found = messages(rows().drop(columns=["median_income", CATEGORICAL]))
    assert found == ["median_income: missing column", "ocean_proximity: missing column"]


def test_validate_raw_rejects_empty_batch_when_no_rows():
    assert messages(rows().iloc[:0]) == ["no rows: the batch is empty"]


def test_validate_raw_checks_target_when_required():
    df = rows().assign(**{TARGET: [100000.0, -1.0, np.nan]})
    with pytest.raises(SchemaError) as info:
        validate_raw(df, require_target=True)
    assert info.value.problems == [
        "median_house_value[1]: -1.0 outside [0, 1e+07]",
        "median_house_value[2]: missing (null/NaN not allowed)",
    ]


def test_schema_error_caps_the_message_but_keeps_every_problem_when_many():
    df = rows(50)
    df[CATEGORICAL] = "LAKE"
    with pytest.raises(SchemaError) as info:
        validate_raw(df)
    assert len(info.value.problems) == 50
    assert str(info.value).endswith("… and 30 more problem(s)")


def test_find_problems_flags_only_bad_rows_when_mixed():
    df = rows()
    df.loc[1, CATEGORICAL] = None
    frame, problems = find_problems(df)
    assert [(p.row, p.column) for p in problems] == [(1, CATEGORICAL)]
    assert len(frame) == 3

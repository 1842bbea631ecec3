"""Every bound of model.schema on both sides, at the limit and one step past it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.errors import SchemaError
from model.schema import (
    CATEGORICAL,
    CATEGORIES,
    NUMERIC_COLUMNS,
    PLAUSIBILITY_RULES,
    SHOWN_CHARS,
    TARGET,
    TARGET_RANGE,
    find_problems,
    shown,
    validate_raw,
)
from support import MIDDLE_ROW

ROW = MIDDLE_ROW


def one(**changes: object) -> pd.DataFrame:
    return pd.DataFrame([{**ROW, **changes}])


def problems(df: pd.DataFrame, **kwargs: bool) -> list[str]:
    return [p.message for p in find_problems(df, **kwargs)[1]]


def past(value: float, direction: float) -> float:
    """The next float64 beyond ``value`` towards ``direction``."""
    return float(np.nextafter(value, direction))


def consistent(name: str, value: float) -> pd.DataFrame:
    """One row with ``name`` = ``value`` and the other counts chosen so every rule holds."""
    counts: dict[str, float] = {}
    if name == "total_rooms":
        households = max(1.0, value / 5)
        counts = {"households": households, "total_bedrooms": value * 0.2}
        counts["population"] = 2 * households
    elif name == "total_bedrooms":
        rooms = min(1e6, max(1.0, value * 5))
        counts = {"total_rooms": rooms, "households": max(1.0, rooms / 5)}
        counts["population"] = 2 * counts["households"]
    elif name == "population":
        households = max(1.0, value / 1000)
        counts = {"households": households, "total_rooms": 5 * households}
        counts["total_bedrooms"] = households
    elif name == "households":
        rooms = min(1e6, 5 * value)
        counts = {"total_rooms": rooms, "total_bedrooms": rooms * 0.2, "population": 2 * value}
    return one(**{**counts, name: value})


@pytest.mark.parametrize("spec", NUMERIC_COLUMNS, ids=lambda s: s.name)
def test_numeric_column_accepts_both_bounds_and_refuses_one_step_past_each(spec):
    for bound, direction in ((spec.low, -np.inf), (spec.high, np.inf)):
        frame = consistent(spec.name, bound)
        assert problems(frame) == [], (spec.name, bound)
        beyond = past(bound, direction)
        frame[spec.name] = beyond
        assert problems(frame) == [
            f"{spec.name}[0]: {shown(beyond)} outside [{spec.low:g}, {spec.high:g}]"
        ]


def test_target_range_accepts_both_bounds_and_refuses_one_step_past_each():
    low, high = TARGET_RANGE
    for bound, direction in ((low, -np.inf), (high, np.inf)):
        assert problems(one(**{TARGET: bound}), require_target=True) == []
        beyond = past(bound, direction)
        assert problems(one(**{TARGET: beyond}), require_target=True) == [
            f"{TARGET}[0]: {shown(beyond)} outside [{low:g}, {high:g}]"
        ]


@pytest.mark.parametrize("spec", NUMERIC_COLUMNS, ids=lambda s: s.name)
def test_null_is_accepted_only_where_the_column_is_nullable(spec):
    found = problems(one(**{spec.name: None}))
    assert found == ([] if spec.nullable else [f"{spec.name}[0]: missing (null/NaN not allowed)"])


@pytest.mark.parametrize("value", [*CATEGORIES[CATEGORICAL], "inland", "INLAND ", "", None])
def test_category_accepts_exactly_the_listed_values(value):
    found = problems(one(**{CATEGORICAL: value}))
    if value in CATEGORIES[CATEGORICAL]:
        assert found == []
    else:
        reason = "missing (null not allowed)" if value is None else f"{value!r} not in"
        assert found[0].startswith(f"{CATEGORICAL}[0]: {reason}")


@pytest.mark.parametrize("rule", PLAUSIBILITY_RULES, ids=lambda r: r.name)
def test_plausibility_rule_accepts_its_bounds_and_names_row_and_rule_one_step_past(rule):
    base = 400.0 if rule.base != "population" else 1000.0
    sides = [("high", rule.high * base + rule.slack, np.inf, ">")]
    if rule.low > 0:
        sides.append(("low", rule.low * base, -np.inf, "<"))
    for _, bound, direction, op in sides:
        frame = pd.concat([one(), _at(rule, base, bound)], ignore_index=True)
        assert problems(frame) == [], (rule.name, bound)
        beyond = past(bound, direction)
        frame.loc[1, rule.part] = beyond
        [message] = problems(frame)
        assert message.startswith(f"row 1: {rule.part} {shown(beyond)} {op} ")
        assert message.endswith(f"(rule {rule.name}: {rule.why})")


def _at(rule, base: float, part: float) -> pd.DataFrame:
    # A row where rule.base = base and rule.part = part, every other rule comfortably met.
    values = {**ROW, rule.base: base, rule.part: part}
    if rule.name == "people_per_household":
        values.update(total_rooms=base * 5, total_bedrooms=base)
    if rule.name == "rooms_per_household":
        values.update(total_bedrooms=part * 0.2, population=base * 2)
    if rule.name == "households_within_population":
        values.update(total_rooms=part * 5, total_bedrooms=part)
    return pd.DataFrame([values])


def test_plausibility_refuses_the_reported_impossible_rows():
    frame = pd.concat(
        [
            one(total_bedrooms=1e6, total_rooms=1.0, households=1.0, population=2.0),
            one(households=1e6, population=0.0, total_rooms=5e6 / 5, total_bedrooms=1e5),
        ],
        ignore_index=True,
    )
    found = problems(frame)
    assert any(m.startswith("row 0: total_bedrooms 1000000.0 > ") for m in found), found
    assert any(m.startswith("row 1: households 1000000.0 > ") for m in found), found


def test_plausibility_skips_missing_bedrooms_and_rows_already_refused():
    assert problems(one(total_bedrooms=None)) == []
    assert problems(one(total_rooms=-1.0)) == ["total_rooms[0]: -1.0 outside [1, 1e+06]"]


def test_every_row_of_the_real_dataset_passes_validation(housing_csv):
    frame = pd.read_csv(housing_csv)
    assert len(validate_raw(frame, require_target=True)) == len(frame) == 20_640


def test_validate_raw_raises_with_the_rule_when_a_row_is_implausible():
    with pytest.raises(SchemaError) as info:
        validate_raw(one(total_bedrooms=2001.0))
    assert info.value.problems == [
        "row 0: total_bedrooms 2001.0 > 1 * total_rooms = 2000.0 (rule bedrooms_within_rooms: "
        "bedrooms are among the rooms)"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * SHOWN_CHARS, repr("x" * SHOWN_CHARS)),
        ("x" * (SHOWN_CHARS + 1), f"{'x' * SHOWN_CHARS!r}… ({SHOWN_CHARS + 1} characters)"),
        ([1, 2, 3], "a list of 3 item(s)"),
        (3.0, "3.0"),
        (np.float64(2.5), "2.5"),
    ],
)
def test_shown_cuts_client_values_past_the_limit(value, expected):
    assert shown(value) == expected

"""The raw data contract: every column name, dtype, category and allowed range lives here.

Training, serving and monitoring validate with these functions; nothing else spells a column name.
Validation is vectorised over NumPy arrays because it sits on the serving hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from model.errors import SchemaError


@dataclass(frozen=True)
class NumericColumn:
    """A numeric raw column: allowed closed range and whether a missing value is valid input."""

    name: str
    low: float
    high: float
    nullable: bool = False
    description: str = ""


NUMERIC_COLUMNS: tuple[NumericColumn, ...] = (
    # A box around California with a margin: the model cannot say anything about other places.
    NumericColumn("longitude", -125.0, -114.0, description="degrees east"),
    NumericColumn("latitude", 32.0, 42.5, description="degrees north"),
    NumericColumn("housing_median_age", 0.0, 100.0, description="years"),
    # Ratios divide by rooms and households, so those must be at least 1.
    NumericColumn("total_rooms", 1.0, 1e6, description="rooms in the district"),
    NumericColumn("total_bedrooms", 0.0, 1e6, nullable=True, description="missing is imputed"),
    NumericColumn("population", 0.0, 1e7, description="people"),
    NumericColumn("households", 1.0, 1e6, description="households"),
    NumericColumn("median_income", 0.0, 100.0, description="tens of thousands of USD"),
)
NUMERIC: tuple[str, ...] = tuple(c.name for c in NUMERIC_COLUMNS)
# Names for code that needs one column (never unpacked by position from NUMERIC);
# tests/model/test_columns.py checks each is a column above.
LONGITUDE, LATITUDE, AGE = "longitude", "latitude", "housing_median_age"
ROOMS, BEDROOMS, POPULATION = "total_rooms", "total_bedrooms", "population"
HOUSEHOLDS, INCOME = "households", "median_income"
CATEGORICAL = "ocean_proximity"
CATEGORIES: dict[str, tuple[str, ...]] = {
    CATEGORICAL: ("<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY", "NEAR OCEAN"),
}
RAW_COLUMNS: tuple[str, ...] = (*NUMERIC, CATEGORICAL)
TARGET = "median_house_value"
TARGET_RANGE = (0.0, 1e7)


class Problem(NamedTuple):
    """One violation. ``row`` is the 0-based position in the frame, None for a whole column."""

    row: int | None
    column: str
    message: str


SHOWN_CHARS = 40
"""Most characters of a client's value echoed back in a message (its length is named instead)."""


def shown(value: object) -> str:
    """A client's value as an error message shows it: short, never echoed at full size.

    Strings (and bytes) longer than ``SHOWN_CHARS`` are cut and their length named; containers are
    named by type and size only (a deeply nested one must not be walked by ``repr``).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    if isinstance(value, str | bytes):
        cut = len(value) > SHOWN_CHARS
        return f"{value[:SHOWN_CHARS]!r}… ({len(value)} characters)" if cut else repr(value)
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"


def _numeric(series: pd.Series, spec: NumericColumn) -> tuple[np.ndarray, list[Problem]]:
    name, problems = spec.name, []
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan), [
            Problem(None, name, f"{name}: booleans are not numbers")
        ]
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = series.to_numpy(dtype=object)
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        not_numbers = np.isnan(values) & ~pd.isna(raw)
        for i in np.flatnonzero(not_numbers):
            problems.append(Problem(int(i), name, f"{name}[{i}]: {shown(raw[i])} is not a number"))
        values[not_numbers] = np.nan  # reported above; keep it out of the checks below
    missing = np.isnan(values)
    if not spec.nullable:
        for i in np.flatnonzero(missing & ~_rows(problems, len(values))):
            problems.append(Problem(int(i), name, f"{name}[{i}]: missing (null/NaN not allowed)"))
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values)
        out = ~missing & ~infinite & ((values < spec.low) | (values > spec.high))
    for i in np.flatnonzero(infinite):
        problems.append(Problem(int(i), name, f"{name}[{i}]: {values[i]} is not finite"))
    for i in np.flatnonzero(out):
        problems.append(
            Problem(
                int(i),
                name,
                f"{name}[{i}]: {shown(values[i])} outside [{spec.low:g}, {spec.high:g}]",
            )
        )
    problems.sort(key=lambda p: -1 if p.row is None else p.row)
    return values, problems


def _rows(problems: list[Problem], n: int) -> np.ndarray:
    flagged = np.zeros(n, dtype=bool)
    flagged[[p.row for p in problems if p.row is not None]] = True
    return flagged


_SMALL = 64


def _bad_categories(values: np.ndarray, name: str) -> np.ndarray:
    """Per value: not one of the column's categories (missing included)."""
    allowed = CATEGORIES[name]
    if len(values) <= _SMALL:  # per-call overhead dominates on the serving hot path
        valid = set(allowed)
        return np.array([not (isinstance(v, str) and v in valid) for v in values], dtype=bool)
    bad: np.ndarray = ~pd.Series(values, dtype=object).isin(allowed).to_numpy()
    return bad


def _categorical(series: pd.Series, name: str) -> tuple[np.ndarray, list[Problem]]:
    allowed = CATEGORIES[name]
    values = series.to_numpy(dtype=object)
    bad = _bad_categories(values, name)
    problems = []
    for i in np.flatnonzero(bad):
        v = values[i]
        reason = (
            "missing (null not allowed)" if pd.isna(v) else f"{shown(v)} not in {list(allowed)}"
        )
        problems.append(Problem(int(i), name, f"{name}[{i}]: {reason}"))
    return values, problems


def _target(series: pd.Series) -> tuple[np.ndarray, list[Problem]]:
    spec = NumericColumn(TARGET, *TARGET_RANGE)
    return _numeric(series, spec)


@dataclass(frozen=True)
class PlausibilityRule:
    """A cross-field rule every real district satisfies: ``low * base <= part <= high * base``.

    Ranges per column cannot catch rows like 1e6 bedrooms in 1 room, which the model would
    still answer with a confident interval. Bounds come from the whole dataset (20,640 rows,
    ``tests/data``): the extreme ratio seen, then a margin of about 1.5x beyond it.
    """

    name: str
    part: str
    base: str
    low: float
    high: float
    slack: float = 0.0
    """Added to the upper bound: small counts (3 people in 4 households) are real."""
    why: str = ""


PLAUSIBILITY_RULES: tuple[PlausibilityRule, ...] = (
    # Bedrooms are rooms; data: bedrooms/rooms at most 1.000 (0.100 at least, but a district of
    # studios has none, so there is no lower bound).
    PlausibilityRule(
        "bedrooms_within_rooms",
        BEDROOMS,
        ROOMS,
        0.0,
        1.0,
        why="bedrooms are among the rooms",
    ),
    # Data: households/population at most 1.44 (4 households of 3 people), 0.0008 at least.
    PlausibilityRule(
        "households_within_population",
        HOUSEHOLDS,
        POPULATION,
        0.0,
        2.0,
        slack=10.0,
        why="a household has people",
    ),
    # Data: rooms per household in [0.85, 141.9].
    PlausibilityRule(
        "rooms_per_household",
        ROOMS,
        HOUSEHOLDS,
        0.5,
        250.0,
        why="rooms per household in [0.5, 250]",
    ),
    # Data: people per household at most 1,243 (group quarters).
    PlausibilityRule(
        "people_per_household",
        POPULATION,
        HOUSEHOLDS,
        0.0,
        2000.0,
        why="people per household at most 2000",
    ),
)


def _plausibility(columns: dict[str, np.ndarray], bad: np.ndarray) -> list[Problem]:
    problems = []
    for rule in PLAUSIBILITY_RULES:
        if rule.part not in columns or rule.base not in columns:
            continue
        part, base = columns[rule.part], columns[rule.base]
        low, high = rule.low * base, rule.high * base + rule.slack
        with np.errstate(invalid="ignore"):
            broken = (part < low) | (part > high)
        for i in np.flatnonzero(broken & ~bad):  # NaN (missing bedrooms) compares False
            under = bool(part[i] < low[i])
            factor, bound = (rule.low, low[i]) if under else (rule.high, high[i])
            expr = f"{factor:g} * {rule.base}" + (
                "" if under or not rule.slack else f" + {rule.slack:g}"
            )
            problems.append(
                Problem(
                    int(i),
                    rule.part,
                    f"row {i}: {rule.part} {shown(part[i])} {'<' if under else '>'} {expr} = "
                    f"{shown(bound)} (rule {rule.name}: {rule.why})",
                )
            )
    return problems


def find_problems(
    df: pd.DataFrame, *, require_target: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Coerce the raw columns and collect every violation of the schema.

    Args:
        df: raw rows; extra columns are ignored (callers decide whether they are allowed).
        require_target: also check ``median_house_value``.

    Returns:
        The coerced frame (raw columns in schema order, plus the target if required; invalid
        cells set to NaN) and the problems, column-level first, then by column order and row.
    """
    problems: list[Problem] = []
    columns: dict[str, np.ndarray] = {}
    wanted = (*RAW_COLUMNS, TARGET) if require_target else RAW_COLUMNS
    missing = [c for c in wanted if c not in df.columns]
    problems += [Problem(None, c, f"{c}: missing column") for c in missing]
    for spec in NUMERIC_COLUMNS:
        if spec.name in df.columns:
            columns[spec.name], found = _numeric(df[spec.name], spec)
            problems += found
    if CATEGORICAL in df.columns:
        columns[CATEGORICAL], found = _categorical(df[CATEGORICAL], CATEGORICAL)
        problems += found
    if require_target and TARGET in df.columns:
        columns[TARGET], found = _target(df[TARGET])
        problems += found
    n = len(df)
    bad = np.zeros(n, dtype=bool)
    bad[[p.row for p in problems if p.row is not None]] = True
    problems += _plausibility(columns, bad)
    for c in missing:
        columns[c] = np.full(
            n, None if c == CATEGORICAL else np.nan, dtype=object if c == CATEGORICAL else float
        )
    return pd.DataFrame({c: columns[c] for c in wanted}, index=df.index), problems


_LOW = np.array([c.low for c in NUMERIC_COLUMNS])
_HIGH = np.array([c.high for c in NUMERIC_COLUMNS])
_NULLABLE = np.array([c.nullable for c in NUMERIC_COLUMNS])
_POSITION = {name: i for i, name in enumerate(NUMERIC)}


@dataclass(frozen=True)
class Rows:
    """Validated rows as arrays: what the predictor passes on instead of a frame.

    On a one-row request, building and reading pandas frames cost more than the checks and the
    model together; ``model.features`` and ``model.predict`` take this as they take the frame
    ``validate_raw`` returns.
    """

    numeric: np.ndarray
    """``(rows, len(NUMERIC))`` float64, columns in ``NUMERIC`` order; NaN where missing."""
    category: np.ndarray
    """``ocean_proximity`` per row (object array of str)."""

    def __len__(self) -> int:
        return len(self.category)

    def frame(self) -> pd.DataFrame:
        """The same rows as ``validate_raw`` returns them."""
        numeric = {name: self.numeric[:, i] for i, name in enumerate(NUMERIC)}
        return pd.DataFrame({**numeric, CATEGORICAL: self.category})


def _valid_fast(df: pd.DataFrame) -> pd.DataFrame | None:
    """The validated frame when every row is valid and every numeric column already numeric;
    None otherwise (``find_problems`` then names each problem).

    The same checks as ``find_problems`` on the whole batch at once: on the serving hot path
    nearly every batch is valid, and per-column pandas calls cost more than the checks.
    """
    if not df.columns.is_unique or any(c not in df.columns for c in RAW_COLUMNS):
        return None
    columns = [df[name] for name in NUMERIC]
    if not all(c.dtype.kind in "fiu" for c in columns):  # not bool, text or categorical
        return None
    # One row per column: each column below is a contiguous slice.
    values = np.vstack([c.to_numpy(dtype=np.float64, na_value=np.nan) for c in columns]).T
    rows = _valid_rows(values, df[CATEGORICAL].to_numpy(dtype=object))
    if rows is None:
        return None
    frame = {name: values[:, i] for i, name in enumerate(NUMERIC)}
    return pd.DataFrame({**frame, CATEGORICAL: rows.category}, index=df.index)


def _valid_rows(values: np.ndarray, category: np.ndarray) -> Rows | None:
    """``Rows`` of ``values`` (float64, ``NUMERIC`` order) and ``category`` when every check of
    ``find_problems`` passes on every row; None at the first failure."""
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        inside = (values >= _LOW) & (values <= _HIGH)
    if not (inside | (missing & _NULLABLE)).all():
        return None
    if _bad_categories(category, CATEGORICAL).any():
        return None
    for rule in PLAUSIBILITY_RULES:
        part, base = values[:, _POSITION[rule.part]], values[:, _POSITION[rule.base]]
        with np.errstate(invalid="ignore"):
            if ((part < rule.low * base) | (part > rule.high * base + rule.slack)).any():
                return None
    return Rows(values, category)


def validate_columns(columns: Mapping[str, np.ndarray]) -> Rows:
    """``validate_raw`` for one array per raw column, returning ``Rows``: the predictor's path.

    Args:
        columns: raw column name -> values (numeric ones float64, as the V2 codec decodes them);
            extra columns are ignored.

    Returns:
        The validated rows (the numeric block is a new array: the caller's stay untouched).

    Raises:
        SchemaError: listing every problem, exactly as ``validate_raw`` words it.
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise SchemaError(
            ["columns differ in length: " + ", ".join(f"{n}={k}" for n, k in lengths.items())]
        )
    present = all(name in columns for name in RAW_COLUMNS)
    if present and all(np.asarray(columns[name]).dtype.kind == "f" for name in NUMERIC):
        values = np.column_stack([columns[name] for name in NUMERIC]).astype(np.float64, copy=False)
        category = np.asarray(columns[CATEGORICAL], dtype=object)
        if len(category) and (rows := _valid_rows(values, category)) is not None:
            return rows
    frame = validate_raw(pd.DataFrame(dict(columns)))  # raises, naming every problem
    return Rows(frame[list(NUMERIC)].to_numpy(dtype=np.float64), frame[CATEGORICAL].to_numpy())


def validate_raw(df: pd.DataFrame, *, require_target: bool = False) -> pd.DataFrame:
    """Coerce raw rows to the schema or raise with every problem at once.

    Args:
        df: raw rows with at least the columns in ``RAW_COLUMNS``.
        require_target: also require a valid ``median_house_value``.

    Returns:
        A new frame with exactly the schema's columns, numeric ones as float64.

    Raises:
        SchemaError: listing every problem, e.g. ``ocean_proximity[3]: 'LAKE' not in [...]``.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError([f"expected a table of rows, got {type(df).__name__}"])
    if len(df) == 0:
        raise SchemaError(["no rows: the batch is empty"])
    if not require_target and (fast := _valid_fast(df)) is not None:
        return fast
    frame, problems = find_problems(df, require_target=require_target)
    if problems:
        raise SchemaError([p.message for p in problems])
    return frame

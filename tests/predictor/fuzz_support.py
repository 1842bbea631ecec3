"""What the HTTP and gRPC fuzz suites share: hypothesis strategies, the 4xx message check and the
bookkeeping (how many cases, derandomized, a tally of outcomes printed at the end)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.schema import CATEGORICAL, CATEGORIES, RAW_COLUMNS

NAMES = st.one_of(st.sampled_from(RAW_COLUMNS), st.text(max_size=60))
DATATYPES = st.sampled_from(["FP64", "BYTES", "FP32", "INT64", "BOOL", "fp64", "", "UINT8"])
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([-122.2, 37.8, 30.0, 2000.0, 400.0, 1000.0, 4.5, 0.0, 1e6, 1e7 + 1]),
)
STRINGS = st.one_of(st.sampled_from(CATEGORIES[CATEGORICAL]), st.text(max_size=80))
SCALARS = st.one_of(NUMBERS, STRINGS, st.none(), st.booleans())

# A locator then ": ", as every problem must start ("longitude[3]: ...", "row 2: ...",
# "inputs[0].name: ...", "'xxxx…'… (900 characters): ..."), or one of the whole-body messages.
_LOCATED = re.compile(r"^(\S.{0,160}?): \S")
# The last three are KServe's own, raised before our code sees a request (not changed here):
# its 404 for an unknown model name, and two gRPC checks in kserve/protocol/grpc/servicer.py
# (raw_input_contents count) and kserve/protocol/infer_type.py (get_content: unknown datatype).
_WHOLE = (
    "no rows: the batch is empty",
    "invalid JSON",
    "Model with name ",
    "the number of inputs (",
    "invalid content type",
)


def names_the_input(message: str) -> bool:
    """Every ``; ``-separated problem of an error message starts by naming where it is."""
    problems = [p for p in message.split("; ") if not p.startswith("… and ")]
    return bool(problems) and all(
        _LOCATED.match(p) or p.startswith(_WHOLE) or p.startswith("expected a V2") for p in problems
    )


@st.composite
def columns(draw: st.DrawFn) -> dict[str, Any]:
    """Plausible-looking columns, one list per raw column (valid most of the time)."""
    n = draw(st.integers(min_value=0, max_value=6))
    data: dict[str, Any] = {
        "longitude": [draw(st.floats(-125, -114)) for _ in range(n)],
        "latitude": [draw(st.floats(32, 42.5)) for _ in range(n)],
        "housing_median_age": [draw(st.floats(0, 100)) for _ in range(n)],
        "total_rooms": [draw(st.floats(1000, 5000)) for _ in range(n)],
        "total_bedrooms": [draw(st.one_of(st.none(), st.floats(100, 900))) for _ in range(n)],
        "population": [draw(st.floats(500, 3000)) for _ in range(n)],
        "households": [draw(st.floats(300, 900)) for _ in range(n)],
        "median_income": [draw(st.floats(0, 15)) for _ in range(n)],
        CATEGORICAL: [draw(st.sampled_from(CATEGORIES[CATEGORICAL])) for _ in range(n)],
    }
    # Break some of it: a value, a whole column, a length.
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        name = draw(st.sampled_from(RAW_COLUMNS))
        kind = draw(st.sampled_from(["value", "column", "drop", "extend"]))
        if name not in data:  # dropped before
            continue
        if kind == "value" and data[name]:
            data[name][draw(st.integers(0, len(data[name]) - 1))] = draw(SCALARS)
        elif kind == "column":
            data[name] = draw(st.lists(SCALARS, max_size=6))
        elif kind == "drop":
            data.pop(name)
        else:
            data[name] = data[name] + [draw(SCALARS)]
    return data


CASES = int(os.environ.get("HOUSING_FUZZ_CASES", "2000"))  # 2,000 in CI


def run_cases(
    cases: st.SearchStrategy[Any], check: Callable[[Any], None], tally: Counter[Any]
) -> None:
    """``check`` every one of ``CASES`` generated cases, the same ones on every run (CI), and
    make sure each case was tallied."""
    fixed = settings(
        max_examples=CASES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    fixed(given(cases)(check))()
    assert sum(tally.values()) >= CASES

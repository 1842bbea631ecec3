"""POST /feedback fuzz: generated label bodies against the real collector app, never a 5xx.

Each case is one POST (TestClient): a list of labels drawn from a small pool of keys (so resends,
duplicates and conflicts happen), some fields replaced by arbitrary JSON, or a body that is not a
label list at all (bytes, invalid UTF-8, lone surrogates, deep nesting, huge numbers). Every
answer is checked against a model of the store kept by the test: a 200 stores exactly the keys
that were new (a resend of the same body then stores nothing and leaves the store as it was), a
409 names the conflicting key and stores nothing, a 400 names the field. At the end the store
holds exactly the model, and the join to the window's prediction events counts every label,
matched or not, and keeps the unmatched ones in the store.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.events import EventStoreWriter, PredictionEvent
from model.labels import MAX_ROW, Label, LabelStore, join, parse
from model.schema import RAW_COLUMNS, TARGET
from monitoring.app import create_app
from monitoring.collector_settings import CollectorSettings

CASES = 2000
SERVED = {f"req-{i}": 3 for i in range(4)}  # request ids with a stored prediction, and their rows
TS = datetime(2026, 11, 20, 12, tzinfo=UTC)
FIELDS = ("request_id", "row", TARGET)
NAMED = re.compile(r"^(body|labels)\b")
STATUSES: Counter[int] = Counter()
MODEL: dict[tuple[str, int], float] = {}  # what the store must hold, by key

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
# Valid values from small pools, so that keys repeat: resends, duplicates and conflicts.
good = {
    "request_id": st.one_of(
        st.sampled_from([*SERVED, "unmatched-a", 7, "y" * 256]),  # 256: the longest id
        st.text(st.characters(exclude_categories=["Cs", "Cc", "Z"]), min_size=1, max_size=8),
    ),
    "row": st.one_of(st.integers(0, 4), st.just(MAX_ROW)),  # the largest row index
    TARGET: st.sampled_from([100_000.0, 452_600.0, 500_001.0, "452600", 1e7]),  # 1e7: the bound
}
bad = {
    "request_id": st.one_of(
        st.text(max_size=12), st.integers(-5, 5), st.just("x" * 257), st.just(" ")
    ),  # 257: one past the 256-character limit
    "row": st.one_of(
        st.integers(-3, 2**70),
        st.just(MAX_ROW + 1),
        st.sampled_from(["1", " 2 ", "-1", "1.5", "", "1e3"]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
    ),
    TARGET: st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-10, 10**400),  # 10**400 overflows float()
        st.sampled_from(["1e5", "NaN", "inf", "", "0", "10000001"]),
        st.just(math.nextafter(1e7, math.inf)),  # one past the largest price
    ),
}


@st.composite
def label(draw: st.DrawFn) -> Any:
    """A valid label three times in four; else one field broken, dropped, or not an object."""
    record: dict[str, Any] = {name: draw(values) for name, values in good.items()}
    if draw(st.sampled_from([True, True, True, False])):
        return record
    part = draw(st.sampled_from([*FIELDS, *FIELDS, "extra", "drop", "whole"]))
    if part == "drop":
        record.pop(draw(st.sampled_from(FIELDS)))
    elif part == "whole":
        return draw(json_values)
    elif part == "extra":
        record[draw(st.sampled_from([*FIELDS, "other"]))] = draw(json_values)
    else:
        record[part] = draw(bad[part])
    return record


def _deep(depth: int) -> bytes:
    return b'{"labels": ' + b"[" * depth + b"]" * depth + b"}"


label_lists = st.lists(label(), min_size=1, max_size=5).map(lambda x: {"labels": x})
bodies = st.one_of(
    label_lists,
    label_lists.map(lambda b: {**b, "more": 1}),  # an unknown top-level key is ignored
    json_values,
    st.dictionaries(st.sampled_from(["labels", "label"]), json_values, max_size=2),
)


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """A label list half of the time; else any JSON, bytes, deep nesting, or a broken encoding."""
    kind = draw(st.sampled_from(["labels"] * 5 + ["json", "bytes", "deep", "surrogate", "utf-8"]))
    if kind == "bytes":
        return draw(st.binary(max_size=100))
    if kind == "deep":
        return _deep(draw(st.integers(1, 5000)))
    text = json.dumps(draw(label_lists if kind == "labels" else bodies)).encode()
    if kind == "surrogate":
        return text.replace(b'"', b'"\\ud800', 1)
    if kind == "utf-8":
        return text[: len(text) // 2] + b"\xff" + text[len(text) // 2 :]
    return text


def _served(root: Path) -> None:
    events = [
        PredictionEvent(
            ts=TS,
            request_id=rid,
            model_version="v1",
            inputs={
                c: [1.0] * n if c != "ocean_proximity" else ["INLAND"] * n for c in RAW_COLUMNS
            },
            outputs={"prediction": [200_000.0] * n},
        )
        for rid, n in SERVED.items()
    ]
    EventStoreWriter(root, "fuzz").write(events)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("feedback-fuzz")
    _served(tmp / "events")
    app_settings = CollectorSettings(
        events_uri=str(tmp / "events"),
        collector_pending_dir=tmp / "pending",
        labels_dir=tmp / "labels",
        verdict_dirs=[],
    )
    started = time.perf_counter()
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client
    seconds = time.perf_counter() - started
    frame = LabelStore(tmp / "labels").frame()
    stored = {(r, int(w)): v for r, w, v in frame[[*FIELDS]].itertuples(index=False)}
    assert stored == MODEL  # nothing lost, nothing stored twice, nothing from a refused body
    joined = join(tmp / "events", TS - timedelta(hours=1), TS + timedelta(hours=1), frame)
    matched = {k for k in MODEL if k[0] in SERVED and k[1] < SERVED[k[0]]}
    assert (joined.labels_total, joined.matched) == (len(MODEL), len(matched))
    assert joined.unmatched == len(MODEL) - len(matched)
    assert len(LabelStore(tmp / "labels")) == len(MODEL)  # unmatched labels stay in the store
    print(
        f"\nfeedback fuzz: {sum(STATUSES.values())} requests in {seconds:.1f} s,"
        f" statuses {dict(sorted(STATUSES.items()))}, {len(MODEL)} labels stored,"
        f" {len(matched)} matched a prediction, {joined.unmatched} unmatched"
    )


def _expected(body: Any) -> tuple[int, dict[tuple[str, int], float], int] | None:
    """Status, new keys and duplicates a valid label list must give; None if it is invalid."""
    if not isinstance(body, dict) or not isinstance(body.get("labels"), list):
        return None
    parsed = [parse(x, "") for x in body["labels"]]
    if not parsed or not all(isinstance(p, Label) for p in parsed):
        return None
    new: dict[tuple[str, int], float] = {}
    duplicates = 0
    for p in parsed:
        assert isinstance(p, Label)
        known = MODEL.get(p.key, new.get(p.key))
        if known is None:
            new[p.key] = p.value
        elif known == p.value:
            duplicates += 1
        else:
            return 409, {}, 0
    return 200, new, duplicates


def _post(client: TestClient, raw: bytes) -> Any:
    answer = client.post("/feedback", content=raw, headers={"content-type": "application/json"})
    STATUSES[answer.status_code] += 1
    assert answer.status_code < 500, answer.text
    return answer


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=raw_bodies())
def test_feedback_answers_200_or_a_4xx_naming_the_field_and_is_idempotent_by_key(
    client: TestClient, raw: bytes
) -> None:
    answer = _post(client, raw)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    expected = _expected(body) if body is not None else None
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert NAMED.match(error), error
        if answer.status_code == 409:
            assert re.match(r"labels\[\d+\]: request_id .* row \d+ already has", error), error
        assert expected is None or expected[0] == answer.status_code, (expected, error)
        return
    assert expected is not None and expected[0] == 200, (raw, answer.json())
    received = len(body["labels"])
    _, new, duplicates = expected
    assert answer.json() == {"received": received, "stored": len(new), "duplicates": duplicates}
    MODEL.update(new)
    again = _post(client, raw)  # a resend: the same answer, nothing stored
    assert again.status_code == 200
    assert again.json() == {"received": received, "stored": 0, "duplicates": received}

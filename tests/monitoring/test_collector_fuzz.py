"""CloudEvents fuzz of the collector: generated headers and bodies, never a 5xx.

Each case is one POST to the real app (TestClient): KServe's headers, some dropped or replaced;
a V2 body, some of it replaced by arbitrary JSON, bytes, deep nesting, lone surrogates, invalid
UTF-8, NaN, huge integers or a size at the body limit. Every answer is a 200 with a status, or a
4xx whose message starts with the input it is about. Afterwards every stored line parses and
nothing was dead-lettered (what is accepted can be stored).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.schema import CATEGORICAL, RAW_COLUMNS
from monitoring.app import create_app
from monitoring.collector_settings import CollectorSettings
from monitoring_helpers import kserve_headers, stored_events

CASES = 2000
LIMIT = 16 * 1024
NAMES = ("ce-id", "ce-type", "ce-source", "ce-specversion", "ce-time", "content-type", "body")
OK = {"pending", "stored", "duplicate", "dead_letter"}
STATUSES: Counter[int] = Counter()

printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.lists(st.floats(allow_nan=False), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def v2_bodies(draw: st.DrawFn, kind: str) -> bytes:
    """A V2 request or response, with generated rows and, sometimes, broken parts."""
    n = draw(st.integers(0, 5))
    floats = st.floats(-1e6, 1e6, allow_nan=False)
    categories = st.sampled_from(["INLAND", "NEAR BAY", "LAKE"])
    if kind == "request":
        names = draw(st.lists(st.sampled_from(RAW_COLUMNS), min_size=1, max_size=9, unique=True))
        tensors = [
            {
                "name": c,
                "shape": [n],
                "datatype": "BYTES" if c == CATEGORICAL else "FP64",
                "data": draw(
                    st.lists(categories if c == CATEGORICAL else floats, min_size=n, max_size=n)
                ),
            }
            for c in names
        ]
        doc: dict[str, Any] = {"id": draw(printable), "inputs": tensors}
    else:
        data = draw(st.lists(floats, min_size=n, max_size=n))
        tensors = [{"name": "median_house_value", "shape": [n], "datatype": "FP64", "data": data}]
        doc = {"model_name": "housing", "model_version": draw(printable), "outputs": tensors}
    key = "inputs" if kind == "request" else "outputs"
    if draw(st.booleans()):  # break one thing
        part = draw(st.sampled_from(["cell", "tensor", "key", "doc", "shape"]))
        if part == "cell" and n:
            tensors[0]["data"][draw(st.integers(0, n - 1))] = draw(cells)
        elif part == "tensor":
            tensors[0][draw(st.sampled_from(["name", "data"]))] = draw(json_values)
        elif part == "key":
            doc[key] = draw(json_values)
        elif part == "doc":
            return json.dumps(draw(json_values)).encode()
        else:
            tensors[0]["data"] = [tensors[0]["data"]] * draw(st.integers(1, 3))
    return json.dumps(doc).encode()


def _deep(depth: int) -> bytes:
    return b'{"inputs": [{"name": "x", "data": ' + b"[" * depth + b"1" + b"]" * depth + b"}]}"


@st.composite
def events(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """Headers and body of one CloudEvent as KServe sends it, then mutated."""
    kind = draw(st.sampled_from(["request", "response"]))
    ce_id = draw(st.one_of(st.uuids().map(str), printable, st.sampled_from(["a", "b", "c"])))
    times = st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
        st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "", "Z"]),
        printable,
    )
    headers = kserve_headers(kind, ce_id, time=draw(times))
    for name in draw(st.lists(st.sampled_from(sorted(headers)), max_size=3)):
        value = draw(st.one_of(st.none(), printable))
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    body = draw(
        st.one_of(
            v2_bodies(kind),
            v2_bodies(kind),
            st.binary(max_size=200),
            json_values.map(lambda v: json.dumps(v).encode()),
            st.integers(1, 3000).map(_deep),
            v2_bodies(kind).map(lambda b: b.replace(b'"', b'"\\ud800', 1)),
            v2_bodies(kind).map(lambda b: b[: len(b) // 2] + b"\xff" + b[len(b) // 2 :]),
            st.integers(LIMIT - 2, LIMIT + 2).map(lambda n: b" " * (n - 2) + b"{}"),
        )
    )
    return headers, body


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("fuzz")
    app_settings = CollectorSettings(
        events_uri=str(tmp / "events"),
        collector_pending_dir=tmp / "pending",
        collector_orphan_timeout_s=0.5,
        collector_max_body_bytes=LIMIT,
    )
    started = time.perf_counter()
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client
        health = test_client.get("/healthz").json()
    stored = len(stored_events(tmp / "events"))  # every line parses with PredictionEvent
    print(
        f"\ncollector fuzz: {sum(STATUSES.values())} cases in {time.perf_counter() - started:.1f}"
        f" s, statuses {dict(sorted(STATUSES.items()))}, {stored} events stored, {health}"
    )
    assert health["dead_letters"] == 0


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(event=events())
def test_collector_answers_200_or_a_4xx_naming_the_input_never_5xx(
    client: TestClient, event: tuple[dict[str, str], bytes]
) -> None:
    headers, body = event
    answer = client.post("/", content=body, headers=headers)
    STATUSES[answer.status_code] += 1
    assert answer.status_code < 500, answer.text
    if answer.status_code == 200:
        assert answer.json()["status"] in OK
    else:
        message = answer.json()["error"]
        assert message.startswith(NAMES), message

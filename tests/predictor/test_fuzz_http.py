"""Generated HTTP requests (hypothesis): never a 5xx, every 4xx names where the problem is.

2,000 cases against a real predictor process: V2 requests broken one field at a time, random
JSON documents, raw bytes, lone surrogates, deep nesting, other routes and methods.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from fuzz_support import DATATYPES, NAMES, SCALARS, columns, names_the_input, run_cases
from hypothesis import strategies as st
from predictor_helpers import PredictorProcess

from model.schema import CATEGORICAL

PATHS = st.sampled_from(
    [
        "/v2/models/housing/infer",
        "/v2/models/housing/infer",
        "/v2/models/housing/infer",
        "/v2/models/other/infer",
        "/v1/models/housing:predict",
        "/v2/models/housing/versions/1/infer",
        "/v2/repository/models/housing/unload",
        "/v2/repository/models/housing/load",
    ]
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)
SURROGATE = "MARKER-SURROGATE"


@st.composite
def v2_bodies(draw: st.DrawFn) -> Any:
    """A V2 request dict built from possibly broken columns and fields."""
    rnd = random.Random(draw(st.integers(0, 2**32)))  # fair odds: hypothesis leans to bounds
    cols = draw(columns())
    inputs: list[Any] = []
    for name, values in cols.items():
        tensor: dict[str, Any] = {
            "name": name if rnd.random() >= 1 / 21 else draw(NAMES),
            "datatype": ("BYTES" if name == CATEGORICAL else "FP64")
            if rnd.random() >= 1 / 21
            else draw(DATATYPES),
            "shape": [len(values)]
            if rnd.random() >= 1 / 11
            else draw(st.one_of(JSON, st.lists(st.integers(-3, 10**13), max_size=3))),
            "data": values if rnd.random() >= 1 / 31 else draw(JSON),
        }
        if rnd.random() < 1 / 41:
            tensor.pop(draw(st.sampled_from(sorted(tensor))))
        inputs.append(tensor)
    body: dict[str, Any] = {"inputs": inputs}
    if draw(st.booleans()):
        pick = rnd.random()
        body["id"] = (
            SURROGATE if pick < 0.1 else draw(JSON if pick < 0.2 else st.text(max_size=300))
        )
    if rnd.random() < 1 / 5:
        body["outputs"] = draw(
            st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "name": st.sampled_from(
                                ["median_house_value", "median_house_value_lower", "x"]
                            )
                        }
                    ),
                    max_size=3,
                ),
                JSON,
            )
        )
    if rnd.random() < 1 / 5:
        body["parameters"] = draw(
            st.one_of(st.fixed_dictionaries({"content_type": st.sampled_from(["pd", "np"])}), JSON)
        )
    if rnd.random() < 1 / 21 and inputs:
        inputs[0]["name"] = SURROGATE
    return body


@st.composite
def raw_bodies(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    """(path, body bytes, headers) for one request."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    path = draw(PATHS)
    kind = draw(st.sampled_from(["clean", "v2", "v2", "v2", "json", "bytes", "deep", "binary"]))
    headers = {"content-type": "application/json"}
    if kind == "clean":  # the columns only (valid unless columns() broke one): reaches 200
        path, tensors = "/v2/models/housing/infer", draw(columns()).items()
        inputs = [
            {"name": n, "datatype": "BYTES" if n == CATEGORICAL else "FP64", "shape": [len(v)]}
            | {"data": v}
            for n, v in tensors
        ]
        body = json.dumps({"inputs": inputs}, allow_nan=True).encode()
    elif kind == "v2":
        text = json.dumps(draw(v2_bodies()), allow_nan=True)
        body = text.replace(SURROGATE, "\\ud800").encode()
    elif kind == "json":
        body = json.dumps(draw(JSON)).encode()
    elif kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif kind == "deep":
        depth = draw(st.integers(900, 3000))
        body = b'{"inputs": ' + b"[" * depth + b"]" * depth + b"}"
    else:
        headers["inference-header-content-length"] = draw(
            st.one_of(
                st.text("0123456789-+.xX", min_size=1, max_size=8), st.integers(-5, 10**6).map(str)
            )
        )
        body = draw(st.binary(max_size=200))
    if rnd.random() < 1 / 11:
        headers["x-request-id"] = draw(st.text(alphabet="abc-0123", max_size=400))
    return path, body, headers


def test_http_fuzz_answers_no_5xx_and_names_the_input_in_every_4xx(
    server: PredictorProcess, tally: Counter[int]
):
    def one_request(case: tuple[str, bytes, dict[str, str]]) -> None:
        path, body, headers = case
        response = server.client.post(path, content=body, headers=headers)
        tally[response.status_code] += 1
        assert response.status_code < 500, (path, body[:300], response.text[:500])
        if response.status_code >= 400:
            error = response.json()["error"]
            assert names_the_input(error), (path, body[:300], error[:500])
            assert len(error) < 6_000, error[:300]

    run_cases(raw_bodies(), one_request, tally)
    assert tally[200] > 0 and len(tally) > 3  # the generator reaches success and several refusals

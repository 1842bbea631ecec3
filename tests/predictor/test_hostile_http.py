"""Hostile HTTP input: oversize bodies, repository calls, odd encodings: no 5xx, flat memory."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from predictor_helpers import MAX_ROWS, PredictorProcess, output, v2_request

from model.bundle import PREDICTION
from predictor.guard import BYTES_PER_ROW, FIXED_BYTES, max_body_bytes

LIMIT = max_body_bytes(MAX_ROWS)
MIB = 1 << 20


@pytest.fixture(scope="module")
def body(rows: pd.DataFrame) -> dict:
    return v2_request(rows.head(3).reset_index(drop=True))


def post(
    server: PredictorProcess, content: bytes | Iterator[bytes], path: str = ""
) -> httpx.Response:
    return server.client.post(
        path or "/v2/models/housing/infer",
        content=content,
        headers={"content-type": "application/json"},
    )


def error_of(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert set(response.json()) == {"error"}
    return response.json()["error"]


def padded(body: dict, size: int) -> bytes:
    """``body`` as JSON, padded with trailing whitespace to exactly ``size`` bytes."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def chunks(raw: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, without Content-Length."""
    for i in range(0, len(raw), size):
        yield raw[i : i + size]


def test_body_limit_is_fixed_part_plus_bytes_per_row_of_max_batch_rows():
    assert LIMIT == FIXED_BYTES + BYTES_PER_ROW * MAX_ROWS == 219_136


def test_infer_answers_body_at_limit_and_413_one_byte_past_it(server, body):
    assert post(server, padded(body, LIMIT)).status_code == 200
    message = error_of(post(server, padded(body, LIMIT + 1)), 413)
    assert message == (
        f"body: {LIMIT + 1} bytes exceed the limit of {LIMIT} bytes ({BYTES_PER_ROW} per row "
        f"of HOUSING_MAX_BATCH_ROWS plus {FIXED_BYTES}), split the batch"
    )


def test_infer_answers_chunked_body_at_limit_and_413_one_byte_past_it(server, body):
    assert post(server, chunks(padded(body, LIMIT))).status_code == 200
    message = error_of(post(server, chunks(padded(body, LIMIT + 1))), 413)
    assert message.startswith(f"body: exceeds the limit of {LIMIT} bytes")


def test_body_limit_fits_max_batch_rows_of_pretty_printed_json(server, rows):
    # The bytes-per-row bound holds for the widest honest encoding: indented JSON, [N, 1] shape.
    batch = pd.concat([rows, rows]).head(MAX_ROWS)
    body = v2_request(batch)
    for i in body["inputs"]:
        i["shape"], i["data"] = [MAX_ROWS, 1], [[v] for v in i["data"]]
    raw = json.dumps(body, indent=4).encode()
    assert len(raw) <= LIMIT
    assert post(server, raw).status_code == 200


def _memory(server: PredictorProcess) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of the server process, in bytes."""
    status = Path(f"/proc/{server.proc.pid}/status").read_text().splitlines()
    fields = {k: v for k, _, v in (line.partition(":") for line in status)}
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}


def _rows_json(rows: pd.DataFrame, n: int) -> bytes:
    """A V2 body of ``n`` rows (the real rows repeated)."""
    return json.dumps(v2_request(pd.concat([rows] * (n // len(rows) + 1)).head(n))).encode()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_rss_stays_flat_when_67_mb_bodies_are_refused(server, rows):
    big = _rows_json(rows, 1_000_000)  # 1M rows, as in the report that took RSS to 941 MiB
    assert len(big) > 60 * MIB
    before = _memory(server)
    assert error_of(post(server, big), 413).startswith(f"body: {len(big)} bytes exceed")
    assert error_of(post(server, chunks(big)), 413).startswith("body: exceeds the limit")
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(post(server, big).status_code))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [413, 413]
    after = _memory(server)
    # Refused before parsing and read in 64 KiB chunks: the peak moves by far less than a body.
    assert after["VmHWM"] - before["VmRSS"] < 48 * MIB, (before, after)
    assert after["VmRSS"] < 1024 * MIB // 2  # half the pod's 1 GiB limit
    assert server.client.get("/v2/health/ready").status_code == 200


def test_infer_returns_415_naming_header_when_binary_extension_used(server, body):
    before = server.client.get("/metrics").text
    header = json.dumps(body).encode()
    for value in (str(len(header)), "not-a-number", "-5", ""):
        response = server.client.post(
            "/v2/models/housing/infer",
            content=header + b"\x00" * 16,
            headers={
                "inference-header-content-length": value,
                "content-type": "application/octet-stream",
            },
        )
        assert error_of(response, 415).startswith(
            "Inference-Header-Content-Length: the binary tensor extension is not supported"
        )
    after = server.client.get("/metrics").text
    ok = [
        line for line in after.splitlines() if 'outcome="ok"' in line and "requests_total" in line
    ]
    assert ok == [line for line in before.splitlines() if line in ok]  # no request counted ok


def test_repository_unload_and_load_are_refused_and_model_keeps_serving(server, body):
    for action in ("unload", "load"):
        response = server.client.post(f"/v2/repository/models/housing/{action}")
        assert error_of(response, 403).startswith(f"model repository {action}: refused")
    assert server.client.get("/v2/health/ready").json() == {"ready": True}
    assert server.client.get("/v2/models/housing/ready").status_code == 200
    assert server.infer(body).status_code == 200


@pytest.mark.parametrize("path", ["", "/ready", "/infer"])
def test_versioned_paths_return_404_naming_version_not_501(server, body, path):
    url = f"/v2/models/housing/versions/7{path}"
    response = server.client.post(url, json=body) if path == "/infer" else server.client.get(url)
    assert error_of(response, 404).startswith("model version '7': versions are not addressable")


def test_api_schema_and_docs_are_not_served_unless_enabled(server):
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert server.client.get(path).status_code == 404


def _with_surrogate(body: dict, where: str) -> bytes:
    marker = "SURROGATE-HERE"
    doc = json.loads(json.dumps(body))
    if where == "id":
        doc["id"] = marker
    elif where == "name":
        doc["inputs"][0]["name"] = marker
    elif where == "datatype":
        doc["inputs"][0]["datatype"] = marker
    else:
        doc["inputs"][8]["data"][1] = marker
    return json.dumps(doc).replace(marker, "a\\ud800b").encode()


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("id", "id"),
        ("name", "inputs[0].name"),
        ("datatype", "inputs[0].datatype"),
        ("data", "inputs[8].data[1]"),
    ],
)
def test_infer_returns_400_naming_field_when_string_holds_lone_surrogate(
    server, body, where, named
):
    message = error_of(post(server, _with_surrogate(body, where)))
    assert message == f"{named}: a lone UTF-16 surrogate (\\ud800-\\udfff) is not text"


@pytest.mark.parametrize("path", ["/v2/models/housing/infer", "/v1/models/housing:predict"])
def test_infer_returns_400_when_json_nested_deeper_than_1024(server, path):
    for depth in (1024, 1025, 5000):
        response = post(server, b"[" * depth + b"]" * depth, path)
        assert 400 <= response.status_code < 500, (depth, response.status_code, response.text)
    deep = b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert error_of(post(server, deep)) == "invalid JSON: nested deeper than 1024 levels"


def test_infer_echoes_id_up_to_256_characters_and_refuses_longer(server, body):
    ok = server.infer({**body, "id": "i" * 256})
    assert ok.status_code == 200 and ok.json()["id"] == "i" * 256
    message = error_of(server.infer({**body, "id": "i" * 257}))
    assert (
        message
        == f"id: {'i' * 40!r}… (257 characters) is longer than 256 characters, send a shorter id"
    )


def test_infer_cuts_long_header_request_id_to_256_characters(server, body):
    response = server.infer(body, headers={"x-request-id": "h" * 5000})
    assert response.json()["id"] == "h" * 256


def test_error_messages_cut_long_client_values(server, body):
    huge = "x" * 30_000
    doc = json.loads(json.dumps(body))
    doc["inputs"].append({"name": huge, "datatype": huge, "shape": [3], "data": [1, 2, 3]})
    doc["inputs"][7]["data"][0] = huge  # median_income
    doc["inputs"][8]["data"][2] = huge  # ocean_proximity
    doc["outputs"] = [{"name": huge}]
    doc["parameters"] = {"content_type": huge}
    message = error_of(server.infer(doc))
    assert len(message) < 2_000, message[:3000]
    assert "(30000 characters) is not a number" in message
    assert "(30000 characters): unexpected input" in message
    category = json.loads(json.dumps(body))
    category["inputs"][8]["data"][2] = huge  # reaches model.schema's category check
    assert error_of(server.infer(category)) == (
        f"ocean_proximity[2]: {'x' * 40!r}… (30000 characters) not in "
        "['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN']"
    )
    assert "(30000 characters) not supported" in message
    logged = [e for e in server.log_lines() if e.get("outcome") == "invalid"]
    assert logged and max(len(json.dumps(e)) for e in logged) < 3_000


def test_infer_still_serves_after_hostile_requests(server, rows):
    response = server.infer(v2_request(rows.head(2)))
    assert response.status_code == 200 and len(output(response, PREDICTION)) == 2

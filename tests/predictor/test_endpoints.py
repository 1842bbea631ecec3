"""The V2 endpoints of a real predictor process, over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from predictor_helpers import PredictorProcess, output, v2_request

from model.bundle import LOWER, PREDICTION, UPPER, read_manifest


@pytest.fixture(scope="module")
def manifest(tiny_bundle: Path):
    return read_manifest(tiny_bundle)


def test_health_live_returns_200_when_server_is_up(server: PredictorProcess):
    response = server.client.get("/v2/health/live")
    assert (response.status_code, response.json()) == (200, {"live": True})


def test_health_ready_returns_200_when_bundle_loaded(server: PredictorProcess):
    response = server.client.get("/v2/health/ready")
    assert (response.status_code, response.json()) == (200, {"ready": True})


def test_model_ready_returns_200_when_bundle_loaded(server: PredictorProcess):
    response = server.client.get("/v2/models/housing/ready")
    assert (response.status_code, response.json()) == (200, {"name": "housing", "ready": True})


def test_model_metadata_lists_manifest_inputs_and_outputs_when_asked(server, manifest):
    body = server.client.get("/v2/models/housing").json()
    assert body["name"] == "housing"
    assert body["inputs"] == [t.model_dump() for t in manifest.inputs]
    assert [i["name"] for i in body["inputs"]] == [
        "longitude",
        "latitude",
        "housing_median_age",
        "total_rooms",
        "total_bedrooms",
        "population",
        "households",
        "median_income",
        "ocean_proximity",
    ]
    assert {i["datatype"] for i in body["inputs"][:-1]} == {"FP64"}
    assert body["inputs"][-1]["datatype"] == "BYTES"
    assert body["outputs"] == [t.model_dump() for t in manifest.outputs]
    assert [o["name"] for o in body["outputs"]] == [PREDICTION, LOWER, UPPER]


def test_infer_returns_prediction_with_id_and_version_when_rows_valid(server, manifest, rows):
    response = server.infer(v2_request(rows.head(3), id="req-42"))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["model_name"], body["model_version"]) == (
        "req-42",
        "housing",
        manifest.model_version,
    )
    assert [(o["name"], o["datatype"], o["shape"]) for o in body["outputs"]] == [
        (PREDICTION, "FP64", [3])
    ]
    assert all(isinstance(v, float) and v > 0 for v in output(response, PREDICTION))


def test_infer_returns_interval_around_prediction_when_bounds_requested(server, rows):
    response = server.infer(v2_request(rows.head(20), outputs=[PREDICTION, LOWER, UPPER]))
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["outputs"]] == [PREDICTION, LOWER, UPPER]
    for low, mid, high in zip(
        output(response, LOWER), output(response, PREDICTION), output(response, UPPER), strict=True
    ):
        assert low <= mid <= high


def test_infer_returns_only_requested_outputs_when_only_bounds_requested(server, rows):
    response = server.infer(v2_request(rows.head(2), outputs=[UPPER]))
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["outputs"]] == [UPPER]


def test_infer_accepts_pandas_content_type_when_given(server, rows):
    plain = server.infer(v2_request(rows.head(2)))
    tagged = server.infer(v2_request(rows.head(2), parameters={"content_type": "pd"}))
    assert tagged.status_code == 200
    assert output(tagged, PREDICTION) == output(plain, PREDICTION)


def test_infer_accepts_column_vector_shape_when_shape_is_n_by_1(server, rows):
    body = v2_request(rows.head(2))
    for i in body["inputs"]:
        i["shape"] = [2, 1]
    response = server.infer(body)
    assert response.status_code == 200
    assert output(response, PREDICTION) == output(
        server.infer(v2_request(rows.head(2))), PREDICTION
    )


def test_infer_imputes_total_bedrooms_when_null(server, rows):
    row = rows.head(1).copy()
    row["total_bedrooms"] = float("nan")
    response = server.infer(v2_request(row))
    assert response.status_code == 200
    assert output(response, PREDICTION)[0] > 0


def test_infer_echoes_request_id_header_when_body_has_no_id(server, rows):
    response = server.infer(v2_request(rows.head(1)), headers={"x-request-id": "hdr-7"})
    assert response.json()["id"] == "hdr-7"


def test_infer_returns_404_when_model_name_unknown(server, rows):
    response = server.client.post("/v2/models/nope/infer", json=v2_request(rows.head(1)))
    assert response.status_code == 404
    assert "nope" in response.json()["error"]


def test_infer_logs_one_json_line_per_request_when_served(server, rows):
    server.infer(v2_request(rows.head(4), id="log-check-1"))
    server.infer({"id": "log-check-2", "inputs": []})
    lines = server.log_lines()  # every line is JSON, or json.loads fails here
    mine = [entry for entry in lines if entry.get("request_id") in ("log-check-1", "log-check-2")]
    assert [(e["event"], e["rows"], e["outcome"]) for e in mine] == [
        ("prediction", 4, "ok"),
        ("prediction", 0, "invalid"),
    ]
    assert mine[0]["latency_ms"] > 0 and mine[0]["model_version"]
    assert not [e for e in lines if e["logger"] in ("uvicorn.access", "kserve.trace")]
    assert "ORJSONResponse" not in json.dumps(lines)
    assert not [e for e in lines if e["level"] == "ERROR"]


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            got = ",".join(sorted(line[line.index("{") + 1 : line.index("}")].split(",")))
            if got == wanted:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_rows_and_errors_when_requests_served(server, manifest, rows):
    labels = {"model_name": "housing", "model_version": manifest.model_version}
    before = server.client.get("/metrics").text
    server.infer(v2_request(rows.head(5)))
    server.infer(v2_request(rows.head(1).assign(ocean_proximity="LAKE")))
    after = server.client.get("/metrics").text

    def delta(name: str, outcome: str) -> float:
        return _metric(after, name, **labels, outcome=outcome) - _metric(
            before, name, **labels, outcome=outcome
        )

    assert delta("housing_requests_total", "ok") == 1
    assert delta("housing_rows_total", "ok") == 5
    assert delta("housing_requests_total", "invalid") == 1
    assert delta("housing_request_errors_total", "invalid") == 1
    assert delta("housing_request_errors_total", "ok") == 0
    for histogram in (
        "request_preprocess_seconds",
        "request_predict_seconds",
        "request_postprocess_seconds",
    ):
        assert _metric(after, f"{histogram}_count", model_name="housing") > _metric(
            before, f"{histogram}_count", model_name="housing"
        )


def test_infer_predicts_each_row_when_batch_has_many(server, rows):
    response = server.infer(v2_request(pd.concat([rows] * 1).head(200)))
    assert response.status_code == 200 and len(output(response, PREDICTION)) == 200

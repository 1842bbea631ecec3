"""Bad input never gets a 5xx: a 400 with V2's {"error": ...} naming the input, row and problem."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from predictor_helpers import MAX_ROWS, PredictorProcess, v2_request, with_input


@pytest.fixture(scope="module")
def body(rows: pd.DataFrame) -> dict:
    """A valid 3-row request to break one way at a time."""
    return v2_request(rows.head(3).reset_index(drop=True))


def error_of(response) -> str:
    assert response.status_code == 400, (response.status_code, response.text)
    assert set(response.json()) == {"error"}
    return response.json()["error"]


def test_infer_returns_400_when_json_malformed(server: PredictorProcess):
    response = server.client.post(
        "/v2/models/housing/infer",
        content=b'{"inputs": [',
        headers={"content-type": "application/json"},
    )
    assert "invalid JSON" in error_of(response)


def test_infer_returns_400_naming_field_when_body_not_a_v2_request(server):
    assert error_of(server.infer({"inputs": 3})) == "inputs: expected a list of V2 inputs, got int"
    assert error_of(server.infer([1])) == "body: expected a V2 inference request object, got list"


def test_infer_returns_400_naming_field_when_input_lacks_data(server, body):
    broken = {"inputs": [{k: v for k, v in i.items() if k != "data"} for i in body["inputs"]]}
    assert error_of(server.infer(broken)).startswith(
        "longitude: 'data' must be a list, got missing; latitude: 'data' must be a list"
    )


def test_infer_returns_400_naming_column_when_input_missing(server, body):
    broken = {"inputs": [i for i in body["inputs"] if i["name"] != "median_income"]}
    assert error_of(server.infer(broken)) == "median_income: missing input"


def test_infer_returns_400_naming_column_when_input_unexpected(server, body):
    extra = {"name": "colour", "datatype": "FP64", "shape": [3], "data": [1, 2, 3]}
    message = error_of(server.infer({"inputs": [*body["inputs"], extra]}))
    assert message.startswith("colour: unexpected input (expected ['longitude', ")


def test_infer_returns_400_naming_column_when_input_repeated(server, body):
    message = error_of(server.infer({"inputs": [*body["inputs"], body["inputs"][0]]}))
    assert message == "longitude: input given more than once"


def test_infer_returns_400_naming_column_when_datatype_wrong(server, body):
    broken = with_input(body, "latitude", datatype="BYTES", data=["1", "2", "3"])
    assert error_of(server.infer(broken)) == "latitude: datatype BYTES, expected FP64"


def test_infer_returns_400_naming_row_when_number_is_a_string(server, body):
    broken = with_input(body, "median_income", data=[1.5, "lots", 2.5])
    assert error_of(server.infer(broken)) == (
        "median_income[1]: 'lots' is not a number (datatype FP64)"
    )


def test_infer_returns_400_naming_row_when_number_is_a_boolean(server, body):
    broken = with_input(body, "households", data=[1.0, 2.0, True])
    assert error_of(server.infer(broken)) == "households[2]: True is not a number (datatype FP64)"


def test_infer_returns_400_naming_row_when_category_not_a_string(server, body):
    broken = with_input(body, "ocean_proximity", data=["INLAND", 7, "INLAND"])
    assert error_of(server.infer(broken)) == (
        "ocean_proximity[1]: 7 is not a string (datatype BYTES)"
    )


def test_infer_returns_400_naming_lengths_when_columns_differ(server, body):
    broken = with_input(body, "population", shape=[2], data=[10.0, 20.0])
    assert "inputs: columns differ in length: " in error_of(server.infer(broken))
    assert "population=2" in error_of(server.infer(broken))


def test_infer_returns_400_naming_column_when_shape_does_not_match_data(server, body):
    broken = with_input(body, "latitude", shape=[4])
    assert error_of(server.infer(broken)).startswith(
        "latitude: shape [4] does not match its 3 value(s)"
    )


def test_infer_returns_400_naming_row_when_required_value_null(server, body):
    broken = with_input(body, "median_income", data=[1.0, None, 2.0])
    assert error_of(server.infer(broken)) == "median_income[1]: missing (null/NaN not allowed)"


def test_infer_returns_400_naming_row_when_value_is_nan_or_infinite(server, body):
    broken = with_input(
        with_input(body, "longitude", data=[float("nan"), -122.0, -122.0]),
        "latitude",
        data=[37.0, 37.0, float("inf")],
    )
    text = json.dumps(broken)  # NaN and Infinity literals, as Python and JavaScript clients send
    response = server.client.post(
        "/v2/models/housing/infer",
        content=text.encode(),
        headers={"content-type": "application/json"},
    )
    assert error_of(response) == (
        "longitude[0]: missing (null/NaN not allowed); latitude[2]: inf is not finite"
    )


def test_infer_returns_400_naming_row_when_count_negative(server, body):
    population = next(i["data"] for i in body["inputs"] if i["name"] == "population")
    broken = with_input(body, "population", data=[population[0], -5.0, population[2]])
    assert error_of(server.infer(broken)) == "population[1]: -5.0 outside [0, 1e+07]"


def test_infer_returns_400_naming_column_when_ocean_proximity_unknown(server, body):
    broken = with_input(body, "ocean_proximity", data=["INLAND", "INLAND", "LAKE"])
    assert error_of(server.infer(broken)) == (
        "ocean_proximity[2]: 'LAKE' not in ['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', "
        "'NEAR OCEAN']"
    )


def test_infer_returns_400_when_batch_empty(server, body):
    empty = {"inputs": [{**i, "shape": [0], "data": []} for i in body["inputs"]]}
    assert error_of(server.infer(empty)) == "no rows: the batch is empty"


def test_infer_returns_400_naming_limit_when_batch_above_row_limit(server, rows):
    big = v2_request(pd.concat([rows, rows]).head(MAX_ROWS + 1))
    assert error_of(server.infer(big)) == (
        f"inputs: {MAX_ROWS + 1} rows exceed the limit of {MAX_ROWS} per request "
        "(HOUSING_MAX_BATCH_ROWS), split the batch"
    )


def test_infer_reports_every_problem_capped_when_many_rows_bad(server, rows):
    bad = rows.head(60).assign(ocean_proximity="LAKE", population=-1.0)
    message = error_of(server.infer(v2_request(bad)))
    assert message.startswith("population[0]: -1.0 outside [0, 1e+07]; population[1]:")
    assert message.endswith("; … and 100 more problem(s)")


def test_infer_returns_400_naming_output_when_output_unknown(server, body):
    message = error_of(server.infer({**body, "outputs": [{"name": "price_in_euros"}]}))
    assert message.startswith("outputs: 'price_in_euros' is not an output of this model")


def test_infer_returns_400_naming_parameter_when_content_type_unsupported(server, body):
    message = error_of(server.infer({**body, "parameters": {"content_type": "np"}}))
    assert message.startswith("parameters.content_type: 'np' not supported")


def test_infer_answers_no_5xx_when_given_any_bad_input(server, body):
    bodies = [
        None,
        [],
        "x",
        {"inputs": None},
        {"inputs": [{}]},
        {"inputs": [1, 2]},
        with_input(body, "longitude", data=[[1, 2], [3, 4], [5, 6]]),
        with_input(body, "longitude", shape="3"),
        with_input(body, "longitude", data=[1e999] * 3),
        with_input(body, "longitude", data=[10**400] * 3),
        {**body, "outputs": "all"},
        {**body, "id": 5},
    ]
    for b in bodies:
        response = server.client.post(
            "/v2/models/housing/infer",
            content=json.dumps(b).encode(),
            headers={"content-type": "application/json"},
        )
        assert 400 <= response.status_code < 500, (b, response.status_code, response.text)
        assert set(response.json()) == {"error"}, response.text


def test_infer_returns_400_naming_row_and_rule_when_row_physically_impossible(server, body):
    def column(name: str) -> list:
        return list(next(i["data"] for i in body["inputs"] if i["name"] == name))

    bedrooms, population = column("total_bedrooms"), column("population")
    bedrooms[0] = 1e6  # in range, but more bedrooms than rooms
    population[2] = 0.0  # in range, but households without people
    broken = with_input(
        with_input(body, "total_bedrooms", data=bedrooms), "population", data=population
    )
    rooms, households = column("total_rooms")[0], column("households")[2]
    assert error_of(server.infer(broken)) == (
        f"row 0: total_bedrooms 1000000.0 > 1 * total_rooms = {rooms!r} (rule "
        "bedrooms_within_rooms: bedrooms are among the rooms); "
        f"row 2: households {households!r} > 2 * population + 10 = 10.0 (rule "
        "households_within_population: a household has people)"
    )

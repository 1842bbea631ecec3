"""predictor.codec in process: every structural check of a V2 request at its limit and one past it.

Each expected message is the text a client reads in the 400 body, ``{"error": "<problems joined
by '; '>"}`` (predictor.errors re-raises the SchemaError's text), written out by hand.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from model.errors import SchemaError
from predictor.codec import (
    MAX_ID_CHARS,
    JsonRequest,
    Tensor,
    decode,
    encode_json,
    parse_json,
)

INCOME, OCEAN = "median_income", "ocean_proximity"
SPEC = {INCOME: "FP64", OCEAN: "BYTES"}
OUTPUTS = ("median_house_value", "median_house_value_lower", "median_house_value_upper")
EXPECTED = "(expected ['median_income', 'ocean_proximity'])"
SHAPE_HINT = "send shape [N] (or [N, 1]) with N values"
# float64's largest value is (2**53 - 1) * 2**971; integers from halfway to 2**1024 round past it.
LARGEST_INT_AS_FLOAT64 = 2**1024 - 2**970 - 1


def fp64(data: list, shape: list | None = None, raw: bytes | None = None) -> Tensor:
    return Tensor(INCOME, "FP64", [len(data)] if shape is None else shape, data, raw)


def text(data: list, shape: list | None = None, raw: bytes | None = None) -> Tensor:
    return Tensor(OCEAN, "BYTES", [len(data)] if shape is None else shape, data, raw)


def run(*inputs: Tensor, parameters=None, requested=(), max_rows: int = 3):
    return decode(
        list(inputs), parameters, list(requested), spec=SPEC, outputs=OUTPUTS, max_rows=max_rows
    )


def error(*inputs: Tensor, **kwargs) -> str:
    with pytest.raises(SchemaError) as info:
        run(*inputs, **kwargs)
    return str(info.value)


def parse_error(body: bytes) -> str:
    with pytest.raises(SchemaError) as info:
        parse_json(body)
    return str(info.value)


# ---- decode: a valid request ------------------------------------------------------------------


def test_decode_returns_one_array_per_column_and_the_point_prediction_when_request_valid():
    columns = run(fp64([1, 2.5, None]), text(["INLAND", None, "NEAR BAY"]))
    assert columns.rows == 3
    assert columns.outputs == ("median_house_value",)
    assert list(columns.data) == [INCOME, OCEAN]
    income, ocean = columns.data[INCOME], columns.data[OCEAN]
    assert income.dtype == np.float64 and ocean.dtype == object
    np.testing.assert_array_equal(income, [1.0, 2.5, np.nan])
    assert ocean.tolist() == ["INLAND", None, "NEAR BAY"]


def test_decode_accepts_pd_or_absent_content_type_and_ignores_other_parameters():
    for parameters in (None, {}, {"content_type": "pd"}, {"content_type": None}, {"x": 1}):
        assert run(fp64([1.0]), text(["INLAND"]), parameters=parameters).rows == 1


@pytest.mark.parametrize("content_type", ["np", "PD", "", 1])
def test_decode_refuses_other_content_types_naming_the_parameter(content_type):
    shown = repr(content_type)
    assert error(fp64([1.0]), text(["INLAND"]), parameters={"content_type": content_type}) == (
        f"parameters.content_type: {shown} not supported, send one input per column "
        "(content_type 'pd' or none)"
    )


# ---- decode: input names ----------------------------------------------------------------------


def test_decode_names_every_missing_input_in_schema_order_when_none_sent():
    assert error() == "median_income: missing input; ocean_proximity: missing input"
    assert error(text(["INLAND"])) == "median_income: missing input"


def test_decode_names_an_input_once_per_repetition():
    assert error(fp64([1.0]), text(["INLAND"]), fp64([1.0])) == (
        "median_income: input given more than once"
    )
    assert error(fp64([1.0]), fp64([1.0]), text(["INLAND"]), fp64([1.0])) == (
        "median_income: input given more than once; median_income: input given more than once"
    )


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("x", "x"),
        ("x" * 40, "x" * 40),
        ("x" * 41, f"'{'x' * 40}'… (41 characters)"),
        ("", "''"),
        ("a\tb", r"'a\tb'"),
        (7, "7"),
        (None, "None"),
    ],
)
def test_decode_names_an_unexpected_input_as_sent_up_to_40_printable_characters(name, named):
    extra = Tensor(name, "FP64", [1], [1.0])
    assert error(fp64([1.0]), extra, text(["INLAND"])) == f"{named}: unexpected input {EXPECTED}"


def test_decode_reports_a_repeated_unexpected_input_both_ways():
    extra = Tensor("colour", "FP64", [1], [1.0])
    assert error(extra, fp64([1.0]), extra, text(["INLAND"])) == (
        f"colour: input given more than once; colour: unexpected input {EXPECTED}"
    )


# ---- decode: outputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "outputs"),
    [
        ([], ("median_house_value",)),
        (["median_house_value_lower"], ("median_house_value_lower",)),
        (
            ["median_house_value_upper", "median_house_value", "median_house_value_upper"],
            ("median_house_value_upper", "median_house_value"),
        ),
    ],
)
def test_decode_returns_the_requested_outputs_once_each_in_request_order(requested, outputs):
    assert run(fp64([1.0]), text(["INLAND"]), requested=requested).outputs == outputs


def test_decode_refuses_an_unknown_output_listing_the_known_ones():
    assert error(fp64([1.0]), text(["INLAND"]), requested=["price", "median_house_value"]) == (
        "outputs: 'price' is not an output of this model (['median_house_value', "
        "'median_house_value_lower', 'median_house_value_upper'])"
    )


# ---- decode: datatypes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (Tensor(INCOME, "BYTES", [1], ["1.5"]), "median_income: datatype BYTES, expected FP64"),
        (Tensor(INCOME, "fp64", [1], [1.5]), "median_income: datatype fp64, expected FP64"),
        (Tensor(INCOME, "FP32", [1], [1.5]), "median_income: datatype FP32, expected FP64"),
        (Tensor(INCOME, "INT64", [1], [1]), "median_income: datatype INT64, expected FP64"),
        (Tensor(INCOME, None, [1], [1.5]), "median_income: datatype None, expected FP64"),
        (
            Tensor(INCOME, "F" * 41, [1], [1.5]),
            f"median_income: datatype '{'F' * 40}'… (41 characters), expected FP64",
        ),
    ],
)
def test_decode_refuses_a_numeric_input_in_any_datatype_but_fp64(tensor, message):
    assert error(tensor, text(["INLAND"])) == message


def test_decode_refuses_the_category_in_any_datatype_but_bytes():
    assert error(fp64([1.0]), Tensor(OCEAN, "FP64", [1], [1.0])) == (
        "ocean_proximity: datatype FP64, expected BYTES"
    )


def test_decode_reports_every_structural_problem_at_once_in_a_fixed_order():
    assert error(
        Tensor(INCOME, "FP32", [1], [1.0]),
        Tensor("colour", "FP64", [1], [1.0]),
        requested=["price"],
        parameters={"content_type": "np"},
    ) == (
        "parameters.content_type: 'np' not supported, send one input per column "
        "(content_type 'pd' or none); "
        f"colour: unexpected input {EXPECTED}; "
        "ocean_proximity: missing input; "
        "outputs: 'price' is not an output of this model (['median_house_value', "
        "'median_house_value_lower', 'median_house_value_upper']); "
        "median_income: datatype FP32, expected FP64"
    )


@pytest.mark.parametrize(
    ("first", "problem"),
    [
        (Tensor("colour", "FP64", [1], [1.0]), f"colour: unexpected input {EXPECTED}"),
        (Tensor(INCOME, "FP32", [1], [1.0]), "median_income: datatype FP32, expected FP64"),
        (
            fp64([], [1], b"\0" * 7),
            "median_income: raw_input_contents of 7 bytes is not FP64 values",
        ),
        (fp64([1.0], [2]), f"median_income: shape [2] does not match its 1 value(s), {SHAPE_HINT}"),
    ],
)
def test_decode_still_checks_the_inputs_after_a_broken_one(first, problem):
    inputs = [first, text([1])] if first.name == INCOME else [first, fp64([1.0]), text([1])]
    assert error(*inputs) == (f"{problem}; ocean_proximity[0]: 1 is not a string (datatype BYTES)")


# ---- decode: shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "data"),
    [
        ([2], [1.5, 2.0]),
        ([2, 1], [1.5, 2.0]),
        ([2, 1], [[1.5], [2.0]]),
        ((2,), [1.5, 2.0]),
        ([1, 1], [1.5]),
    ],
)
def test_decode_accepts_shape_n_or_n_by_1_flat_or_nested(shape, data):
    columns = run(fp64(data, shape), text(["INLAND"] * len(data)))
    np.testing.assert_array_equal(columns.data[INCOME], [1.5, 2.0][: len(data)])


@pytest.mark.parametrize(
    ("shape", "shown"),
    [
        ([3], "[3]"),
        ([1], "[1]"),
        ([-1], "[-1]"),
        ([], "[]"),
        ([1, 2], "[1, 2]"),
        ([2, 2], "[2, 2]"),
        ([2, 1, 1], "[2, 1, 1]"),
        ([2, 1, 1, 1], "[2, 1, 1, 1]"),
        ([2, 1, 1, 1, 1], "a list of 5 item(s)"),
        ([10**12 - 1], "[999999999999]"),
        ([10**12], "a list of 1 item(s)"),
        ([-(10**12) + 1], "[-999999999999]"),
        ([-(10**12)], "a list of 1 item(s)"),
        ([3.0], "a list of 1 item(s)"),
        ([True], "a list of 1 item(s)"),
        (["2"], "a list of 1 item(s)"),
        ("2", "a list of 1 item(s)"),
    ],
)
def test_decode_refuses_any_other_shape_showing_it_when_small(shape, shown):
    assert error(fp64([1.5, 2.0], shape), text(["INLAND", "ISLAND"])) == (
        f"median_income: shape {shown} does not match its 2 value(s), {SHAPE_HINT}"
    )


def test_decode_flattens_only_a_column_of_one_item_lists():
    assert error(fp64([[1.5], [2.0, 3.0]], [2, 1]), text(["INLAND", "ISLAND"])) == (
        "median_income[0]: a list of 1 item(s) is not a number (datatype FP64); "
        "median_income[1]: a list of 2 item(s) is not a number (datatype FP64)"
    )
    assert error(fp64([[1.5], 2.0], [2, 1]), text(["INLAND", "ISLAND"])) == (
        "median_income[0]: a list of 1 item(s) is not a number (datatype FP64)"
    )
    assert error(fp64([[]], [1, 1]), text(["INLAND"])) == (
        "median_income[0]: a list of 0 item(s) is not a number (datatype FP64)"
    )


def test_decode_accepts_zero_rows_leaving_the_empty_batch_to_the_schema():
    columns = run(fp64([]), text([]))
    assert columns.rows == 0
    assert columns.data[INCOME].tolist() == [] and columns.data[OCEAN].tolist() == []


# ---- decode: lengths and the row limit --------------------------------------------------------


def test_decode_accepts_the_row_limit_and_refuses_one_row_more():
    assert run(fp64([1.0] * 3), text(["INLAND"] * 3), max_rows=3).rows == 3
    assert error(fp64([1.0] * 4), text(["INLAND"] * 4), max_rows=3) == (
        "inputs: 4 rows exceed the limit of 3 per request (HOUSING_MAX_BATCH_ROWS), split the batch"
    )


def test_decode_names_each_column_length_when_they_differ():
    assert error(fp64([1.0, 2.0]), text(["INLAND"])) == (
        "inputs: columns differ in length: median_income=2, ocean_proximity=1"
    )
    assert error(text(["INLAND"] * 4), fp64([1.0, 2.0]), max_rows=3) == (
        "inputs: columns differ in length: ocean_proximity=4, median_income=2; "
        "inputs: 4 rows exceed the limit of 3 per request (HOUSING_MAX_BATCH_ROWS), split the batch"
    )


# ---- decode: FP64 values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, -2, 0], [1.0, -2.0, 0.0]),
        ([None, 1.5], [np.nan, 1.5]),
        ([float("nan"), float("inf")], [np.nan, np.inf]),  # model.schema reports these
        ([2**64], [18446744073709551616.0]),
        ([LARGEST_INT_AS_FLOAT64], [1.7976931348623157e308]),
        ([-LARGEST_INT_AS_FLOAT64], [-1.7976931348623157e308]),
    ],
)
def test_decode_turns_json_numbers_and_null_into_float64(data, expected):
    columns = run(fp64(data), text(["INLAND"] * len(data)))
    assert columns.data[INCOME].dtype == np.float64
    np.testing.assert_array_equal(columns.data[INCOME], expected)


BIG = "1" + "0" * 39  # the first 40 of an integer's digits, as messages cut it


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["1.5"], "median_income[0]: '1.5' is not a number (datatype FP64)"),
        ([1.0, True], "median_income[1]: True is not a number (datatype FP64)"),
        ([{"a": 1}], "median_income[0]: a dict of 1 item(s) is not a number (datatype FP64)"),
        (
            [LARGEST_INT_AS_FLOAT64 + 1, 1.0],
            f"median_income[0]: {str(LARGEST_INT_AS_FLOAT64 + 1)[:40]}… (309 characters) "
            "is not a number (datatype FP64)",
        ),
        (
            [None, 1, -(10**400)],
            f"median_income[2]: -{BIG[:39]}… (402 characters) is not a number (datatype FP64)",
        ),
        (
            ["a", 10**400, b"1"],
            "median_income[0]: 'a' is not a number (datatype FP64); "
            f"median_income[1]: {BIG}… (401 characters) is not a number (datatype FP64); "
            "median_income[2]: b'1' is not a number (datatype FP64)",
        ),
    ],
)
def test_decode_names_every_value_that_is_not_a_float64_by_row(data, message):
    assert error(fp64(data), text(["INLAND"] * len(data))) == message


# ---- decode: BYTES values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (["INLAND", "NEAR BAY"], ["INLAND", "NEAR BAY"]),
        ([b"NEAR BAY", None, "INLAND"], ["NEAR BAY", None, "INLAND"]),
        ([b"\xc3\xa9"], ["é"]),
        ([None], [None]),
    ],
)
def test_decode_turns_strings_utf8_bytes_and_null_into_str(data, expected):
    column = run(fp64([1.0] * len(data)), text(data)).data[OCEAN]
    assert column.dtype == object
    assert column.tolist() == expected
    assert [type(v) for v in column] == [type(v) for v in expected]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([b"\xff"], "ocean_proximity[0]: not valid UTF-8"),
        (["INLAND", 1], "ocean_proximity[1]: 1 is not a string (datatype BYTES)"),
        ([True], "ocean_proximity[0]: True is not a string (datatype BYTES)"),
        ([1.5], "ocean_proximity[0]: 1.5 is not a string (datatype BYTES)"),
        (
            [b"\xff", 2.0, b"\x80"],
            "ocean_proximity[0]: not valid UTF-8; "
            "ocean_proximity[1]: 2.0 is not a string (datatype BYTES); "
            "ocean_proximity[2]: not valid UTF-8",
        ),
    ],
)
def test_decode_names_every_value_that_is_not_text_by_row(data, message):
    assert error(fp64([1.0] * len(data)), text(data)) == message


def test_decode_names_a_nested_list_in_a_bytes_column_by_row():
    assert error(fp64([1.0]), text([["INLAND", "ISLAND"]], [1])) == (
        "ocean_proximity[0]: a list of 2 item(s) is not a string (datatype BYTES)"
    )
    assert run(fp64([1.0]), text([["INLAND"]], [1, 1])).data[OCEAN].tolist() == ["INLAND"]


# ---- decode: gRPC raw_input_contents ----------------------------------------------------------


def element(value: bytes) -> bytes:
    """One BYTES element as raw_input_contents carries it: 4-byte little-endian length first."""
    return len(value).to_bytes(4, "little") + value


def test_decode_reads_raw_fp64_as_little_endian_float64():
    raw = struct.pack("<3d", 1.5, -2.0, 1e300)
    columns = run(fp64([], [3], raw), text(["INLAND"] * 3))
    np.testing.assert_array_equal(columns.data[INCOME], [1.5, -2.0, 1e300])


def test_decode_reads_raw_bytes_elements_including_empty_ones():
    raw = element(b"INLAND") + element(b"") + element(b"NEAR BAY") + element(b"")
    columns = run(fp64([1.0] * 4), text([], [4], raw), max_rows=4)
    assert columns.data[OCEAN].tolist() == ["INLAND", "", "NEAR BAY", ""]


def test_decode_reads_empty_raw_contents_as_zero_values():
    assert run(fp64([], [0], b""), text([], [0], b"")).rows == 0


@pytest.mark.parametrize("size", [7, 9, 15, 17])
def test_decode_refuses_raw_fp64_not_a_multiple_of_8_bytes(size):
    assert error(fp64([], [2], b"\0" * size), text(["INLAND", "ISLAND"])) == (
        f"median_income: raw_input_contents of {size} bytes is not FP64 values"
    )


@pytest.mark.parametrize(
    ("raw", "at"),
    [
        (b"\x06\0\0", 0),  # a length cut short
        (b"\x07\0\0\0INLAND", 0),  # one byte fewer than the length says
        (element(b"INLAND") + b"\x06\0\0", 10),
        (element(b"INLAND") + b"\x01\0\0\0", 10),
    ],
)
def test_decode_refuses_raw_bytes_that_are_not_length_prefixed_elements(raw, at):
    assert error(fp64([1.0]), text([], [1], raw)) == (
        "ocean_proximity: raw_input_contents is not BYTES elements (4-byte length, then the "
        f"bytes) at byte {at}"
    )


def test_decode_checks_raw_contents_against_the_shape_and_utf8():
    assert error(fp64([], [3], struct.pack("<2d", 1.0, 2.0)), text(["INLAND"] * 2)) == (
        f"median_income: shape [3] does not match its 2 value(s), {SHAPE_HINT}"
    )
    assert error(fp64([1.0]), text([], [1], element(b"\xff"))) == (
        "ocean_proximity[0]: not valid UTF-8"
    )


def test_decode_checks_the_datatype_before_reading_raw_contents():
    tensor = Tensor(INCOME, "FP32", [1], [], b"\0" * 3)
    assert error(tensor, text(["INLAND"])) == "median_income: datatype FP32, expected FP64"


# ---- encode_json -----------------------------------------------------------------------------


def test_encode_json_writes_the_v2_response_with_every_output():
    outputs = {
        "median_house_value": np.array([1.5, 250000.0]),
        "median_house_value_lower": np.array([0.25, 1e-7]),
    }
    assert encode_json("r-1", "housing", "v7", outputs) == (
        b'{"model_name":"housing","model_version":"v7","id":"r-1","outputs":['
        b'{"name":"median_house_value","datatype":"FP64","shape":[2],"data":[1.5,250000.0]},'
        b'{"name":"median_house_value_lower","datatype":"FP64","shape":[2],"data":[0.25,1e-7]}]}'
    )


# ---- parse_json -------------------------------------------------------------------------------


def test_parse_json_returns_the_request_fields_when_body_valid():
    body = (
        b'{"id": "r-1", "parameters": {"content_type": "pd"},'
        b' "inputs": [{"name": "median_income", "datatype": "FP64", "shape": [2],'
        b' "data": [1.5, null]}], "outputs": [{"name": "a"}, {"name": "b", "parameters": {}}]}'
    )
    assert parse_json(body) == JsonRequest(
        "r-1", [Tensor(INCOME, "FP64", [2], [1.5, None])], {"content_type": "pd"}, ["a", "b"]
    )


def test_parse_json_fills_absent_optional_fields():
    assert parse_json(b'{"inputs": []}') == JsonRequest(None, [], None, [])
    assert parse_json(b'{"inputs": [], "outputs": null, "parameters": null, "id": null}') == (
        JsonRequest(None, [], None, [])
    )


def test_parse_json_reads_the_literals_python_clients_send_and_integers_past_64_bits():
    request = parse_json(
        b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [4],'
        b' "data": [NaN, Infinity, -Infinity, 100000000000000000000000000000]}]}'
    )
    [values] = [t.data for t in request.inputs]
    assert math.isnan(values[0]) and values[1:3] == [math.inf, -math.inf]
    assert values[3] == 10**29 and type(values[3]) is int


def test_parse_json_keeps_non_ascii_text_when_the_lenient_parser_reads_the_body():
    request = parse_json(
        '{"id": "é", "inputs": [{"name": "ocean_proximity", "datatype": "BYTES",'
        ' "shape": [1], "data": ["NEAR BAYé"]}], "parameters": {"x": NaN}}'.encode()
    )
    assert request.id == "é" and request.inputs[0].data == ["NEAR BAYé"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"inputs": [', "invalid JSON: Expecting value: line 1 column 13 (char 12)"),
        (b"", "invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        (
            b"\xff",
            "invalid JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
        ),
        (b"[1]", "body: expected a V2 inference request object, got list"),
        (b'"x"', "body: expected a V2 inference request object, got str"),
        (b"null", "body: expected a V2 inference request object, got missing"),
    ],
)
def test_parse_json_refuses_a_body_that_is_not_a_json_object(body, message):
    assert parse_error(body) == message


def nested(depth: int, prefix: bytes = b"") -> bytes:
    return b"[" + prefix + b"[" * (depth - 1) + b"]" * depth


def test_parse_json_reads_1024_levels_of_nesting_and_refuses_1025():
    assert parse_error(nested(1024)) == "body: expected a V2 inference request object, got list"
    assert parse_error(nested(1025)) == "invalid JSON: nested deeper than 1024 levels"


def test_parse_json_refuses_deep_nesting_after_a_literal_only_python_reads():
    assert parse_error(nested(5000, b"NaN, ")) == "invalid JSON: nested deeper than 1024 levels"


SURROGATE = r"a lone UTF-16 surrogate (\ud800-\udfff) is not text"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (rb'{"inputs": [{"name": "\ud800"}]}', "inputs[0].name"),
        (rb'{"inputs": [{"name": "a", "data": ["x", "\udfff"]}]}', "inputs[0].data[1]"),
        (rb'{"id": "ok\udc00"}', "id"),
        (rb'{"\ud800": 1}', r"body key '\ud800'"),
        (rb'{"parameters": {"k\udbff": 1}}', r"parameters key 'k\udbff'"),
        (
            b'{"parameters": {"' + b"k" * 41 + rb'": ["\ud800"]}}',
            f"parameters.'{'k' * 40}'… (41 characters)[0]",
        ),
    ],
)
def test_parse_json_names_where_a_lone_surrogate_is(body, where):
    assert parse_error(body) == f"{where}: {SURROGATE}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{}", "inputs: expected a list of V2 inputs, got missing"),
        (b'{"inputs": {}}', "inputs: expected a list of V2 inputs, got dict"),
        (b'{"inputs": "a"}', "inputs: expected a list of V2 inputs, got str"),
        (
            b'{"inputs": [1, []]}',
            "inputs[0]: expected an object with name, datatype, shape, data; "
            "inputs[1]: expected an object with name, datatype, shape, data",
        ),
        (
            b'{"inputs": [{"name": "median_income"}]}',
            "median_income: 'datatype' must be a str, got missing; "
            "median_income: 'shape' must be a list, got missing; "
            "median_income: 'data' must be a list, got missing",
        ),
        (
            b'{"inputs": [{"datatype": "FP64", "shape": [1], "data": [1]},'
            b' {"name": 5, "datatype": 64, "shape": 1, "data": {}}]}',
            "inputs[0]: 'name' must be a str, got missing; "
            "inputs[1]: 'name' must be a str, got int; "
            "inputs[1]: 'datatype' must be a str, got int; "
            "inputs[1]: 'shape' must be a list, got int; "
            "inputs[1]: 'data' must be a list, got dict",
        ),
        (
            b'{"inputs": [{"name": "' + b"n" * 41 + b'", "datatype": "FP64", "shape": "1",'
            b' "data": [1]}]}',
            f"'{'n' * 40}'… (41 characters): 'shape' must be a list, got str",
        ),
        (b'{"inputs": [], "outputs": {"name": "a"}}', ""),
        (b'{"inputs": [], "outputs": 0}', ""),
        (b'{"inputs": [], "outputs": ""}', ""),
        (b'{"inputs": [], "outputs": false}', ""),
        (b'{"inputs": [], "outputs": {}}', ""),
        (b'{"inputs": [], "outputs": ["a"]}', ""),
        (b'{"inputs": [], "outputs": [{"name": 1}]}', ""),
        (b'{"inputs": [], "outputs": [{"name": "a"}, {}]}', ""),
        (b'{"inputs": [], "parameters": []}', "parameters: expected an object, got list"),
        (b'{"inputs": [], "parameters": "pd"}', "parameters: expected an object, got str"),
        (b'{"inputs": [], "id": 5}', "id: expected a string, got int"),
        (b'{"inputs": [], "id": ["a"]}', "id: expected a string, got list"),
    ],
)
def test_parse_json_names_each_field_that_is_not_v2(body, message):
    expected = message or 'outputs: expected a list of {"name": ...} objects'
    assert parse_error(body) == expected


@pytest.mark.parametrize("outputs", [b"", b', "outputs": null', b', "outputs": []'])
def test_parse_json_gives_the_default_output_when_outputs_absent_null_or_empty(outputs):
    assert parse_json(b'{"inputs": []' + outputs + b"}").outputs == []


def test_parse_json_reports_every_field_problem_at_once_in_a_fixed_order():
    assert parse_error(b'{"inputs": 3, "outputs": 1, "parameters": 2, "id": 4}') == (
        "inputs: expected a list of V2 inputs, got int; "
        'outputs: expected a list of {"name": ...} objects; '
        "parameters: expected an object, got int; "
        "id: expected a string, got int"
    )


def test_parse_json_accepts_an_id_of_256_characters_and_refuses_257():
    assert MAX_ID_CHARS == 256
    assert parse_json(b'{"inputs": [], "id": "' + b"i" * 256 + b'"}').id == "i" * 256
    assert parse_error(b'{"inputs": [], "id": "' + b"i" * 257 + b'"}') == (
        f"id: '{'i' * 40}'… (257 characters) is longer than 256 characters, send a shorter id"
    )

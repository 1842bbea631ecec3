"""Generated gRPC ModelInfer calls (hypothesis, KServe's V2 stubs): never INTERNAL/UNKNOWN, and
every INVALID_ARGUMENT names where the problem is.

2,000 cases: typed contents of every kind, raw_input_contents (well-formed, truncated, random),
mismatched counts, odd shapes, names, datatypes, parameters and requested outputs.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from fuzz_support import DATATYPES, NAMES, columns, names_the_input, run_cases
from hypothesis import strategies as st
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc.grpc_predict_v2_pb2_grpc import GRPCInferenceServiceStub
from predictor_helpers import PredictorProcess

from model.schema import CATEGORICAL

# What a server error looks like over gRPC; KServe maps its InferenceError (our 500) to
# INVALID_ARGUMENT, so its "internal error" text is checked too.
SERVER_ERRORS = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}


def _bytes_elements(values: list[object]) -> bytes:
    out = b""
    for v in values:
        raw = str(v).encode("utf-8", "replace")
        out += struct.pack("<I", len(raw)) + raw
    return out


def _fp64(values: list[object]) -> bytes:
    floats = [v if isinstance(v, float) else 0.0 for v in values]
    return np.asarray(floats, dtype="<f8").tobytes()


@st.composite
def requests(draw: st.DrawFn) -> pb.ModelInferRequest:
    rnd = random.Random(draw(st.integers(0, 2**32)))  # fair odds: hypothesis leans to bounds
    request = pb.ModelInferRequest(
        model_name="housing" if rnd.random() >= 1 / 21 else draw(st.text(max_size=20)),
        id=draw(st.one_of(st.just(""), st.text(max_size=300))),
    )
    raw = rnd.random() < 1 / 3
    for name, values in draw(columns()).items():
        kind = "BYTES" if name == CATEGORICAL else "FP64"
        datatype = kind if rnd.random() >= 1 / 16 else draw(DATATYPES)
        shape = (
            [len(values)]
            if rnd.random() >= 1 / 11
            else draw(st.lists(st.integers(-(2**40), 2**40), max_size=3))
        )
        tensor = request.inputs.add(
            name=name if rnd.random() >= 1 / 21 else draw(NAMES), datatype=datatype, shape=shape
        )
        if raw:
            good = _bytes_elements(values) if kind == "BYTES" else _fp64(values)
            request.raw_input_contents.append(
                good if rnd.random() >= 1 / 9 else draw(st.binary(max_size=64))
            )
            continue
        field = draw(
            st.sampled_from(
                ["fp64_contents", "bytes_contents", "int64_contents", "bool_contents", "none"]
            )
            if rnd.random() < 1 / 7
            else st.just("bytes_contents" if kind == "BYTES" else "fp64_contents")
        )
        contents = tensor.contents
        if field == "fp64_contents":
            contents.fp64_contents.extend(v if isinstance(v, float) else 1.0 for v in values)
        elif field == "bytes_contents":
            contents.bytes_contents.extend(
                draw(st.binary(max_size=12)) if rnd.random() < 1 / 11 else str(v).encode()
                for v in values
            )
        elif field == "int64_contents":
            contents.int64_contents.extend(draw(st.integers(-(2**63), 2**63 - 1)) for _ in values)
        elif field == "bool_contents":
            contents.bool_contents.extend(bool(v) for v in values)
    if raw and rnd.random() < 1 / 11:
        request.raw_input_contents.append(b"extra")
    if rnd.random() < 1 / 6:
        value = draw(st.sampled_from(["pd", "np", ""]))
        request.parameters["content_type"].string_param = value
    if rnd.random() < 1 / 6:
        request.parameters["content_type"].int64_param = draw(st.integers(-5, 5))
    for name in draw(
        st.lists(
            st.sampled_from(["median_house_value", "median_house_value_upper", "z"]), max_size=2
        )
    ):
        request.outputs.add(name=name)
    return request


@st.composite
def clean_requests(draw: st.DrawFn) -> pb.ModelInferRequest:
    """The columns only, raw or typed (valid unless columns() broke one): reaches OK."""
    request, raw = pb.ModelInferRequest(model_name="housing"), draw(st.booleans())
    for name, values in draw(columns()).items():
        kind = "BYTES" if name == CATEGORICAL else "FP64"
        tensor = request.inputs.add(name=name, datatype=kind, shape=[len(values)])
        if raw:
            encode = _bytes_elements if kind == "BYTES" else _fp64
            request.raw_input_contents.append(encode(values))
        elif kind == "BYTES":
            tensor.contents.bytes_contents.extend(str(v).encode() for v in values)
        else:
            tensor.contents.fp64_contents.extend(v if isinstance(v, float) else 1.0 for v in values)
    return request


@pytest.fixture(scope="module")
def stub(server: PredictorProcess) -> Iterator[GRPCInferenceServiceStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        yield GRPCInferenceServiceStub(channel)


def test_grpc_fuzz_never_answers_a_server_error_and_names_the_input(stub, tally):
    def one_call(request: pb.ModelInferRequest) -> None:
        try:
            stub.ModelInfer(request, timeout=30)
            tally["OK"] += 1
        except grpc.RpcError as e:
            code, details = e.code(), e.details() or ""
            tally[code.name] += 1
            assert code not in SERVER_ERRORS, (code, details, request)
            assert not details.startswith("internal error"), (details, request)
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert names_the_input(details), (details[:500], request)

    run_cases(st.one_of(requests(), clean_requests()), one_call, tally)
    assert tally["OK"] > 0 and tally["INVALID_ARGUMENT"] > 0

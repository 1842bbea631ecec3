"""gRPC with a real client (grpcio and KServe's generated V2 stubs), raw and typed contents."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import grpc
import numpy as np
import pandas as pd
import pytest
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc.grpc_predict_v2_pb2_grpc import GRPCInferenceServiceStub
from predictor_helpers import PredictorProcess, output, v2_request

from model.bundle import LOWER, PREDICTION, UPPER
from model.schema import CATEGORICAL, RAW_COLUMNS


@pytest.fixture(scope="module")
def stub(server: PredictorProcess) -> Iterator[GRPCInferenceServiceStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        yield GRPCInferenceServiceStub(channel)


def encode_bytes(values: list[str]) -> bytes:
    """BYTES elements as tritonclient serialises them: 4-byte little-endian length, then bytes."""
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def grpc_request(rows: pd.DataFrame, *, raw: bool, **extra) -> pb.ModelInferRequest:
    """A ModelInferRequest for ``rows``: raw_input_contents (as tritonclient sends) or contents."""
    request = pb.ModelInferRequest(model_name="housing", **extra)
    for name in RAW_COLUMNS:
        values = rows[name].tolist()
        tensor = request.inputs.add(
            name=name, datatype="BYTES" if name == CATEGORICAL else "FP64", shape=[len(values)]
        )
        if raw:
            request.raw_input_contents.append(
                encode_bytes(values)
                if name == CATEGORICAL
                else np.asarray(values, dtype="<f8").tobytes()
            )
        elif name == CATEGORICAL:
            tensor.contents.bytes_contents.extend(v.encode() for v in values)
        else:
            tensor.contents.fp64_contents.extend(values)
    return request


def outputs_of(response: pb.ModelInferResponse) -> dict[str, list[float]]:
    """Output name -> values, whether the server answered raw or in contents."""
    got = {}
    for i, out in enumerate(response.outputs):
        if response.raw_output_contents:
            got[out.name] = np.frombuffer(response.raw_output_contents[i], "<f8").tolist()
        else:
            got[out.name] = list(out.contents.fp64_contents)
    return got


def refused(call, code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT) -> str:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, (info.value.code(), info.value.details())
    return info.value.details()


@pytest.fixture(scope="module")
def rows5(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.dropna().head(5).reset_index(drop=True)


@pytest.mark.parametrize("raw", [True, False], ids=["raw_input_contents", "contents"])
def test_grpc_infer_predicts_as_http_does_when_inputs_raw_or_typed(server, stub, rows5, raw):
    over_http = output(server.infer(v2_request(rows5)), PREDICTION)
    response = stub.ModelInfer(grpc_request(rows5, raw=raw, id="g-1"))
    assert (response.id, response.model_name) == ("g-1", "housing")
    assert outputs_of(response) == {PREDICTION: over_http}


def test_grpc_infer_returns_interval_when_bounds_requested(stub, rows5):
    request = grpc_request(rows5, raw=True)
    request.outputs.add(name=LOWER)
    request.outputs.add(name=UPPER)
    got = outputs_of(stub.ModelInfer(request))
    assert list(got) == [LOWER, UPPER]
    assert all(lo <= hi for lo, hi in zip(got[LOWER], got[UPPER], strict=True))


def test_grpc_infer_accepts_pandas_content_type_and_names_unsupported_one(stub, rows5):
    tagged = grpc_request(rows5, raw=True)
    tagged.parameters["content_type"].string_param = "pd"
    plain = outputs_of(stub.ModelInfer(grpc_request(rows5, raw=True)))
    assert outputs_of(stub.ModelInfer(tagged)) == plain
    tagged.parameters["content_type"].string_param = "np"
    assert refused(lambda: stub.ModelInfer(tagged)).startswith(
        "parameters.content_type: 'np' not supported"
    )


def test_grpc_infer_refuses_an_over_long_id_in_the_words_json_gets(stub, rows5):
    assert stub.ModelInfer(grpc_request(rows5, raw=True, id="i" * 256)).id == "i" * 256
    assert refused(lambda: stub.ModelInfer(grpc_request(rows5, raw=True, id="i" * 257))) == (
        f"id: {'i' * 40!r}… (257 characters) is longer than 256 characters, send a shorter id"
    )


def test_grpc_infer_names_input_when_raw_contents_malformed(stub, rows5):
    request = grpc_request(rows5, raw=True)
    request.raw_input_contents[0] = b"\x00" * 7
    request.raw_input_contents[8] = b"\xff\xff\xff\x7fNEAR"
    details = refused(lambda: stub.ModelInfer(request))
    assert "longitude: raw_input_contents of 7 bytes is not FP64 values" in details
    assert "ocean_proximity: raw_input_contents is not BYTES elements" in details


def test_grpc_infer_names_row_when_value_bad(stub, rows5):
    population = rows5["population"].tolist()
    population[1] = -5.0
    request = grpc_request(rows5.assign(population=population), raw=True)
    assert refused(lambda: stub.ModelInfer(request)) == "population[1]: -5.0 outside [0, 1e+07]"


def test_grpc_repository_unload_is_refused_and_model_keeps_serving(stub, rows5):
    for call in (stub.RepositoryModelUnload, stub.RepositoryModelLoad):
        request_type = (
            pb.RepositoryModelUnloadRequest
            if call is stub.RepositoryModelUnload
            else pb.RepositoryModelLoadRequest
        )
        details = refused(
            lambda c=call, t=request_type: c(t(model_name="housing")),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert details.startswith("model repository ")
    assert stub.ServerReady(pb.ServerReadyRequest()).ready
    assert stub.ServerLive(pb.ServerLiveRequest()).live
    assert stub.ModelReady(pb.ModelReadyRequest(name="housing")).ready
    assert outputs_of(stub.ModelInfer(grpc_request(rows5, raw=True)))[PREDICTION]

"""V2 (Open Inference Protocol) tensors <-> columns: one input per raw column, shape [N].

The convention KServe's sklearn runtime and MLServer's pandas codec share: FP64 for numeric
columns, BYTES for ``ocean_proximity``, JSON null for a missing value. Decoding goes straight to
one NumPy array per column; every structural problem is reported at once as a SchemaError, and
the values are then checked by ``model.schema`` (ranges, categories, nulls), never here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from model.errors import SchemaError
from model.schema import shown

_NUMBER_TYPES = (float, int)
_CONTENT_TYPES = (None, "pd")
MAX_ID_CHARS = 256
"""Longest request ``id`` accepted: it is echoed in the response and logged with every line."""


@dataclass(frozen=True)
class Columns:
    """Decoded request: one array per input (float64 or object), all of length ``rows``."""

    data: dict[str, np.ndarray]
    rows: int
    outputs: tuple[str, ...]


def _named(name: Any) -> str:
    # A client's input name as messages show it: as sent when short, else cut (shown).
    plain = isinstance(name, str) and 0 < len(name) <= 40 and name.isprintable()
    return name if plain else shown(name)


def _shape(shape: Any) -> str:
    listed = list(shape)
    small = len(listed) <= 4 and all(type(d) is int and abs(d) < 10**12 for d in listed)
    return str(listed) if small else shown(listed)


def _shape_ok(shape: Any, n: int) -> bool:
    return list(shape) in ([n], [n, 1]) if isinstance(shape, Sequence) else False


def _flat(values: Any) -> list[Any]:
    # Shape [N, 1] may come nested ([[x], [y]]); anything else stays as sent.
    if (
        values
        and isinstance(values[0], list)
        and all(isinstance(v, list) and len(v) == 1 for v in values)
    ):
        return [v[0] for v in values]
    return list(values)


def _numbers(name: str, values: list[Any], problems: list[str]) -> np.ndarray:
    kinds = set(map(type, values))
    if kinds <= {float, int, type(None)}:
        try:
            return np.array(values, dtype=np.float64)  # None -> NaN: model.schema judges it
        except OverflowError:
            pass  # an integer beyond float64: reported row by row below
    for i, v in enumerate(values):
        if v is not None and not _is_float64(v):
            problems.append(f"{name}[{i}]: {shown(v)} is not a number (datatype FP64)")
    return np.full(len(values), np.nan)


def _is_float64(value: Any) -> bool:
    # Converting is the only exact test: no float bound works (1.8e308 is inf, and integers
    # just past float64's largest value still round down to it).
    if type(value) not in _NUMBER_TYPES:
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _strings(name: str, values: list[Any], problems: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    if set(map(type, values)) == {str}:  # what JSON clients send: one C-level pass, no checks
        out[:] = values
        return out
    for i, v in enumerate(values):
        if isinstance(v, bytes):  # gRPC and the binary extension carry BYTES as bytes
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{name}[{i}]: not valid UTF-8")
                continue
        elif v is not None and not isinstance(v, str):
            problems.append(f"{name}[{i}]: {shown(v)} is not a string (datatype BYTES)")
            continue
        out[i] = v
    return out


def decode(
    inputs: Sequence[Tensor],
    parameters: Mapping[str, Any] | None,
    requested: Sequence[str],
    *,
    spec: Mapping[str, str],
    outputs: Sequence[str],
    max_rows: int,
) -> Columns:
    """Check a V2 request's structure and turn its inputs into one array per column.

    Args:
        inputs: the request's tensors (from JSON, or from gRPC contents or raw bytes).
        parameters: request-level parameters; ``content_type`` may be absent or "pd".
        requested: output names the request asked for (empty: the point prediction).
        spec: input name -> V2 datatype, from the bundle manifest.
        outputs: output names this predictor knows, the default (point prediction) first.
        max_rows: the row limit.

    Returns:
        The columns, row count and output names to return.

    Raises:
        SchemaError: every structural problem (names, datatypes, shapes, lengths, value types,
            row limit, unknown outputs) at once.
    """
    problems: list[str] = []
    content_type = (parameters or {}).get("content_type")
    if content_type not in _CONTENT_TYPES:
        problems.append(
            f"parameters.content_type: {shown(content_type)} not supported, send one "
            f"input per column (content_type 'pd' or none)"
        )
    by_name: dict[str, Any] = {}
    for inp in inputs:
        if inp.name in by_name:
            problems.append(f"{_named(inp.name)}: input given more than once")
        by_name[inp.name] = inp
    problems += [
        f"{_named(n)}: unexpected input (expected {list(spec)})" for n in by_name if n not in spec
    ]
    problems += [f"{n}: missing input" for n in spec if n not in by_name]
    for name in requested:
        if name not in outputs:
            problems.append(
                f"outputs: {shown(name)} is not an output of this model ({list(outputs)})"
            )
    columns: dict[str, np.ndarray] = {}
    lengths: dict[str, int] = {}
    for name, inp in by_name.items():
        if name not in spec:
            continue
        if inp.datatype != spec[name]:
            problems.append(f"{name}: datatype {_named(inp.datatype)}, expected {spec[name]}")
            continue
        values = _flat(inp.data) if inp.raw is None else _raw(name, inp, problems)
        if values is None:
            continue
        if not _shape_ok(inp.shape, len(values)):
            problems.append(
                f"{name}: shape {_shape(inp.shape)} does not match its {len(values)} "
                f"value(s), send shape [N] (or [N, 1]) with N values"
            )
            continue
        lengths[name] = len(values)
        convert = _strings if spec[name] == "BYTES" else _numbers
        columns[name] = convert(name, values, problems)
    rows = max(lengths.values(), default=0)
    if len(set(lengths.values())) > 1:
        problems.append(
            "inputs: columns differ in length: " + ", ".join(f"{n}={k}" for n, k in lengths.items())
        )
    if rows > max_rows:
        problems.append(
            f"inputs: {rows} rows exceed the limit of {max_rows} per request "
            f"(HOUSING_MAX_BATCH_ROWS), split the batch"
        )
    if problems:
        raise SchemaError(problems)
    return Columns(columns, rows, tuple(dict.fromkeys(requested)) or (outputs[0],))


@dataclass(frozen=True)
class RawBody:
    """An infer request body as received by the lean REST route; decoded in preprocess."""

    data: bytes


@dataclass(frozen=True)
class Tensor:
    """One V2 input as sent: values in ``data`` (JSON, gRPC contents) or ``raw`` bytes (gRPC
    ``raw_input_contents``: little-endian, BYTES elements each after a 4-byte length)."""

    name: Any
    datatype: Any
    shape: Any
    data: Any
    raw: bytes | None = None


def _raw(name: str, tensor: Tensor, problems: list[str]) -> list[Any] | None:
    raw = tensor.raw or b""
    if tensor.datatype == "FP64":
        if len(raw) % 8:
            problems.append(f"{name}: raw_input_contents of {len(raw)} bytes is not FP64 values")
            return None
        values: list[Any] = np.frombuffer(raw, dtype="<f8").tolist()
        return values
    items, at = [], 0
    while at < len(raw):
        size = int.from_bytes(raw[at : at + 4], "little")  # a length cut short overshoots too
        if at + 4 + size > len(raw):
            problems.append(
                f"{name}: raw_input_contents is not BYTES elements (4-byte length, then "
                f"the bytes) at byte {at}"
            )
            return None
        items.append(raw[at + 4 : at + 4 + size])
        at += 4 + size
    return items


@dataclass(frozen=True)
class JsonRequest:
    """A V2 REST request parsed straight from its JSON body (no pydantic model in between)."""

    id: str | None
    inputs: list[Tensor]
    parameters: dict[str, Any] | None
    outputs: list[str]


def parse_json(raw: bytes) -> JsonRequest:
    """Parse a V2 inference request body.

    orjson does the parsing; a body it rejects is retried with the standard library, which also
    reads the NaN / Infinity literals Python and JavaScript clients emit (model.schema then
    reports them by input and row).

    Raises:
        SchemaError: invalid JSON, or not the V2 request shape (every problem at once).
    """
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        if "depth limit" in str(e):  # the standard library would hit RecursionError
            raise SchemaError([f"invalid JSON: nested deeper than {_MAX_DEPTH} levels"]) from e
        doc = _lenient_loads(raw)
    if not isinstance(doc, dict):
        raise SchemaError([f"body: expected a V2 inference request object, got {_kind(doc)}"])
    problems: list[str] = []
    inputs = doc.get("inputs")
    if not isinstance(inputs, list):
        problems.append(f"inputs: expected a list of V2 inputs, got {_kind(inputs)}")
        inputs = []
    parsed = []
    for i, inp in enumerate(inputs):
        where = f"inputs[{i}]"
        if not isinstance(inp, dict):
            problems.append(f"{where}: expected an object with name, datatype, shape, data")
            continue
        name = inp.get("name")
        where = _named(name) if isinstance(name, str) else where
        bad = [
            f"{where}: '{key}' must be a {kind.__name__}, got {_kind(inp.get(key))}"
            for key, kind in (("name", str), ("datatype", str), ("shape", list), ("data", list))
            if not isinstance(inp.get(key), kind)
        ]
        problems += bad
        if not bad:
            parsed.append(Tensor(str(name), inp["datatype"], inp["shape"], inp["data"]))
    # Absent or null: the default output. Any other value is checked (0, "" and {} are not lists).
    outputs, wanted = doc.get("outputs"), []
    outputs = [] if outputs is None else outputs
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
    ):
        problems.append('outputs: expected a list of {"name": ...} objects')
    else:
        wanted = [o["name"] for o in outputs]
    parameters = doc.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        problems.append(f"parameters: expected an object, got {_kind(parameters)}")
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        problems.append(f"id: expected a string, got {_kind(request_id)}")
    else:
        problems += id_problems(request_id)
    if problems:
        raise SchemaError(problems)
    return JsonRequest(request_id, parsed, parameters, wanted)


def id_problems(request_id: str | None) -> list[str]:
    """The problem with a request's V2 ``id`` (JSON or gRPC), if any: it is echoed and logged."""
    if request_id is not None and len(request_id) > MAX_ID_CHARS:
        return [
            f"id: {shown(request_id)} is longer than {MAX_ID_CHARS} characters, send a shorter id"
        ]
    return []


_MAX_DEPTH = 1024  # orjson's limit; V2 requests nest 4 levels deep


def _lenient_loads(raw: bytes) -> Any:
    # What orjson refuses but Python reads: NaN / Infinity literals (reported by model.schema),
    # integers beyond 64 bits, and lone UTF-16 surrogates ("\ud800"), which are not text.
    try:
        doc = json.loads(raw)
    except RecursionError as e:
        raise SchemaError([f"invalid JSON: nested deeper than {_MAX_DEPTH} levels"]) from e
    except ValueError as e:  # includes UnicodeDecodeError: the body is not UTF-8
        raise SchemaError([f"invalid JSON: {e}"]) from e
    where = _surrogate_at(doc)
    if where is not None:
        raise SchemaError([f"{where}: a lone UTF-16 surrogate (\\ud800-\\udfff) is not text"])
    return doc


def _surrogate_at(doc: Any) -> str | None:
    # Iterative walk (a recursive one would overflow on deep documents): the first path holding
    # a string that is not valid Unicode, named like "inputs[2].name".
    stack: list[tuple[str, Any]] = [("body", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _has_surrogate(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    return f"{path} key {shown(key)}"
                stack.append((key if path == "body" else f"{path}.{_named(key)}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _kind(value: Any) -> str:
    return "missing" if value is None else type(value).__name__


def encode_json(
    request_id: str, model_name: str, model_version: str, outputs: Mapping[str, np.ndarray]
) -> bytes:
    """The V2 response body; float64 arrays serialised by orjson, shortest round-trip form."""
    return orjson.dumps(
        {
            "model_name": model_name,
            "model_version": model_version,
            "id": request_id,
            "outputs": [
                {"name": name, "datatype": "FP64", "shape": [len(values)], "data": values}
                for name, values in outputs.items()
            ],
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )

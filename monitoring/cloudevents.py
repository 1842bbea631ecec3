"""Parse the CloudEvents that KServe's inference logger sends, and turn pairs into PredictionEvents.

What the logger sends (kserve/kserve v0.20.0 ``pkg/logger/handler.go`` and ``worker.go``, see
docs/monitoring.md): binary content mode; ``ce-id`` is the inference request's own ``Ce-Id``
header or a new UUID, the same for the request and the response event; ``ce-type``
``org.kubeflow.serving.inference.request`` / ``.response``; ``ce-source``, ``ce-specversion:
1.0``, ``ce-time`` (when the request arrived, or when the response was read); the extensions
``ce-inferenceservicename``, ``ce-namespace``, ``ce-component``, ``ce-endpoint``,
``ce-recordedtime``, ``ce-metadata`` (JSON of selected headers) and sometimes
``ce-annotations``; the body is the raw HTTP body, and its ``Content-Type`` is the *request's*
for both events. A response event is sent only for an HTTP 200 reply, and each event once.

Everything that could fail later is checked here, while the sender still gets the answer: the
body is parsed by orjson (valid UTF-8, no lone surrogate, NaN or nesting past 1024 levels) and
every cell is a type ``PredictionEvent`` and ``model.events.EventReader`` take, so a half
accepted here can always be stored and read back. A half replayed from the pending log is
checked the same way. Every refusal names the input it is about: a header (``ce-…``),
``content-type`` or ``body…``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

REQUEST_TYPE = "org.kubeflow.serving.inference.request"
RESPONSE_TYPE = "org.kubeflow.serving.inference.response"
TYPES: dict[str, Literal["request", "response"]] = {
    REQUEST_TYPE: "request",
    RESPONSE_TYPE: "response",
}
REQUIRED = ("ce-id", "ce-type", "ce-source", "ce-specversion")
EXTENSIONS = ("ce-time", "ce-inferenceservicename", "ce-namespace", "ce-component", "ce-endpoint")
UNKNOWN_VERSION = "unknown"
MAX_DEPTH = 32  # V2 tensors are a few dimensions deep; deeper nesting is refused, not recursed
MAX_ID = 1024  # ce-id becomes every stored event's request_id
MAX_TEXT = 256  # a tensor name, model_name or model_version
MAX_TENSORS = 64
# What model.events.PredictionEvent (and its reader) take as a cell; bool is refused, not cast.
CELLS: frozenset[type] = frozenset((float, int, str, type(None)))
NUMBERS: frozenset[type] = frozenset((float, int, type(None)))
ECHO = 60  # characters of a client's value quoted back in a message


class BadEvent(ValueError):
    """The CloudEvent cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def echo(value: object) -> str:
    """A client's value, quoted and truncated for a message or a log line."""
    text = repr(value)
    return text if len(text) <= ECHO else f"{text[:ECHO]}…({len(text)} chars)"


@dataclass
class Half:
    """One CloudEvent: the request or the response half of an inference.

    The tensors are kept as their compact JSON (``tensors_json``, an object of name -> flat
    list), not as Python lists: a waiting half then costs about its body's size, not ~10 times
    that, and pairs are stored by splicing it into the event line. ``digest`` identifies a
    resend of the same event (same id, type and body) for deduplication.
    """

    id: str
    kind: Literal["request", "response"]
    received: float
    attrs: dict[str, str]
    tensors_json: bytes
    rows: int
    model_name: str | None = None
    model_version: str | None = None
    key: str = ""
    digest: str = ""

    def record_line(self) -> str:
        """The pending-log line of this half (``tensors`` spliced in, not re-encoded)."""
        head = {
            "op": "add",
            "key": self.key,
            "id": self.id,
            "kind": self.kind,
            "received": self.received,
            "attrs": self.attrs,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "digest": self.digest,
        }
        return f'{json.dumps(head)[:-1]},"tensors":{self.tensors_json.decode()}}}\n'

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Half:
        """Inverse of ``record_line`` (parsed), checked as on receipt.

        Raises:
            BadEvent: the record cannot make an event (e.g. written by an older collector).
        """
        try:
            return _check_record(record)
        except BadEvent as e:
            raise BadEvent(f"pending record: {e}") from e
        except (KeyError, TypeError, ValueError) as e:  # orjson.JSONEncodeError is a TypeError
            raise BadEvent(f"pending record: {type(e).__name__}: {e}") from e


def _flatten(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(x, list) for x in data):
        return data
    out: list[Any] = []
    stack = [iter(data)]  # iterative, depth-first: deep nesting is a 400, not a RecursionError
    while stack:
        for x in stack[-1]:
            if isinstance(x, list):
                if len(stack) >= MAX_DEPTH:
                    raise BadEvent(f"{where}: nested deeper than {MAX_DEPTH} levels")
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


def _tensors(body: Mapping[str, Any], key: str) -> dict[str, list[Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise BadEvent(f"body: not a V2 inference payload: '{key}' must be a non-empty list")
    if len(items) > MAX_TENSORS:
        raise BadEvent(f"body.{key}: {len(items)} tensors, more than {MAX_TENSORS}")
    allowed = CELLS if key == "inputs" else NUMBERS
    out: dict[str, list[Any]] = {}
    for i, item in enumerate(items):
        where = f"body.{key}[{i}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or "data" not in item
        ):
            raise BadEvent(f"{where}: a V2 tensor needs 'name' and 'data'")
        if len(item["name"]) > MAX_TEXT:
            raise BadEvent(f"{where}.name: longer than {MAX_TEXT} characters")
        values = _flatten(item["data"], f"{where}.data")
        if not allowed.issuperset(map(type, values)):
            bad = next(v for v in values if type(v) not in allowed)
            raise BadEvent(f"{where}.data: {echo(bad)} is not {allowed_text(allowed)}")
        out[item["name"]] = values
    lengths = {name: len(values) for name, values in out.items()}
    if len(set(lengths.values())) > 1:
        raise BadEvent(f"body.{key}: tensors differ in length: {echo(lengths)}")
    return out


def allowed_text(allowed: frozenset[type]) -> str:
    """How a message names the allowed cell types."""
    return "a number, a string or null" if str in allowed else "a number or null"


def _headers(headers: Mapping[str, str]) -> None:
    if headers.get("content-type", "").startswith("application/cloudevents"):
        raise BadEvent(
            "content-type: structured content mode is not supported: KServe's logger sends "
            "binary mode (ce-* headers, the payload as body)",
            415,
        )
    missing = [h for h in REQUIRED if not headers.get(h)]
    problems = [f"{h}: missing header" for h in missing]
    if len(headers.get("ce-id", "")) > MAX_ID:
        problems.append(f"ce-id: longer than {MAX_ID} characters")
    if "ce-specversion" not in missing and headers["ce-specversion"] != "1.0":
        problems.append(f"ce-specversion: {echo(headers['ce-specversion'])} is not '1.0'")
    if "ce-type" not in missing and headers["ce-type"] not in TYPES:
        problems.append(f"ce-type: {echo(headers['ce-type'])} not in {list(TYPES)}")
    if headers.get("ce-time"):
        try:
            _parse_time(headers["ce-time"])
        except ValueError as e:
            problems.append(f"ce-time: {e}")
    if problems:
        raise BadEvent("; ".join(problems))


def _parse_time(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise ValueError(f"{echo(text)} is not an RFC 3339 time") from e
    if ts.tzinfo is None:
        raise ValueError(f"{echo(text)} has no UTC offset (RFC 3339 requires one)")
    try:
        return ts.astimezone(UTC)
    except OverflowError as e:
        raise ValueError(f"{echo(text)} has no UTC time within years 1 to 9999") from e


def parse(
    headers: Mapping[str, str], body: bytes, received: float, *, max_values: int = 200_000
) -> Half:
    """Validate one binary-mode CloudEvent from KServe's logger.

    Args:
        headers: HTTP headers (case-insensitive mapping). body: raw body. received: epoch seconds.
        max_values: most values (JSON scalars) a body may hold, counted before it is parsed.

    Returns:
        The half, its V2 tensors flattened to one list per name.

    Raises:
        BadEvent: with every problem of the headers, or the first of the body.
    """
    _headers(headers)
    # Parsed, a value costs ~40 bytes however short its text ("0," is 2): count before parsing.
    # Commas bound the values from above (one fewer than the values of each list).
    if (commas := body.count(b",")) >= max_values:
        raise BadEvent(f"body: {commas + 1} values or more, over the limit of {max_values}", 413)
    try:
        # orjson, not json: it refuses lone surrogates, invalid UTF-8, NaN and nesting past 1024.
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadEvent(f"body: not JSON ({e})") from e
    if not isinstance(payload, dict):
        raise BadEvent("body: not a V2 inference payload: expected a JSON object")
    kind = TYPES[headers["ce-type"]]
    attrs = {h: headers[h] for h in (*REQUIRED, *EXTENSIONS) if h in headers}
    ce_id = headers["ce-id"].encode()
    digest = hashlib.blake2b(b"\0".join((ce_id, kind.encode(), body)), digest_size=16).hexdigest()
    if kind == "request":
        return _half(headers["ce-id"], kind, received, attrs, _tensors(payload, "inputs"), digest)
    name, version = payload.get("model_name"), payload.get("model_version")
    for field, value in (("model_name", name), ("model_version", version)):
        if value is not None and (type(value) not in CELLS or len(str(value)) > MAX_TEXT):
            raise BadEvent(f"body.{field}: {echo(value)} is not a short string")
    half = _half(headers["ce-id"], kind, received, attrs, _tensors(payload, "outputs"), digest)
    half.model_name = name if isinstance(name, str) else None
    half.model_version = str(version) if version else None
    return half


def _half(
    ce_id: str,
    kind: Literal["request", "response"],
    received: float,
    attrs: dict[str, str],
    tensors: dict[str, list[Any]],
    digest: str,
) -> Half:
    rows = len(next(iter(tensors.values()), []))
    return Half(ce_id, kind, received, attrs, orjson.dumps(tensors), rows, digest=digest)


def _check_record(record: Mapping[str, Any]) -> Half:
    kind = record["kind"]
    if kind not in ("request", "response"):
        raise ValueError(f"kind {echo(kind)}")
    key = "inputs" if kind == "request" else "outputs"
    items = [{"name": k, "data": v} for k, v in dict(record["tensors"]).items()]
    tensors = _tensors({key: items}, key)
    names = (record.get("model_name"), record.get("model_version"))
    if any(text is not None and type(text) is not str for text in names):
        raise ValueError(f"model name or version {echo(names)}")
    attrs = {str(k): str(v) for k, v in dict(record["attrs"]).items()}
    # json.loads (older collectors) takes lone surrogates that no event line can hold: orjson
    # refuses them here (on the tensors while packing them).
    orjson.dumps([attrs, record["id"], names])
    half = _half(str(record["id"]), kind, float(record["received"]), attrs, tensors, "")
    half.model_name, half.model_version = names
    half.key, half.digest = str(record["key"]), str(record.get("digest", ""))
    return half


def _ts(half: Half) -> datetime:
    # ce-time is the logger's own clock when the request arrived: else our receive time.
    text = half.attrs.get("ce-time")
    if text:
        try:
            return _parse_time(text)
        except ValueError:
            pass
    return datetime.fromtimestamp(half.received, UTC)


class EventLine:
    """A prediction event as its JSON line, spliced from the halves' JSON without decoding it.

    Same fields as ``PredictionEvent`` (``model.events``), whose writers store it.
    """

    def __init__(self, head: dict[str, Any], inputs: bytes, outputs: bytes) -> None:
        self.ts: datetime = head["ts"]
        self.request_id: str = head["request_id"]
        self.kind: str = head["kind"]
        start = orjson.dumps(head, option=orjson.OPT_UTC_Z)[:-1]
        self._line = b"".join((start, b',"inputs":', inputs, b',"outputs":', outputs, b"}\n"))

    def to_line(self) -> str:
        """The JSON line, newline included."""
        return self._line.decode()


def to_event(request: Half | None, response: Half | None, *, error: str | None = None) -> EventLine:
    """The event of a pair, or of one orphan half.

    Raises:
        BadEvent: the pair's halves have different row counts.
    """
    first = request or response
    if first is None:
        raise ValueError("to_event needs at least one half")
    if request and response and request.rows != response.rows:
        raise BadEvent(
            f"body.outputs: {response.rows} rows, but the request of ce-id {echo(first.id)} "
            f"has {request.rows}",
            422,
        )
    kind = (
        "prediction" if request and response else ("request_only" if request else "response_only")
    )
    name = (
        (response.model_name if response else None)
        or first.attrs.get("ce-inferenceservicename")
        or "housing"
    )
    head = {
        "ts": _ts(first),
        "request_id": first.id,
        "model_name": name,
        "model_version": (response.model_version if response else None) or UNKNOWN_VERSION,
        "kind": kind,
        "source": "collector",
        "latency_ms": None,
        "error": error,
    }
    return EventLine(
        head,
        request.tensors_json if request else b"{}",
        response.tensors_json if response else b"{}",
    )

"""Parse the CloudEvents that KServe's inference logger sends, and turn pairs into PredictionEvents.

What the logger sends (kserve/kserve ``pkg/logger``, see docs/monitoring.md): binary content mode;
``ce-id`` is the inference request's own ``Ce-Id`` header or a new UUID, the same for the request
and the response event; ``ce-type`` ``org.kubeflow.serving.inference.request`` / ``.response``;
``ce-source``, ``ce-specversion: 1.0``, ``ce-time``; the extensions ``ce-inferenceservicename``,
``ce-namespace``, ``ce-component``, ``ce-endpoint``, ``ce-metadata`` (JSON of selected headers) and
sometimes ``ce-annotations``; the body is the raw HTTP body, and its ``Content-Type`` is the
*request's* for both events. A response event is sent only for an HTTP 200 reply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from model.events import PredictionEvent

REQUEST_TYPE = "org.kubeflow.serving.inference.request"
RESPONSE_TYPE = "org.kubeflow.serving.inference.response"
TYPES: dict[str, Literal["request", "response"]] = {
    REQUEST_TYPE: "request",
    RESPONSE_TYPE: "response",
}
REQUIRED = ("ce-id", "ce-type", "ce-source", "ce-specversion")
EXTENSIONS = ("ce-time", "ce-inferenceservicename", "ce-namespace", "ce-component", "ce-endpoint")
UNKNOWN_VERSION = "unknown"


class BadEvent(ValueError):
    """The CloudEvent cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Half:
    """One CloudEvent: the request or the response half of an inference."""

    id: str
    kind: Literal["request", "response"]
    received: float
    attrs: dict[str, str]
    tensors: dict[str, list[Any]]
    model_name: str | None = None
    model_version: str | None = None
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The pending-log record of this half."""
        return {
            "op": "add",
            "key": self.key,
            "id": self.id,
            "kind": self.kind,
            "received": self.received,
            "attrs": self.attrs,
            "tensors": self.tensors,
            "model_name": self.model_name,
            "model_version": self.model_version,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Half:
        """Inverse of ``to_record``."""
        return cls(
            id=record["id"],
            kind=record["kind"],
            received=record["received"],
            attrs=record["attrs"],
            tensors=record["tensors"],
            model_name=record.get("model_name"),
            model_version=record.get("model_version"),
            key=record["key"],
        )


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(x, list) for x in data):
        return data
    return [y for x in data for y in _flatten(x)]


def _tensors(body: Mapping[str, Any], key: str) -> dict[str, list[Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise BadEvent(f"body: not a V2 inference payload: '{key}' must be a non-empty list")
    out: dict[str, list[Any]] = {}
    for i, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or "data" not in item
        ):
            raise BadEvent(f"body.{key}[{i}]: a V2 tensor needs 'name' and 'data'")
        out[item["name"]] = _flatten(item["data"])
    return out


def parse(headers: Mapping[str, str], body: bytes, received: float) -> Half:
    """Validate one binary-mode CloudEvent from KServe's logger.

    Args:
        headers: HTTP headers (case-insensitive mapping). body: raw body. received: epoch seconds.

    Returns:
        The half, its V2 tensors flattened to one list per name.

    Raises:
        BadEvent: with every problem of the headers, or the first of the body.
    """
    if headers.get("content-type", "").startswith("application/cloudevents"):
        raise BadEvent(
            "structured content mode is not supported: KServe's logger sends binary "
            "mode (ce-* headers, the payload as body)",
            415,
        )
    missing = [h for h in REQUIRED if not headers.get(h)]
    problems = [f"{h}: missing header" for h in missing]
    if "ce-specversion" not in missing and headers["ce-specversion"] != "1.0":
        problems.append(f"ce-specversion: {headers['ce-specversion']!r} is not '1.0'")
    if "ce-type" not in missing and headers["ce-type"] not in TYPES:
        problems.append(f"ce-type: {headers['ce-type']!r} not in {list(TYPES)}")
    if problems:
        raise BadEvent("; ".join(problems))
    try:
        payload = json.loads(body)
    except ValueError as e:
        raise BadEvent(f"body: not JSON ({e})") from e
    if not isinstance(payload, dict):
        raise BadEvent("body: not a V2 inference payload: expected a JSON object")
    kind = TYPES[headers["ce-type"]]
    attrs = {h: headers[h] for h in (*REQUIRED, *EXTENSIONS) if h in headers}
    if kind == "request":
        half = Half(headers["ce-id"], kind, received, attrs, _tensors(payload, "inputs"))
    else:
        name, version = payload.get("model_name"), payload.get("model_version")
        half = Half(
            headers["ce-id"],
            kind,
            received,
            attrs,
            _tensors(payload, "outputs"),
            model_name=name if isinstance(name, str) else None,
            model_version=str(version) if version else None,
        )
    # Fail now, while the sender still gets the answer, not when the partner arrives.
    to_event(half if kind == "request" else None, half if kind == "response" else None)
    return half


def _ts(half: Half) -> datetime:
    # ce-time is stamped by the logger when it sends: close to the request; else our receive time.
    text = half.attrs.get("ce-time")
    if text:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(half.received, UTC)


def _clean(values: list[Any]) -> list[Any]:
    # JSON has no NaN; a float NaN from a lenient client would make the line invalid JSON later.
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def to_event(
    request: Half | None, response: Half | None, *, error: str | None = None
) -> PredictionEvent:
    """A PredictionEvent of a pair, or of one orphan half.

    Raises:
        BadEvent: the tensors do not fit a PredictionEvent (e.g. objects as values).
    """
    first = request or response
    if first is None:
        raise ValueError("to_event needs at least one half")
    kind = (
        "prediction" if request and response else ("request_only" if request else "response_only")
    )
    name = (
        (response.model_name if response else None)
        or first.attrs.get("ce-inferenceservicename")
        or "housing"
    )
    try:
        return PredictionEvent(
            ts=_ts(first),
            request_id=first.id,
            model_name=name,
            model_version=(response.model_version if response else None) or UNKNOWN_VERSION,
            inputs={k: _clean(v) for k, v in (request.tensors if request else {}).items()},
            outputs={k: _clean(v) for k, v in (response.tensors if response else {}).items()},
            kind=kind,
            source="collector",
            error=error,
        )
    except ValidationError as e:
        raise BadEvent(
            f"tensors do not fit a prediction event: {e.errors()[0]['msg']} at "
            f"{'.'.join(str(p) for p in e.errors()[0]['loc'])}"
        ) from e

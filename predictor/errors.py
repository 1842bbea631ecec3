"""The one place where errors become HTTP answers (the error table of docs/predictor.md).

| raised                                   | re-raised as                           | HTTP |
|------------------------------------------|----------------------------------------|------|
| SchemaError, undecodable V2 payload      | kserve.errors.InvalidInput             | 400  |
| FastAPI's RequestValidationError (422)   | answered as InvalidInput would be      | 400  |
| bundle not loaded                        | kserve.errors.ModelNotReady            | 503  |
| anything else inside predict             | InferenceError("internal error, ...")  | 500  |

The body is always V2's ``{"error": "<message>"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kserve.errors import (
    InferenceError,
    InvalidInput,
    ModelNotFound,
    ModelNotReady,
    ServerNotLive,
    ServerNotReady,
)

from model.errors import SchemaError

logger = logging.getLogger(__name__)

Outcome = Literal["ok", "invalid", "unavailable", "error"]
# Errors already logged (or expected) by us: KServe's handlers need not log their tracebacks.
HANDLED = (
    InvalidInput,
    ModelNotReady,
    ModelNotFound,
    InferenceError,
    ServerNotReady,
    ServerNotLive,
)


@contextmanager
def translate(request_id: Callable[[], str], model_name: str) -> Iterator[None]:
    """Re-raise whatever the block raises as the KServe error of the table above.

    Args:
        request_id: gives the id named in the 500 message (asked only then: the body's id
            is known once decoded), so a client's report can be matched to the log line.
        model_name: for ModelNotReady.

    Raises:
        InvalidInput, ModelNotReady or InferenceError.
    """
    try:
        yield
    except (InvalidInput, ModelNotReady):
        raise
    except SchemaError as e:
        raise InvalidInput(str(e)) from e
    except NotLoaded as e:
        raise ModelNotReady(model_name, "The bundle is not loaded.") from e
    except Exception as e:  # the boundary: never a traceback or a 5xx detail to the client
        rid = request_id()
        logger.exception("internal_error", extra={"request_id": rid})
        raise InferenceError(f"internal error, request_id={rid}") from e


class NotLoaded(RuntimeError):
    """The predictor was asked to predict before its bundle was loaded and verified."""


def outcome_of(exc: BaseException | None) -> Outcome:
    """The metrics/log label of a request that ended with ``exc`` (None: success)."""
    if exc is None:
        return "ok"
    if isinstance(exc, InvalidInput | RequestValidationError):
        return "invalid"
    if isinstance(exc, ModelNotReady):
        return "unavailable"
    return "error"


def describe_validation_error(exc: RequestValidationError) -> str:
    """FastAPI's validation errors as one V2 message naming each field.

    ``loc`` starts with "body" and, for KServe's ``Union[InferenceRequest, bytes]`` body, the
    name of the union member tried; neither helps a client, so both are dropped.
    """
    parts = []
    for err in exc.errors()[: SchemaError.MAX_SHOWN]:
        if err.get("type") == "json_invalid":
            where = err.get("loc", ("body", "?"))[-1]
            detail = (err.get("ctx") or {}).get("error", "")
            return f"invalid request body: invalid JSON at character {where}: {detail}".rstrip(": ")
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "InferenceRequest")]
        if loc and loc[0] in ("bytes", "function-plain[bytes_validator()]"):
            continue  # "not bytes": the other union member, noise once the JSON was parsed
        parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    return "invalid request body: " + ("; ".join(dict.fromkeys(parts)) or "not a V2 request")


def validation_handler(on_invalid: Any) -> Any:
    """A FastAPI handler answering a RequestValidationError with 400 ``{"error": ...}``.

    Args:
        on_invalid: called with (request, message) so the request is counted and logged.
    """

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        message = (
            describe_validation_error(exc) if isinstance(exc, RequestValidationError) else str(exc)
        )
        on_invalid(request, message)
        return JSONResponse(status_code=400, content={"error": message})

    return handle


class QuietHandledErrors(logging.Filter):
    """Drops KServe's per-request tracebacks for errors we already handled.

    KServe's REST handlers (``Exception:``) and its gRPC ExceptionToStatusInterceptor ("Error
    processing inference request", kserve/protocol/grpc/interceptors.py) log every 400 and 503
    at ERROR with a traceback; a client's bad row is not a server error, and our own request
    line already records it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, HANDLED)

"""Refusals made before a request body is parsed: size and the binary-tensor extension.

An ASGI middleware on KServe's app, so it covers every route (our lean infer route and KServe's
own). A body over the limit is answered 413 from its ``Content-Length`` alone, or as soon as a
chunked body crosses the limit, and what the client still sends is read and discarded in chunks,
never held: memory stays flat however large the body. After a large request, glibc is asked to
hand freed heap back to the system (``malloc_trim``), so one big batch does not stay resident.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BYTES_PER_ROW = 512
"""Bound on the JSON size of one row: 9 values of at most 24 characters (shortest round-trip
float64) plus separators, brackets of the [N, 1] form and pretty-printing indentation."""
FIXED_BYTES = 64 * 1024
"""Room for what is not a row: input names, datatypes, shapes, id, outputs, parameters."""
TRIM_AFTER_BYTES = 1 << 20
"""Bodies from this size on are followed by ``malloc_trim``: parsing them grew the heap."""
_DISCARD_LIMIT = 1 << 30  # past this, stop reading a refused body and let the connection close
_BINARY_HEADER = b"inference-header-content-length"


def max_body_bytes(max_rows: int) -> int:
    """The body-size limit that fits ``max_rows`` rows of any valid request."""
    return FIXED_BYTES + BYTES_PER_ROW * max_rows


class BodyGuard:
    """ASGI middleware refusing oversize bodies (413) and binary-tensor requests (415).

    Args:
        app: the wrapped ASGI app. limit: most body bytes accepted.
        on_refused: called with (path, status, message) for each refusal (count and log it).
    """

    def __init__(
        self, app: ASGIApp, *, limit: int, on_refused: Callable[[str, int, str], None]
    ) -> None:
        self.app, self.limit, self.on_refused = app, limit, on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        if _BINARY_HEADER in headers:
            message = (
                "Inference-Header-Content-Length: the binary tensor extension is not supported "
                "by this model, send the request as JSON (V2 inputs with a 'data' list)"
            )
            await self._refuse(scope, receive, send, 415, message)
            return
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send, 413, self._too_large(int(declared)))
            return
        await self._forward(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        received, refused, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.limit and not started:
                    refused = True
                    await self._answer(scope, send, 413, self._too_large(received, chunked=True))
                    await _discard(receive, message)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was sent; whatever the app answers after it is dropped
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        finally:
            if received >= TRIM_AFTER_BYTES:
                release_memory()

    def _too_large(self, size: int, *, chunked: bool = False) -> str:
        got = "exceeds" if chunked else f"{size} bytes exceed"
        return (
            f"body: {got} the limit of {self.limit} bytes "
            f"({BYTES_PER_ROW} per row of HOUSING_MAX_BATCH_ROWS plus {FIXED_BYTES}), "
            "split the batch"
        )

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str
    ) -> None:
        await self._answer(scope, send, status, message)
        await _discard(receive, None)

    async def _answer(self, scope: Scope, send: Send, status: int, message: str) -> None:
        self.on_refused(str(scope.get("path", "")), status, message)
        body = orjson.dumps({"error": message})
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _discard(receive: Receive, last: Message | None) -> None:
    # Read what the client still sends, chunk by chunk, so it gets to read the answer (a client
    # writing its whole body first would otherwise see a reset); nothing is kept.
    seen = 0
    while last is None or (last["type"] == "http.request" and last.get("more_body", False)):
        last = await receive()
        seen += len(last.get("body", b""))
        if seen > _DISCARD_LIMIT:
            return


_libc: Any = None


def release_memory() -> None:
    """Return freed heap pages to the system (glibc ``malloc_trim``; a no-op elsewhere)."""
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name) if name else False
    trim = getattr(_libc, "malloc_trim", None) if _libc else None
    if trim is not None:
        trim(0)

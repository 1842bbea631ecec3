"""``POST /feedback`` on the collector: labels over HTTP, all-or-nothing, idempotent by key.

Body ``{"labels": [{"request_id": "…", "row": 0, "median_house_value": 452600.0}, ...]}``.
200 ``{"received", "stored", "duplicates"}`` (a retry of the same body stores nothing new);
400 naming every invalid field, 409 naming every key that already has another value, 413 over
``MAX_LABELS`` labels or the collector's body limit, 503 when the store cannot be written: then
nothing of the body is stored.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from model.labels import MAX_SHOWN, Label, LabelStore, parse

MAX_LABELS = 10_000
LIMIT = "HOUSING_COLLECTOR_MAX_BODY_BYTES"


def feedback_router(labels_dir: Path, max_body_bytes: int) -> APIRouter:
    """The route, with the label store opened on first use (its index is read once).

    Args:
        labels_dir: the label store. max_body_bytes: larger bodies are refused (413) unread.
    """
    router = APIRouter()
    lock = asyncio.Lock()  # one check-then-append at a time keeps "stored once per key" true
    opened: list[LabelStore] = []

    @router.post("/feedback")
    async def feedback(request: Request) -> JSONResponse:
        raw = await _body(request, max_body_bytes)
        if raw is None:
            return _error(413, [f"body: over the limit of {max_body_bytes} bytes ({LIMIT})"])
        try:
            body = json.loads(raw)
        except ValueError as e:
            return _error(400, [f"body: not JSON ({e})"])
        except RecursionError:
            return _error(400, ["body: nested too deeply"])
        labels = body.get("labels") if isinstance(body, dict) else None
        if not isinstance(labels, list) or not labels:
            return _error(400, ["labels: expected a non-empty list of labels"])
        if len(labels) > MAX_LABELS:
            return _error(413, [f"labels: {len(labels)} labels, at most {MAX_LABELS} per request"])
        parsed = [parse(x, f"labels[{i}]") for i, x in enumerate(labels)]
        invalid = [p for p in parsed if isinstance(p, str)]
        if invalid:
            return _error(400, invalid)
        valid = [(f"labels[{i}]", x) for i, x in enumerate(parsed) if isinstance(x, Label)]
        async with lock:
            try:
                if not opened:
                    opened.append(await run_in_threadpool(LabelStore, labels_dir))
                conflicts = opened[0].check(valid).conflicts
                if conflicts:
                    return _error(409, conflicts)
                result = await run_in_threadpool(opened[0].add, valid, "http")
            except OSError as e:  # the sender must not think the labels were stored
                return _error(503, [f"label store unavailable: {e}"])
        return JSONResponse(
            {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}
        )

    return router


async def _body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _error(status: int, problems: list[str]) -> JSONResponse:
    more = len(problems) - MAX_SHOWN
    text = "; ".join(problems[:MAX_SHOWN]) + (f"; … and {more} more" if more > 0 else "")
    return JSONResponse({"error": text, "problems": len(problems)}, status_code=status)

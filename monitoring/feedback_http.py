"""``POST /feedback`` on the collector: labels over HTTP, all-or-nothing, idempotent by key.

Body ``{"labels": [{"request_id": "…", "row": 0, "median_house_value": 452600.0}, ...]}``.
200 ``{"received", "stored", "duplicates"}`` (a retry of the same body stores nothing new);
400 naming every invalid field, 409 naming every key that already has another value, 413 over
``MAX_LABELS``, 503 when the store cannot be written: then nothing of the body is stored.
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


def feedback_router(labels_dir: Path) -> APIRouter:
    """The route, with the label store opened on first use (its index is read once)."""
    router = APIRouter()
    lock = asyncio.Lock()  # one check-then-append at a time keeps "stored once per key" true
    opened: list[LabelStore] = []

    @router.post("/feedback")
    async def feedback(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError as e:
            return _error(400, [f"body: not JSON ({e})"])
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


def _error(status: int, problems: list[str]) -> JSONResponse:
    more = len(problems) - MAX_SHOWN
    text = "; ".join(problems[:MAX_SHOWN]) + (f"; … and {more} more" if more > 0 else "")
    return JSONResponse({"error": text, "problems": len(problems)}, status_code=status)

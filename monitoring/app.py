"""The collector's HTTP face: ``POST /`` takes KServe's CloudEvents, ``GET /healthz``,
``GET /metrics`` (the jobs' verdicts and the dead-letter counter), ``POST /feedback``.

``create_app`` opens the stores in the lifespan and mounts the routes; a new route is one more
``add_api_route`` on the returned app, with the collector at ``request.app.state.collector``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from model.events import new_writer_id, open_writer
from monitoring.cloudevents import BadEvent, echo, parse
from monitoring.collector import Collector
from monitoring.collector_metrics import DeadLetterMetrics
from monitoring.collector_settings import CollectorSettings
from monitoring.feedback_http import feedback_router
from monitoring.pending import DeadLetters, PendingLog
from monitoring.verdicts import LatestVerdicts, metrics_router

logger = logging.getLogger(__name__)
LIMIT_SETTING = "HOUSING_COLLECTOR_MAX_BODY_BYTES"
# Parsing a body costs up to ~12x its size in Python objects (dense floats): bodies past this
# size are taken one at a time, so a few large ones at once stay under the pod's memory limit.
LARGE_BODY = 1 << 20


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed ``limit`` bytes: never read whole.

    Raises:
        BadEvent: 413 naming the limit and its setting.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadEvent(f"body: {declared} bytes, over the limit of {limit} ({LIMIT_SETTING})", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadEvent(f"body: over the limit of {limit} bytes ({LIMIT_SETTING})", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(request: Request, e: BadEvent) -> JSONResponse:
    logger.warning(
        "cloudevent_rejected",
        extra={
            "request_id": echo(request.headers.get("ce-id")),
            "status": e.status,
            "reason": str(e),
        },
    )
    return JSONResponse({"error": str(e)}, status_code=e.status)


async def receive(request: Request) -> JSONResponse:
    """``POST /``: one CloudEvent in binary mode; 200 only once it is durable."""
    limit = request.app.state.settings.collector_max_body_bytes
    max_values = request.app.state.settings.collector_max_values
    declared = request.headers.get("content-length", "")
    large = not declared.isdigit() or int(declared) > LARGE_BODY
    async with request.app.state.large_body if large else nullcontext():
        try:
            body = await read_body(request, limit)
            half = parse(request.headers, body, time.time(), max_values=max_values)
        except BadEvent as e:
            return _refused(request, e)
        del body  # not kept alive while the half waits for its commit
        try:
            status = await request.app.state.collector.receive(half)
        except BadEvent as e:
            return _refused(request, e)
        except Exception as e:  # the HTTP boundary: the sender must not think it was stored
            logger.error("cloudevent_not_stored", extra={"request_id": half.id, "error": str(e)})
            return JSONResponse({"error": f"event store unavailable: {e}"}, status_code=503)
    logger.info("cloudevent", extra={"request_id": half.id, "kind": half.kind, "status": status})
    # Exactly 200: KServe's worker logs any other status as a failed delivery.
    return JSONResponse({"status": status, "id": half.id})


async def healthz(request: Request) -> dict[str, object]:
    """``GET /healthz``: halves waiting, resends ignored and items dead-lettered since start."""
    collector: Collector = request.app.state.collector
    return {
        "status": "ok",
        "waiting": collector.waiting,
        "duplicates": collector.duplicates,
        "dead_letters": collector.dead.count,
    }


def create_app(settings: CollectorSettings) -> FastAPI:
    """The collector app; the store is opened and the pending log replayed at startup."""
    dead = DeadLetters(settings.collector_pending_dir)  # no I/O until the first item

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.collector_pending_dir.mkdir(parents=True, exist_ok=True)
        collector = Collector(
            open_writer(
                settings.events_uri,
                new_writer_id("collector"),
                s3_endpoint_url=settings.s3_endpoint_url,
                durable=True,
            ),
            # A record holds one body's tensors (JSON, compact): a few times the body at most.
            PendingLog(
                settings.collector_pending_dir,
                max_record_bytes=4 * settings.collector_max_body_bytes + (1 << 16),
            ),
            dead,
            orphan_timeout_s=settings.collector_orphan_timeout_s,
            max_batch=settings.collector_max_batch,
            dedupe_window=settings.collector_dedupe_window,
        )
        await collector.start()
        app.state.collector, app.state.settings = collector, settings
        app.state.large_body = asyncio.Lock()
        yield
        await collector.stop()

    app = FastAPI(
        title="housing-collector",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_api_route("/", receive, methods=["POST"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.include_router(feedback_router(settings.labels_dir, settings.collector_max_body_bytes))
    app.state.registry = registry = CollectorRegistry()
    registry.register(LatestVerdicts(Path(d) for d in settings.verdict_dirs))
    registry.register(DeadLetterMetrics(dead))
    app.include_router(metrics_router(registry))
    return app

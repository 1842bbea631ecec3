"""The collector's HTTP face: ``POST /`` takes KServe's CloudEvents, ``GET /healthz``."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from model.events import new_writer_id, open_writer
from monitoring.cloudevents import BadEvent, parse
from monitoring.collector import Collector
from monitoring.pending import PendingLog
from monitoring.settings import CollectorSettings

logger = logging.getLogger(__name__)


def create_app(settings: CollectorSettings) -> FastAPI:
    """The collector app; the store is opened and the pending log replayed at startup."""

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
            PendingLog(settings.collector_pending_dir),
            orphan_timeout_s=settings.collector_orphan_timeout_s,
            max_batch=settings.collector_max_batch,
        )
        await collector.start()
        app.state.collector = collector
        yield
        await collector.stop()

    app = FastAPI(title="housing-collector", lifespan=lifespan)

    @app.post("/")
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            half = parse(request.headers, body, time.time())
        except BadEvent as e:
            logger.warning(
                "cloudevent_rejected",
                extra={
                    "request_id": request.headers.get("ce-id"),
                    "status": e.status,
                    "reason": str(e),
                },
            )
            return JSONResponse({"error": str(e)}, status_code=e.status)
        try:
            status = await app.state.collector.receive(half)
        except Exception as e:  # the HTTP boundary: the sender must not think it was stored
            logger.error("cloudevent_not_stored", extra={"request_id": half.id, "error": str(e)})
            return JSONResponse({"error": f"event store unavailable: {e}"}, status_code=503)
        logger.info(
            "cloudevent", extra={"request_id": half.id, "kind": half.kind, "status": status}
        )
        # Exactly 200: KServe's worker logs any other status as a failed delivery.
        return JSONResponse({"status": status, "id": half.id})

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "waiting": app.state.collector.waiting}

    return app

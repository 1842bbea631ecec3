"""Wiring: logging, thread limits, the bundle, the event log and KServe's ModelServer."""

from __future__ import annotations

import argparse
import logging
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import FastAPIDeprecationWarning, RequestValidationError
from kserve import ModelServer
from kserve import logging as kserve_logging
from kserve.model_server import app
from threadpoolctl import threadpool_limits

from model.errors import BundleError, ConfigError
from model.events import EventStoreWriter, new_writer_id
from model.logging import log_config
from predictor import errors
from predictor.bundle_wait import wait_for_bundle
from predictor.codec import MAX_ID_CHARS
from predictor.drain import CountInFlight, Drain
from predictor.event_log import EventLog
from predictor.guard import BodyGuard, max_body_bytes
from predictor.metrics import Metrics
from predictor.plane import (
    HealthDataPlane,
    ReadOnlyRepository,
    add_repository_routes,
    add_version_routes,
)
from predictor.predictor import HousingPredictor
from predictor.rest import add_infer_route
from predictor.settings import PredictorSettings

logger = logging.getLogger(__name__)
# Per-request lines of uvicorn (access log) and KServe (timing middleware, latency line):
# ours ("prediction") is the one line per request at INFO.
_PER_REQUEST_LOGGERS = ("uvicorn.access", "kserve.trace")


def configure_logging(level: str, args: argparse.Namespace) -> None:
    """JSON lines for our, KServe's and uvicorn's loggers, without per-request noise.

    Args:
        level: the log level. args: KServe's flags (``--configure_logging``,
            ``--log_config_file`` still win when given).
    """
    # FastAPI 0.165 deprecates the ORJSONResponse KServe 0.21 uses, warning on every response.
    warnings.filterwarnings(
        "ignore", message=r"ORJSONResponse is deprecated", category=FastAPIDeprecationWarning
    )
    if not args.configure_logging:
        return
    config: dict[str, Any] | str = args.log_config_file or _json_config(level)
    kserve_logging.configure_logging(config)
    logging.getLogger("kserve").addFilter(errors.QuietHandledErrors())


def _json_config(level: str) -> dict[str, Any]:
    config = log_config(level)
    if logging.getLevelName(level) >= logging.INFO:
        for name in _PER_REQUEST_LOGGERS:
            config["loggers"][name] = {**config["loggers"][name], "level": "WARNING"}
    return config


def run(settings: PredictorSettings, args: argparse.Namespace) -> int:
    """Load and verify the bundle, then serve it until SIGTERM/SIGINT.

    Args:
        settings: our settings. args: KServe's ModelServer flags.

    Returns:
        0 after a normal shutdown; 2 for a bad bundle or configuration (nothing is served).
    """
    threadpool_limits(1)  # HistGradientBoosting's OpenMP threads collapse throughput on 2 cores
    metrics = Metrics()
    try:
        if args.workers != 1:
            raise ConfigError(
                f"--workers {args.workers}: this predictor runs one worker per "
                "pod (2 cores); scale with replicas"
            )
        if settings.bundle_wait_seconds > 0:  # False on timeout: load() below says what is missing
            wait_for_bundle(
                settings.model_dir, port=args.http_port, timeout_s=settings.bundle_wait_seconds
            )
        model = HousingPredictor(
            settings.model_name,
            settings.model_dir,
            metrics=metrics,
            max_batch_rows=settings.max_batch_rows,
        )
        model.load()
        event_log = model.event_log = _event_log(settings, metrics, model.version)
    except (BundleError, ConfigError) as e:
        logger.error(
            "startup_refused", extra={"error": str(e), "model_dir": str(settings.model_dir)}
        )
        return 2
    logger.info(
        "bundle_loaded",
        extra={
            "model_version": model.version,
            "model_name": model.name,
            "model_dir": str(settings.model_dir),
        },
    )
    app.add_exception_handler(
        RequestValidationError, errors.validation_handler(_counter_of_invalid(model))
    )
    if event_log is not None:
        event_log.start()
    server = _model_server(args, settings)
    _harden_app(args, settings, model)
    _drain_on_sigterm(server, settings)
    add_repository_routes(app)
    add_version_routes(app)
    add_infer_route(app, server.dataplane)
    try:
        server.start([model])
    finally:
        if event_log is not None:
            event_log.close()
    return 0


def _model_server(args: argparse.Namespace, settings: PredictorSettings) -> ModelServer:
    server = ModelServer(
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        workers=args.workers,
        max_threads=args.max_threads,
        max_asyncio_workers=args.max_asyncio_workers,
        enable_grpc=args.enable_grpc,
        enable_docs_url=args.enable_docs_url,
        enable_latency_logging=args.enable_latency_logging,
        access_log_format=args.access_log_format,
        event_loop=args.event_loop,
        timeout_keep_alive=args.timeout_keep_alive,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    # ModelServer.start hands these two to its REST and gRPC servers (kserve 0.21,
    # kserve/model_server.py); see predictor.plane for why they are replaced.
    server.dataplane = HealthDataPlane(settings.model_name, model_registry=server.registered_models)
    server.model_repository_extension = ReadOnlyRepository(server.registered_models)
    return server


def _harden_app(args: argparse.Namespace, settings: PredictorSettings, model: Any) -> None:
    """Body limit and binary-extension refusal on every route; no API schema unless asked."""
    if not args.enable_docs_url:
        # FastAPI serves /openapi.json unless openapi_url is None, and kserve.model_server
        # builds its app with the default (only docs_url follows --enable_docs_url).
        app.openapi_url = None
        app.router.routes[:] = [
            r for r in app.router.routes if getattr(r, "path", "") != "/openapi.json"
        ]
    app.add_middleware(
        BodyGuard,
        limit=max_body_bytes(settings.max_batch_rows),
        on_refused=_counter_of_refused(model),
    )


def _drain_on_sigterm(server: ModelServer, settings: PredictorSettings) -> None:
    """SIGTERM: not ready, keep serving until idle (predictor.drain), then uvicorn's shutdown."""
    drain = Drain(server.dataplane, max_seconds=settings.drain_seconds)
    app.add_middleware(CountInFlight, drain=drain)  # outermost: counts every request
    app.router.on_startup.append(drain.install)


def _event_log(settings: PredictorSettings, metrics: Metrics, version: str) -> EventLog | None:
    uri = settings.events_uri
    if not uri:
        return None
    if "://" in uri:
        raise ConfigError(
            f"HOUSING_EVENTS_URI={uri}: the predictor logs to a local directory "
            "only; remote stores are fed by the collector"
        )
    root = Path(uri)
    root.mkdir(parents=True, exist_ok=True)
    if not os.access(root, os.W_OK):
        raise ConfigError(f"HOUSING_EVENTS_URI={uri}: directory is not writable")
    labels = (settings.model_name, version)
    return EventLog(
        EventStoreWriter(root, new_writer_id("predictor")),
        model_name=settings.model_name,
        queue_size=settings.events_queue_size,
        on_dropped=metrics.events_dropped.labels(*labels).inc,
        on_written=metrics.events_written.labels(*labels).inc,
    )


def _counter_of_refused(model: HousingPredictor) -> Any:
    def on_refused(path: str, status: int, message: str) -> None:
        model.metrics.request(model.name, model.version, "invalid", 0)
        logger.info(
            "request_refused",
            extra={"path": path[:200], "status": status, "error": message[:500]},
        )

    return on_refused


def _counter_of_invalid(model: HousingPredictor) -> Any:
    def on_invalid(request: Request, message: str) -> None:
        request_id = request.headers.get("x-request-id", "")[:MAX_ID_CHARS] or uuid.uuid4().hex
        model.metrics.request(model.name, model.version, "invalid", 0)
        logger.info(
            "prediction",
            extra={
                "request_id": request_id,
                "rows": 0,
                "latency_ms": None,
                "model_version": model.version,
                "outcome": "invalid",
                "error": message[:500],
            },
        )

    return on_invalid

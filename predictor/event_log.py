"""Local request logging: served requests appended to the event store off the response path.

The request path only puts a tuple of references on a bounded queue (``put_nowait``); a daemon
thread turns them into ``model.events.PredictionEvent`` lines and appends them in batches with
``EventStoreWriter``. When the queue is full the event is dropped, counted and logged (at most
once every 10 s): monitoring loses a sample, the client never waits. ``close`` drains the queue;
the predictor calls it when KServe's ModelServer stops the model (SIGTERM / SIGINT) and again,
idempotently, when the server returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from model.events import Cell, EventStoreWriter, PredictionEvent

logger = logging.getLogger(__name__)
_BATCH = 256


@dataclass(frozen=True)
class Served:
    """What the request path hands over: references only, converted on the writer thread."""

    ts: datetime
    request_id: str
    model_version: str
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]
    latency_ms: float


def _cells(values: np.ndarray) -> list[Cell]:
    if values.dtype.kind == "f":
        return [None if v != v else v for v in values.tolist()]  # NaN (JSON null) -> None
    return list(values.tolist())


class EventLog:
    """Bounded, non-blocking hand-off of served requests to an ``EventStoreWriter`` thread.

    Args:
        writer: appends events to the store.
        model_name: the V2 model name written in each event.
        queue_size: requests buffered before new ones are dropped.
        on_dropped / on_written: counters (called with the number of events).
    """

    def __init__(
        self,
        writer: EventStoreWriter,
        *,
        model_name: str,
        queue_size: int,
        on_dropped: Callable[[int], None],
        on_written: Callable[[int], None],
    ) -> None:
        self._writer, self._model_name = writer, model_name
        self._queue: queue.Queue[Served] = queue.Queue(maxsize=queue_size)
        self._on_dropped, self._on_written = on_dropped, on_written
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log", daemon=True)
        self._dropped, self._last_warning = 0, 0.0

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, served: Served) -> None:
        """Queue one served request; never blocks. A full queue drops it (counted, logged)."""
        try:
            self._queue.put_nowait(served)
        except queue.Full:
            self._dropped += 1
            self._on_dropped(1)
            now = time.monotonic()
            if now - self._last_warning > 10:
                self._last_warning = now
                logger.warning(
                    "events_dropped",
                    extra={"dropped_total": self._dropped, "queue_size": self._queue.maxsize},
                )

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, then stop the thread (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive() or not self._queue.empty():
            logger.error("events_not_flushed", extra={"pending": self._queue.qsize()})

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                batch = [self._queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[Served]) -> None:
        try:
            written = self._writer.write(self._event(s) for s in batch)
        except Exception:  # a full disk must not kill the thread: count the loss, keep going
            logger.exception("events_write_failed", extra={"events": len(batch)})
            self._on_dropped(len(batch))
            return
        self._on_written(written)

    def _event(self, s: Served) -> PredictionEvent:
        return PredictionEvent(
            ts=s.ts,
            request_id=s.request_id,
            model_name=self._model_name,
            model_version=s.model_version,
            source="predictor",
            latency_ms=s.latency_ms,
            inputs={k: _cells(v) for k, v in s.inputs.items()},
            outputs={k: [float(x) for x in v.tolist()] for k, v in s.outputs.items()},
        )

"""The collector's core: pair request and response halves by ``ce-id`` and store them durably.

Nothing is acknowledged before it is on disk: a first half goes to the pending log, a pair or an
orphan goes to the event store, each fsynced (or put to S3) before the HTTP answer. One writer
task does every write, in arrival order and in batches (group commit), so concurrent requests
cost one fsync per batch and never interleave lines. On start, the pending log is replayed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from model.events import EventWriter, PredictionEvent
from monitoring.cloudevents import Half, to_event
from monitoring.pending import PendingLog

logger = logging.getLogger(__name__)
OTHER = {"request": "response", "response": "request"}
NO_PARTNER = {
    "request": "no response event within {t:g} s (KServe's logger sends none for a non-200 reply)",
    "response": "no request event within {t:g} s",
}


@dataclass
class _Op:
    events: Sequence[PredictionEvent]
    records: Sequence[dict[str, Any]]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _done(*halves: Half) -> dict[str, Any]:
    return {"op": "done", "keys": [h.key for h in halves]}


class Collector:
    """Pairs halves and commits them. Use from one event loop: ``start``, ``receive``, ``stop``.

    Args:
        sink: the event store. pending: the pending-halves log.
        orphan_timeout_s: how long a half waits for its partner.
        max_batch: most events per flush. clock: epoch seconds (tests pass a fake one).
    """

    def __init__(
        self,
        sink: EventWriter,
        pending: PendingLog,
        *,
        orphan_timeout_s: float,
        max_batch: int = 1000,
        compact_every: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink, self.pending, self.clock = sink, pending, clock
        self.timeout, self.max_batch = orphan_timeout_s, max_batch
        self.compact_every = compact_every
        self.open: dict[str, dict[str, Half]] = {}
        self._queue: list[_Op] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def waiting(self) -> int:
        """Halves waiting for their partner."""
        return sum(len(slot) for slot in self.open.values())

    async def start(self) -> None:
        """Replay the pending log, compact it, start the writer and the orphan sweeper."""
        records, bad = await asyncio.to_thread(self.pending.replay)
        for record in records:
            self._put(Half.from_record(record))
        await asyncio.to_thread(self.pending.compact, [h.to_record() for h in self._halves()])
        logger.info("collector_started", extra={"replayed": len(records), "skipped_lines": bad})
        self._tasks = [asyncio.create_task(self._writer()), asyncio.create_task(self._sweeper())]

    async def stop(self) -> None:
        """Finish queued writes; halves still waiting stay in the pending log for the next start."""
        self._tasks[1].cancel()
        while self._queue:
            await asyncio.sleep(0.01)
        self._tasks[0].cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def receive(self, half: Half) -> str:
        """Accept one validated half; returns once it is durable ("stored" or "pending").

        Raises:
            Exception: whatever the store raised; the half is then not accepted.
        """
        half.key = uuid.uuid4().hex
        slot = self.open.get(half.id, {})
        partner = slot.get(OTHER[half.kind])
        if partner is not None:
            self._drop(partner)
            request, response = (half, partner) if half.kind == "request" else (partner, half)
            try:
                await self._commit([to_event(request, response)], [_done(partner)])
            except BaseException:
                self._put(partner)
                raise
            return "stored"
        orphans, records = [], [half.to_record()]
        if (twin := slot.get(half.kind)) is not None:  # a client reused its Ce-Id
            self._drop(twin)
            orphans.append(self._orphan(twin, f"another {half.kind} arrived with the same ce-id"))
            records.append(_done(twin))
        self._put(half)
        try:
            await self._commit(orphans, records)
        except BaseException:
            self._drop(half)
            raise
        return "pending"

    def _halves(self) -> list[Half]:
        return [h for slot in self.open.values() for h in slot.values()]

    def _put(self, half: Half) -> None:
        self.open.setdefault(half.id, {})[half.kind] = half

    def _drop(self, half: Half) -> None:
        slot = self.open.get(half.id, {})
        if slot.get(half.kind) is half:
            del slot[half.kind]
            if not slot:
                del self.open[half.id]

    def _orphan(self, half: Half, error: str) -> PredictionEvent:
        alone = half.kind == "request"
        return to_event(half if alone else None, None if alone else half, error=error)

    async def _commit(
        self, events: Sequence[PredictionEvent], records: Sequence[dict[str, Any]]
    ) -> None:
        op = _Op(events, records)
        self._queue.append(op)
        self._wake.set()
        await op.done

    def _take(self) -> list[_Op]:
        batch, count = [], 0
        while self._queue and (not batch or count + len(self._queue[0].events) <= self.max_batch):
            op = self._queue.pop(0)
            batch.append(op)
            count += len(op.events)
        return batch

    def _write(self, batch: Sequence[_Op]) -> None:
        # Events before the records that close their halves: a crash in between can only
        # duplicate (a half replayed as an orphan), never lose.
        events = [e for op in batch for e in op.events]
        if events:
            self.sink.write(events)
        self.pending.append([r for op in batch for r in op.records])

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while batch := self._take():
                try:
                    await asyncio.to_thread(self._write, batch)
                except Exception as e:  # every waiting request answers 503 with it
                    logger.error("store_write_failed", extra={"error": str(e)})
                    for op in batch:
                        op.done.set_exception(e)
                else:
                    for op in batch:
                        op.done.set_result(None)
                if self.pending.records_written >= self.compact_every:
                    records = [h.to_record() for h in self._halves()]
                    await asyncio.to_thread(self.pending.compact, records)

    async def _sweeper(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            await self.sweep()

    async def sweep(self) -> int:
        """Store every half that waited longer than the timeout as an orphan; returns how many."""
        now = self.clock()
        expired = [h for h in self._halves() if now - h.received >= self.timeout]
        if not expired:
            return 0
        for half in expired:
            self._drop(half)
        events = [self._orphan(h, NO_PARTNER[h.kind].format(t=self.timeout)) for h in expired]
        try:
            await self._commit(events, [_done(*expired)])
        except Exception:
            for half in expired:
                self._put(half)
            return 0
        for event in events:
            logger.info("orphan_stored", extra={"request_id": event.request_id, "kind": event.kind})
        return len(events)

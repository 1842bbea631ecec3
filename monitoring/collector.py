"""The collector's core: pair request and response halves by ``ce-id`` and store them durably.

Nothing is acknowledged before it is on disk: a first half goes to the pending log, a pair or an
orphan goes to the event store, each fsynced (or put to S3) before the HTTP answer. One writer
task does every write, in arrival order and in batches (group commit), so concurrent requests
cost one fsync per batch and never interleave lines. On start, the pending log is replayed.

One bad item never blocks the others: halves are checked on receipt (``cloudevents.check``), and
whatever still cannot be stored later (a record of an older collector, an event that does not
serialise) goes to the dead-letter file with its reason, and the pipeline moves on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from model.events import EventWriter
from monitoring.cloudevents import BadEvent, EventLine, Half, to_event
from monitoring.dedupe import Recent
from monitoring.pending import INVALID, UNSERIALISABLE, DeadLetters, PendingLog

logger = logging.getLogger(__name__)
OTHER = {"request": "response", "response": "request"}
NO_PARTNER = {
    "request": "no response event within {t:g} s (KServe's logger sends none for a non-200 reply)",
    "response": "no request event within {t:g} s",
}


@dataclass
class _Op:
    events: list[EventLine]
    records: Sequence[str]
    dead: int = 0
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _done(*halves: Half) -> str:
    return json.dumps({"op": "done", "keys": [h.key for h in halves]}) + "\n"


class Collector:
    """Pairs halves and commits them. Use from one event loop: ``start``, ``receive``, ``stop``.

    Args:
        sink: the event store. pending: the pending-halves log. dead: the dead-letter file.
        orphan_timeout_s: how long a half waits for its partner.
        max_batch: most events per flush. dedupe_window / dedupe_age_s: how many recent events,
            and for how long, a resend is recognised. clock: epoch seconds (tests pass a fake).
    """

    def __init__(
        self,
        sink: EventWriter,
        pending: PendingLog,
        dead: DeadLetters,
        *,
        orphan_timeout_s: float,
        max_batch: int = 1000,
        compact_every: int = 100_000,
        dedupe_window: int = 50_000,
        dedupe_age_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink, self.pending, self.dead, self.clock = sink, pending, dead, clock
        self.timeout, self.max_batch = orphan_timeout_s, max_batch
        self.compact_every = compact_every
        self.recent = Recent(dedupe_window, dedupe_age_s, clock)
        self.duplicates = 0
        self.open: dict[str, dict[str, Half]] = {}
        self._queue: list[_Op] = []
        self._writing = False
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def waiting(self) -> int:
        """Halves waiting for their partner."""
        return sum(len(slot) for slot in self.open.values())

    async def start(self) -> None:
        """Replay the pending log (quarantining what cannot be used), compact it, start the
        writer and the orphan sweeper."""
        records, bad = await asyncio.to_thread(self.pending.replay)
        for kind, reason, text in bad:
            await asyncio.to_thread(self._bury, kind, reason, text)
        for record in records:
            try:
                half = Half.from_record(record)
            except BadEvent as e:
                await asyncio.to_thread(self._bury, INVALID, str(e), record)  # e names the record
                continue
            self._put(half)
            self.recent.add(half.digest)
        await asyncio.to_thread(self.pending.compact, [h.record_line() for h in self._halves()])
        logger.info(
            "collector_started",
            extra={"replayed": self.waiting, "dead_letters": self.dead.count},
        )
        self._tasks = [asyncio.create_task(self._writer()), asyncio.create_task(self._sweeper())]

    async def stop(self) -> None:
        """Finish queued writes; halves still waiting stay in the pending log for the next start."""
        self._tasks[1].cancel()
        while self._queue or self._writing:
            await asyncio.sleep(0.01)
        self._tasks[0].cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def receive(self, half: Half) -> str:
        """Accept one validated half; returns once it is durable: "stored", "pending",
        "duplicate" (a resend of an event already taken) or "dead_letter".

        Raises:
            BadEvent: the pair cannot make an event (row counts differ); the partner is then
                stored alone, with the reason.
            Exception: whatever the store raised; the half is then not accepted.
        """
        if not self.recent.add(half.digest):
            self.duplicates += 1
            return "duplicate"
        try:
            return await self._receive(half)
        except BaseException:
            self.recent.forget(half.digest)
            raise

    async def _receive(self, half: Half) -> str:
        half.key = uuid.uuid4().hex
        slot = self.open.get(half.id, {})
        partner = slot.get(OTHER[half.kind])
        if partner is not None:
            return await self._pair(half, partner)
        orphans, records = [], [half.record_line()]
        if (twin := slot.get(half.kind)) is not None:  # a client reused its Ce-Id
            self._drop(twin)
            orphans.append(self._orphan(twin, f"another {half.kind} arrived with the same ce-id"))
            records.append(_done(twin))
        self._put(half)
        try:
            await self._commit(orphans, records)
        except BaseException:
            self._drop(half)
            if twin is not None:
                self._put(twin)
            raise
        return "pending"

    async def _pair(self, half: Half, partner: Half) -> str:
        request, response = (half, partner) if half.kind == "request" else (partner, half)
        self._drop(partner)
        try:
            try:
                event = to_event(request, response)
            except BadEvent as e:  # refused; its partner is kept, alone, with the reason
                orphan = self._orphan(partner, f"its {half.kind} was refused: {e}")
                await self._commit([orphan], [_done(partner)])
                raise
            op = await self._commit([event], [_done(partner)])
        except BaseException as e:
            if not isinstance(e, BadEvent):
                self._put(partner)
            raise
        return "dead_letter" if op.dead else "stored"

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

    def _orphan(self, half: Half, error: str) -> EventLine:
        alone = half.kind == "request"
        return to_event(half if alone else None, None if alone else half, error=error)

    def _bury(self, kind: str, reason: str, item: Any) -> None:
        self.dead.add(kind, reason, item)
        logger.error(
            "dead_lettered",
            extra={"kind": kind, "reason": reason, "dead_letters": self.dead.count},
        )

    async def _commit(self, events: Sequence[EventLine], records: Sequence[str]) -> _Op:
        op = _Op(list(events), records)
        self._queue.append(op)
        self._wake.set()
        await op.done
        return op

    def _take(self) -> list[_Op]:
        batch: list[_Op] = []
        count = 0
        while self._queue and (not batch or count + len(self._queue[0].events) <= self.max_batch):
            op = self._queue.pop(0)
            batch.append(op)
            count += len(op.events)
        return batch

    def _write(self, batch: Sequence[_Op]) -> None:
        # Events before the records that close their halves: a crash in between can only
        # duplicate (a half replayed as an orphan), never lose.
        events = [e for op in batch for e in op.events]
        try:
            if events:
                self.sink.write(events)
        except ValueError:  # an event that does not serialise: quarantine it, store the rest
            events = self._quarantine(batch)
            if events:
                self.sink.write(events)
        self.pending.append([r for op in batch for r in op.records])

    def _quarantine(self, batch: Sequence[_Op]) -> list[EventLine]:
        good = []
        for op in batch:
            for event in op.events:
                try:
                    event.to_line()
                except ValueError as e:
                    self._bury(
                        UNSERIALISABLE,
                        f"event does not serialise: {e}",
                        {"request_id": event.request_id},
                    )
                    op.dead += 1
                else:
                    good.append(event)
        return good

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while batch := self._take():
                self._writing = True
                try:
                    await asyncio.to_thread(self._write, batch)
                except Exception as e:  # every waiting request answers 503 with it
                    logger.error("store_write_failed", extra={"error": str(e)})
                    for op in batch:
                        op.done.set_exception(e)
                else:
                    for op in batch:
                        op.done.set_result(None)
                finally:
                    self._writing = False
                if self.pending.records_written >= self.compact_every:
                    records = [h.record_line() for h in self._halves()]
                    await asyncio.to_thread(self.pending.compact, records)

    async def _sweeper(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            await self.sweep()

    async def sweep(self) -> int:
        """Store every half that waited at least the timeout as an orphan; returns how many.

        When the store fails the halves stay open and the next sweep tries again.
        """
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

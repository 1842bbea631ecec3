"""monitoring.collector in-process, one rule at a time: the exact reasons stored with orphans, the
batch and compaction limits at the limit and one past it, what a failed store leaves behind, and
what a restart replays (fast: mutmut's measure for monitoring/collector.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model.events import EventStoreWriter
from monitoring.cloudevents import Half
from monitoring.collector import Collector
from monitoring.pending import DeadLetters, PendingLog
from monitoring_helpers import Clock, half, stored_events, v2_request, v2_response

TIMEOUT = 60.0
RESPONSE = v2_response([1.0, 2.0, 3.0])


class Sink:
    """The real event store, with a switch to fail, a gate to hold a write, and the batch sizes."""

    def __init__(self, root: Path) -> None:
        self.store = EventStoreWriter(root, "test", durable=True)
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.batches: list[int] = []

    def write(self, events: Iterable[Any]) -> int:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "gate never opened"
        if self.fail is not None:
            raise self.fail
        events = list(events)
        self.batches.append(len(events))
        return self.store.write(events)


class Pending(PendingLog):
    """The real pending log, with a switch to fail appends."""

    fail: Exception | None = None

    def append(self, lines: Any) -> None:
        if self.fail is not None:
            raise self.fail
        super().append(lines)


def run(
    tmp: Path,
    script: Callable[[Collector], Awaitable[Any]],
    *,
    clock: Clock,
    sink: Sink | None = None,
    pending: Pending | None = None,
    **options: Any,
) -> Any:
    """One collector process lifetime: start, ``script``, stop (bounded in time)."""
    (tmp / "pending").mkdir(parents=True, exist_ok=True)

    async def main() -> Any:
        collector = Collector(
            sink or Sink(tmp / "events"),
            pending or Pending(tmp / "pending"),
            DeadLetters(tmp / "pending"),
            orphan_timeout_s=options.pop("orphan_timeout_s", TIMEOUT),
            clock=clock,
            **options,
        )
        await collector.start()
        try:
            return await asyncio.wait_for(script(collector), 20)
        finally:
            await asyncio.wait_for(collector.stop(), 20)

    return asyncio.run(main())


def dead_letters(tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "pending" / "dead-letter.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def open_ids(tmp: Path) -> set[str]:
    """Ids of the halves the pending log still holds open (what a restart would replay)."""
    records = pending_lines(tmp)
    done = {key for r in records if r["op"] == "done" for key in r["keys"]}
    return {r["id"] for r in records if r["op"] == "add" and r["key"] not in done}


def pending_lines(tmp: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (tmp / "pending" / "pending.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("kind", "stored", "reason"),
    [
        (
            "request",
            "request_only",
            "no response event within 60 s (KServe's logger sends none for a non-200 reply)",
        ),
        ("response", "response_only", "no request event within 60 s"),
    ],
)
def test_orphan_is_stored_with_the_reason_naming_the_missing_half_and_the_timeout(
    tmp_path: Path, rows: pd.DataFrame, kind: str, stored: str, reason: str
) -> None:
    clock = Clock()
    body = v2_request(rows) if kind == "request" else RESPONSE

    async def script(c: Collector) -> tuple[str, int]:
        status = await c.receive(half(kind, "alone", body, clock))
        clock.now += TIMEOUT
        return status, await c.sweep()

    assert run(tmp_path, script, clock=clock) == ("pending", 1)
    [event] = stored_events(tmp_path / "events")
    assert (event.kind, event.request_id, event.error) == (stored, "alone", reason)
    if kind == "request":
        assert event.inputs["median_income"] == rows["median_income"].tolist()
    else:
        assert event.outputs == {"median_house_value": [1.0, 2.0, 3.0]}


def test_orphan_reason_prints_a_fractional_timeout_as_given(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> int:
        await c.receive(half("response", "r", RESPONSE, clock))
        clock.now += 0.25
        return await c.sweep()

    assert run(tmp_path, script, clock=clock, orphan_timeout_s=0.25) == 1
    [event] = stored_events(tmp_path / "events")
    assert event.error == "no request event within 0.25 s"


def test_sweep_stores_only_the_halves_that_waited_the_timeout_and_counts_them(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> tuple[int, int, int, int]:
        await c.receive(half("request", "old-1", v2_request(rows), clock))
        await c.receive(half("response", "old-2", RESPONSE, clock))
        clock.now += 1.0
        await c.receive(half("request", "young", v2_request(rows), clock))
        clock.now += TIMEOUT - 1.0
        swept = await c.sweep()
        waiting = c.waiting
        clock.now += 1.0
        return swept, waiting, await c.sweep(), c.waiting

    assert run(tmp_path, script, clock=clock) == (2, 1, 1, 0)
    stored = sorted((e.request_id, e.kind) for e in stored_events(tmp_path / "events"))
    assert stored == [
        ("old-1", "request_only"),
        ("old-2", "response_only"),
        ("young", "request_only"),
    ]
    assert open_ids(tmp_path) == set()  # each add in the pending log is closed by a done


def test_a_reused_ce_id_stores_the_first_request_with_the_reason_and_keeps_the_second(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> tuple[list[str], int]:
        statuses = [
            await c.receive(half("request", "same", v2_request(rows), clock)),
            await c.receive(half("request", "same", v2_request(rows.head(1)), clock)),
        ]
        waiting = c.waiting
        statuses.append(await c.receive(half("response", "same", v2_response([7.0]), clock)))
        return statuses, waiting

    assert run(tmp_path, script, clock=clock) == (["pending", "pending", "stored"], 1)
    orphan, pair = stored_events(tmp_path / "events")
    assert (orphan.kind, orphan.error) == (
        "request_only",
        "another request arrived with the same ce-id",
    )
    assert len(orphan.inputs["median_income"]) == 3
    assert (pair.kind, pair.outputs) == ("prediction", {"median_house_value": [7.0]})
    assert pair.inputs["median_income"] == rows["median_income"].head(1).tolist()


def test_a_refused_pair_stores_the_partner_with_the_exact_refusal(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> str:
        await c.receive(half("response", "odd", v2_response([1.0]), clock))
        try:
            await c.receive(half("request", "odd", v2_request(rows), clock))
        except ValueError as e:
            return str(e)
        raise AssertionError("a pair of 3 request rows and 1 prediction was accepted")

    refusal = run(tmp_path, script, clock=clock)

    assert refusal == "body.outputs: 1 rows, but the request of ce-id 'odd' has 3"
    [event] = stored_events(tmp_path / "events")
    assert (event.kind, event.error) == ("response_only", f"its request was refused: {refusal}")


def test_duplicates_are_counted_one_by_one(tmp_path: Path, rows: pd.DataFrame) -> None:
    clock = Clock()
    request = v2_request(rows)

    async def script(c: Collector) -> tuple[list[str], int]:
        statuses = [await c.receive(half("request", "d", request, clock)) for _ in range(3)]
        return statuses, c.duplicates

    assert run(tmp_path, script, clock=clock) == (["pending", "duplicate", "duplicate"], 2)


def test_a_first_half_the_pending_log_refused_is_not_kept_and_its_resend_is_taken(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    pending = Pending(tmp_path / "pending")
    request = v2_request(rows)

    async def script(c: Collector) -> tuple[str, int, str, int]:
        pending.fail = OSError("disk full")
        with pytest.raises(OSError, match="disk full"):
            await c.receive(half("request", "f", request, clock))
        waiting = c.waiting
        pending.fail = None
        return "refused", waiting, await c.receive(half("request", "f", request, clock)), c.waiting

    assert run(tmp_path, script, clock=clock, pending=pending) == ("refused", 0, "pending", 1)


def test_a_twin_whose_store_failed_is_kept_waiting(tmp_path: Path, rows: pd.DataFrame) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")

    async def script(c: Collector) -> tuple[int, str]:
        await c.receive(half("request", "t", v2_request(rows), clock))
        sink.fail = OSError("store down")
        with pytest.raises(OSError):
            await c.receive(half("request", "t", v2_request(rows.head(1)), clock))
        sink.fail = None
        waiting = c.waiting
        return waiting, await c.receive(half("response", "t", RESPONSE, clock))

    assert run(tmp_path, script, clock=clock, sink=sink) == (1, "stored")
    [event] = stored_events(tmp_path / "events")
    assert event.kind == "prediction" and len(event.inputs["median_income"]) == 3


def test_a_pair_whose_store_failed_keeps_the_partner_and_the_resend_is_stored(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")

    async def script(c: Collector) -> tuple[int, str, int]:
        await c.receive(half("request", "p", v2_request(rows), clock))
        sink.fail = OSError("store down")
        with pytest.raises(OSError, match="store down"):
            await c.receive(half("response", "p", RESPONSE, clock))
        waiting = c.waiting
        sink.fail = None
        return waiting, await c.receive(half("response", "p", RESPONSE, clock)), c.waiting

    assert run(tmp_path, script, clock=clock, sink=sink) == (1, "stored", 0)
    assert [e.kind for e in stored_events(tmp_path / "events")] == ["prediction"]


def test_orphans_whose_store_failed_stay_open_and_the_next_sweep_stores_them(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")

    async def script(c: Collector) -> tuple[int, int, int, int]:
        await c.receive(half("request", "o", v2_request(rows), clock))
        clock.now += TIMEOUT
        sink.fail = OSError("store down")
        failed = await c.sweep()
        waiting = c.waiting
        sink.fail = None
        return failed, waiting, await c.sweep(), c.waiting

    assert run(tmp_path, script, clock=clock, sink=sink) == (0, 1, 1, 0)
    [event] = stored_events(tmp_path / "events")
    assert (event.request_id, event.kind) == ("o", "request_only")


def test_an_event_that_does_not_serialise_is_dead_lettered_and_the_rest_of_its_batch_stored(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")
    bad = Half("bad", "response", clock(), {}, b'{"median_house_value": ["\xff"]}', 3, digest="b")

    async def script(c: Collector) -> list[str]:
        for ce_id in ("held", "bad", "good"):
            await c.receive(half("request", ce_id, v2_request(rows), clock))
        sink.gate = threading.Event()
        held = asyncio.ensure_future(c.receive(half("response", "held", RESPONSE, clock)))
        while not sink.entered.is_set():
            await asyncio.sleep(0.001)
        batch = [  # queued behind the held write: one batch
            asyncio.ensure_future(c.receive(bad)),
            asyncio.ensure_future(c.receive(half("response", "good", RESPONSE, clock))),
        ]
        await asyncio.sleep(0.05)
        sink.gate.set()
        return list(await asyncio.gather(held, *batch))

    assert run(tmp_path, script, clock=clock, sink=sink) == ["stored", "dead_letter", "stored"]
    assert sorted(e.request_id for e in stored_events(tmp_path / "events")) == ["good", "held"]
    [dead] = dead_letters(tmp_path)
    assert dead["kind"] == "unserialisable"
    assert dead["reason"].startswith("event does not serialise: 'utf-8' codec can't decode")
    assert json.loads(dead["item"]) == {"request_id": "bad"}


def test_a_pair_that_does_not_serialise_answers_dead_letter(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    bad = Half("bad", "response", clock(), {}, b'{"median_house_value": ["\xff"]}', 3, digest="b")

    async def script(c: Collector) -> list[str]:
        return [
            await c.receive(half("request", "bad", v2_request(rows), clock)),
            await c.receive(bad),
        ]

    assert run(tmp_path, script, clock=clock) == ["pending", "dead_letter"]
    assert stored_events(tmp_path / "events") == []
    assert len(dead_letters(tmp_path)) == 1


@pytest.mark.parametrize(("max_batch", "batches"), [(3, [1, 3]), (2, [1, 2, 1])])
def test_queued_events_are_written_in_batches_of_at_most_max_batch(
    tmp_path: Path, rows: pd.DataFrame, max_batch: int, batches: list[int]
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")

    async def script(c: Collector) -> list[str]:
        for i in range(4):
            await c.receive(half("request", f"b{i}", v2_request(rows), clock))
        sink.gate = threading.Event()
        first = asyncio.ensure_future(c.receive(half("response", "b0", RESPONSE, clock)))
        while not sink.entered.is_set():  # the writer holds the first pair
            await asyncio.sleep(0.001)
        rest = [
            asyncio.ensure_future(c.receive(half("response", f"b{i}", RESPONSE, clock)))
            for i in (1, 2, 3)
        ]
        await asyncio.sleep(0.05)  # all three queued behind it
        sink.gate.set()
        return list(await asyncio.gather(first, *rest))

    assert run(tmp_path, script, clock=clock, sink=sink, max_batch=max_batch) == ["stored"] * 4
    assert sink.batches == batches
    assert len(stored_events(tmp_path / "events")) == 4


def test_a_batch_larger_than_max_batch_is_still_written(tmp_path: Path, rows: pd.DataFrame) -> None:
    clock = Clock()

    async def script(c: Collector) -> int:
        await c.receive(half("request", "x", v2_request(rows), clock))
        await c.receive(half("request", "y", v2_request(rows), clock))
        clock.now += TIMEOUT
        return await c.sweep()

    assert run(tmp_path, script, clock=clock, max_batch=1) == 2
    assert len(stored_events(tmp_path / "events")) == 2


@pytest.mark.parametrize(("compact_every", "lines"), [(3, 1), (4, 3)])
def test_the_pending_log_is_compacted_once_compact_every_records_were_written(
    tmp_path: Path, rows: pd.DataFrame, compact_every: int, lines: int
) -> None:
    clock = Clock()
    seen: list[int] = []

    async def script(c: Collector) -> list[str]:
        statuses = [
            await c.receive(half("request", "a", v2_request(rows), clock)),
            await c.receive(half("request", "b", v2_request(rows), clock)),
            await c.receive(half("response", "a", RESPONSE, clock)),  # 3 records: add, add, done
        ]
        for _ in range(100):  # compaction follows the write, after the answer
            await asyncio.sleep(0.01)
            seen.append(len(pending_lines(tmp_path)))
            if seen[-1] == lines:
                break
        return statuses

    assert run(tmp_path, script, clock=clock, compact_every=compact_every) == [
        "pending",
        "pending",
        "stored",
    ]
    assert seen[-1] == lines
    if lines == 1:
        [record] = pending_lines(tmp_path)
        assert (record["op"], record["id"]) == ("add", "b")


def test_a_restart_replays_the_waiting_halves_and_knows_their_resends(
    tmp_path: Path, rows: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    request = v2_request(rows)

    async def first(c: Collector) -> list[str]:
        return [
            await c.receive(half("request", "w1", request, clock)),
            await c.receive(half("response", "w2", RESPONSE, clock)),
        ]

    async def second(c: Collector) -> tuple[int, list[str]]:
        waiting = c.waiting
        return waiting, [
            await c.receive(half("request", "w1", request, clock)),
            await c.receive(half("request", "w2", request, clock)),
        ]

    assert run(tmp_path, first, clock=clock) == ["pending", "pending"]
    with caplog.at_level(logging.INFO, logger="monitoring.collector"):
        assert run(tmp_path, second, clock=clock) == (2, ["duplicate", "stored"])
    [started] = [r for r in caplog.records if r.getMessage() == "collector_started"]
    assert (started.replayed, started.dead_letters) == (2, 0)  # type: ignore[attr-defined]
    [event] = stored_events(tmp_path / "events")
    assert (event.request_id, event.kind) == ("w2", "prediction")


def test_a_restart_dead_letters_an_unusable_pending_record_with_its_reason(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    log = tmp_path / "pending" / "pending.jsonl"
    log.parent.mkdir(parents=True)
    record = {"op": "add", "key": "k", "id": "i", "kind": "other", "received": 0.0}
    log.write_text(json.dumps(record) + "\n" + '{"op": "add", "cut sh')  # and a cut last line

    async def script(c: Collector) -> tuple[int, int]:
        return c.waiting, c.dead.count

    assert run(tmp_path, script, clock=clock) == (0, 2)
    cut, dead = dead_letters(tmp_path)
    assert cut["item"] == '{"op": "add", "cut sh'  # what was read, for a person to look at
    assert dead["kind"] == "pending_invalid"
    assert dead["reason"] == "pending record: ValueError: kind 'other'"
    assert json.loads(dead["item"]) == record
    assert log.read_text() == ""  # compacted: not replayed again


@pytest.mark.parametrize(("timeout", "latest"), [(0.4, 0.5), (6.5, 7.5)])
def test_the_sweeper_stores_an_orphan_within_a_quarter_timeout_and_a_second_of_expiry(
    tmp_path: Path, rows: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, timeout: float, latest
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")
    written: list[float] = []
    real_sleep = asyncio.sleep

    async def elapse(delay: float, result: Any = None) -> Any:  # the sweeper's waits, on the clock
        clock.now += delay
        return await real_sleep(0, result)

    def write(events: Iterable[Any]) -> int:
        written.append(clock.now)
        return Sink.write(sink, events)

    sink.write = write  # type: ignore[method-assign]
    start = clock.now

    async def script(c: Collector) -> int:
        monkeypatch.setattr(asyncio, "sleep", elapse)
        await c.receive(half("request", "late", v2_request(rows), clock))
        while not written:
            await real_sleep(0.001)
        monkeypatch.undo()
        return c.waiting

    assert run(tmp_path, script, clock=clock, sink=sink, orphan_timeout_s=timeout) == 0
    assert timeout <= written[0] - start <= latest
    [event] = stored_events(tmp_path / "events")
    assert event.kind == "request_only"


def test_stop_waits_for_a_write_in_progress(tmp_path: Path, rows: pd.DataFrame) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")

    async def script(c: Collector) -> str:
        await c.receive(half("request", "s", v2_request(rows), clock))
        sink.gate = threading.Event()
        pair = asyncio.ensure_future(c.receive(half("response", "s", RESPONSE, clock)))
        while not sink.entered.is_set():
            await asyncio.sleep(0.001)
        stopping = asyncio.ensure_future(c.stop())
        await asyncio.sleep(0.05)
        sink.gate.set()
        await stopping
        await c.start()  # run()'s own stop needs running tasks
        return await pair

    assert run(tmp_path, script, clock=clock, sink=sink) == "stored"
    [event] = stored_events(tmp_path / "events")
    assert event.kind == "prediction"


@pytest.mark.parametrize(("written_before", "compacted"), [(99_998, True), (99_997, False)])
def test_the_pending_log_is_compacted_after_100_000_records_by_default(
    tmp_path: Path, rows: pd.DataFrame, written_before: int, compacted: bool
) -> None:
    clock = Clock()
    pending = Pending(tmp_path / "pending")

    async def script(c: Collector) -> int:
        pending.records_written = written_before  # as if that many were appended since start
        await c.receive(half("request", "a", v2_request(rows), clock))
        await c.receive(half("request", "b", v2_request(rows), clock))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if pending.records_written == 0:
                break
        return pending.records_written

    left = run(tmp_path, script, clock=clock, pending=pending)

    assert left == (0 if compacted else 99_999)


@pytest.mark.parametrize(("age", "status"), [(600.0, "duplicate"), (600.001, "pending")])
def test_a_resend_is_recognised_for_600_seconds_by_default(
    tmp_path: Path, rows: pd.DataFrame, age: float, status: str
) -> None:
    clock = Clock()
    request = v2_request(rows)

    async def script(c: Collector) -> str:
        await c.receive(half("request", "r", request, clock))
        clock.now += age
        return await c.receive(half("request", "r", request, clock))

    assert run(tmp_path, script, clock=clock) == status


def test_the_collector_forgets_every_closed_id(tmp_path: Path, rows: pd.DataFrame) -> None:
    clock = Clock()

    async def script(c: Collector) -> dict[str, Any]:
        for i in range(3):
            await c.receive(half("request", f"p{i}", v2_request(rows), clock))
            await c.receive(half("response", f"p{i}", RESPONSE, clock))
        await c.receive(half("response", "orphan", RESPONSE, clock))
        await c.receive(half("request", "twin", v2_request(rows), clock))
        await c.receive(half("request", "twin", v2_request(rows.head(1)), clock))
        clock.now += TIMEOUT
        await c.sweep()
        return dict(c.open)

    assert run(tmp_path, script, clock=clock) == {}  # nothing held: memory stays bounded
    assert len(stored_events(tmp_path / "events")) == 6


def test_failures_and_orphans_are_logged_with_what_an_operator_needs(
    tmp_path: Path, rows: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    sink = Sink(tmp_path / "events")
    bad = Half("bad", "response", clock(), {}, b'{"median_house_value": ["\xff"]}', 3, digest="b")

    async def script(c: Collector) -> None:
        await c.receive(half("request", "bad", v2_request(rows), clock))
        await c.receive(bad)
        await c.receive(half("response", "lone", RESPONSE, clock))
        sink.fail = OSError("store down")
        with pytest.raises(OSError):
            await c.receive(half("request", "lone", v2_request(rows.head(1)), clock))
        sink.fail = None
        clock.now += TIMEOUT
        await c.sweep()

    with caplog.at_level(logging.INFO, logger="monitoring.collector"):
        run(tmp_path, script, clock=clock, sink=sink)
    logged = {r.getMessage(): r for r in caplog.records}
    dead, failed, orphan = (
        logged[m] for m in ("dead_lettered", "store_write_failed", "orphan_stored")
    )
    assert dead.reason.startswith("event does not serialise: ")  # type: ignore[attr-defined]
    assert (dead.kind, dead.dead_letters) == ("unserialisable", 1)  # type: ignore[attr-defined]
    assert failed.error == "store down"  # type: ignore[attr-defined]
    assert (orphan.request_id, orphan.kind) == ("lone", "response_only")  # type: ignore[attr-defined]

"""The collector's core in-process, with a fake clock: orphan timeout, restart, resends, poison."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model.events import EventStoreWriter
from monitoring.cloudevents import BadEvent
from monitoring.collector import Collector
from monitoring.pending import DeadLetters, PendingLog
from monitoring_helpers import Clock, stored_events, v2_request, v2_response
from monitoring_helpers import half as _half

TIMEOUT = 60.0


def _collector(tmp: Path, clock: Clock) -> Collector:
    return Collector(
        EventStoreWriter(tmp / "events", "test", durable=True),
        PendingLog(tmp / "pending"),
        DeadLetters(tmp / "pending"),
        orphan_timeout_s=TIMEOUT,
        clock=clock,
    )


def _run(tmp: Path, clock: Clock, script: Callable[[Collector], Any]) -> Any:
    """Start a collector, run ``script`` with it, stop it (a process lifetime)."""
    (tmp / "pending").mkdir(parents=True, exist_ok=True)

    async def main() -> Any:
        collector = _collector(tmp, clock)
        await collector.start()
        try:
            return await script(collector)
        finally:
            await collector.stop()

    return asyncio.run(main())


def test_half_is_not_orphaned_one_tick_before_the_timeout_and_is_at_the_timeout(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    request = _half("request", "slow", v2_request(rows), clock)

    async def script(c: Collector) -> tuple[int, int, int]:
        await c.receive(request)
        clock.now += TIMEOUT - 0.001
        early = await c.sweep()
        clock.now += 0.001
        return early, await c.sweep(), c.waiting

    assert _run(tmp_path, clock, script) == (0, 1, 0)
    [event] = stored_events(tmp_path / "events")
    assert (event.kind, event.request_id) == ("request_only", "slow")


def test_restart_after_a_pair_replays_nothing_and_stores_no_orphan(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def pair(c: Collector) -> list[str]:
        return [
            await c.receive(_half("request", "p", v2_request(rows), clock)),
            await c.receive(_half("response", "p", v2_response([1.0, 2.0, 3.0]), clock)),
        ]

    async def later(c: Collector) -> tuple[int, int]:
        waiting = c.waiting
        clock.now += 10 * TIMEOUT
        return waiting, await c.sweep()

    assert _run(tmp_path, clock, pair) == ["pending", "stored"]
    assert _run(tmp_path, clock, later) == (0, 0)
    assert [e.kind for e in stored_events(tmp_path / "events")] == ["prediction"]
    assert (tmp_path / "pending" / "pending.jsonl").read_text() == ""


def test_resent_halves_are_acknowledged_as_duplicates_and_stored_once(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    request, response = v2_request(rows), v2_response([1.0, 2.0, 3.0])

    async def script(c: Collector) -> list[str]:
        sends = [("request", request), ("request", request), ("response", response)]
        sends += [("response", response), ("request", request)]
        return [await c.receive(_half(kind, "r", body, clock)) for kind, body in sends]

    statuses = _run(tmp_path, clock, script)

    assert statuses == ["pending", "duplicate", "stored", "duplicate", "duplicate"]
    assert [e.kind for e in stored_events(tmp_path / "events")] == ["prediction"]


def test_a_reused_ce_id_with_another_body_is_not_a_duplicate(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> list[str]:
        first = await c.receive(_half("request", "same", v2_request(rows), clock))
        second = await c.receive(_half("request", "same", v2_request(rows.head(3)), clock))
        return [first, second]

    assert _run(tmp_path, clock, script) == ["pending", "pending"]
    [orphan] = stored_events(tmp_path / "events")
    assert orphan.kind == "request_only" and "same ce-id" in (orphan.error or "")


def test_pair_with_different_row_counts_is_refused_and_its_partner_kept_with_the_reason(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()

    async def script(c: Collector) -> tuple[str, BadEvent, int]:
        first = await c.receive(_half("request", "odd", v2_request(rows), clock))
        with pytest.raises(BadEvent) as refused:
            await c.receive(_half("response", "odd", v2_response([1.0, 2.0]), clock))
        return first, refused.value, c.waiting

    first, refused, waiting = _run(tmp_path, clock, script)

    assert (first, refused.status, waiting) == ("pending", 422, 0)
    assert str(refused).startswith("body.outputs: 2 rows, but the request")
    [event] = stored_events(tmp_path / "events")
    assert event.kind == "request_only" and "refused" in (event.error or "")


def _poison_record(clock: Clock) -> dict[str, Any]:
    # What an older collector acknowledged: json.loads took the lone surrogate in the body.
    return {
        "op": "add",
        "key": "poison",
        "id": "poison",
        "kind": "request",
        "received": clock(),
        "attrs": {"ce-id": "poison"},
        "tensors": {"ocean_proximity": ["\ud800"]},
    }


def test_poison_in_the_pending_log_is_dead_lettered_once_and_other_halves_are_stored(
    tmp_path: Path, rows: pd.DataFrame
) -> None:
    clock = Clock()
    good = _half("request", "good", v2_request(rows), clock)
    good.key = "good"
    log = tmp_path / "pending" / "pending.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps(_poison_record(clock)) + "\n" + good.record_line() + "{trunc")

    async def sweep(c: Collector) -> tuple[int, int]:
        clock.now += TIMEOUT
        return await c.sweep(), c.dead.count

    assert _run(tmp_path, clock, sweep) == (1, 2)  # the poison and the partial last line
    assert _run(tmp_path, clock, sweep) == (0, 0)  # the restart replays neither again
    [event] = stored_events(tmp_path / "events")
    assert (event.request_id, event.kind) == ("good", "request_only")
    dead = [
        json.loads(line) for line in (log.parent / "dead-letter.jsonl").read_text().splitlines()
    ]
    [poison] = [d for d in dead if "surrogate" in d["reason"]]
    assert len(dead) == 2 and "\\ud800" in poison["item"]

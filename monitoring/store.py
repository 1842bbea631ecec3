"""Where the collector puts events and pending halves, durably, one batch at a time."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from model import s3
from model.events import EventStoreWriter, PredictionEvent, new_writer_id, partition


class EventSink(Protocol):
    """Writes a batch of events; returns only once they are durable."""

    def write(self, events: Sequence[PredictionEvent]) -> int: ...


class S3Sink:
    """One object per flush batch and hour partition: ``<prefix>/dt=…/hour=…/<writer>-<seq>.jsonl``.

    S3 has no append, so a batch is the unit; a put either lands whole or not at all.
    """

    def __init__(self, client: Any, uri: str, writer_id: str) -> None:
        self.client, self.writer_id, self.seq = client, writer_id, 0
        self.bucket, self.prefix = s3.split(uri)

    def write(self, events: Sequence[PredictionEvent]) -> int:
        by_part: dict[str, list[str]] = {}
        for event in events:
            part = partition(Path(), event.ts).as_posix()
            by_part.setdefault(part, []).append(event.to_line())
        for part, lines in by_part.items():
            self.seq += 1
            key = s3.join(self.prefix, part, f"{self.writer_id}-{self.seq:09d}.jsonl")
            self.client.put_object(Bucket=self.bucket, Key=key, Body="".join(lines).encode())
        return len(events)


def open_sink(uri: str, s3_endpoint_url: str | None) -> EventSink:
    """The event store named by ``HOUSING_EVENTS_URI``: a directory (fsynced) or S3."""
    writer_id = new_writer_id("collector")
    if s3.is_s3(uri):
        return S3Sink(s3.client(s3_endpoint_url), uri, writer_id)
    return EventStoreWriter(Path(uri), writer_id, durable=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PendingLog:
    """Append-only, fsynced log of halves waiting for their partner (``add``) and of halves
    that no longer wait (``done``). Replayed on start, then compacted to the open halves."""

    NAME = "pending.jsonl"

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.NAME
        self.records_written = 0

    def replay(self) -> tuple[list[dict[str, Any]], int]:
        """Open ``add`` records in log order, and the count of unreadable lines skipped."""
        if not self.path.exists():
            return [], 0
        adds: dict[str, dict[str, Any]] = {}
        bad = 0
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                    if record["op"] == "add":
                        adds.setdefault(record["key"], record)
                    else:
                        for key in record["keys"]:
                            adds.pop(key, None)
                except (ValueError, KeyError, TypeError):
                    bad += 1  # only a crash mid-write leaves one, and only as the last line
        return list(adds.values()), bad

    def compact(self, open_records: Iterable[dict[str, Any]]) -> None:
        """Rewrite the log with only ``open_records``, atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in open_records)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self.records_written = 0

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Append records with one ``write`` and an fsync."""
        if not records:
            return
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.records_written += len(records)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for i in range(0, len(items), size):
        yield items[i : i + size]

"""The collector's durable files: the log of halves waiting for their partner, and dead letters."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

PREVIEW = 2000  # characters of a dead record kept in the dead-letter file
# Why an item was quarantined: a fixed set, so it can be a metric label (one series each).
OVERSIZE = "pending_oversize"  # a pending-log line longer than the record limit
UNREADABLE = "pending_unreadable"  # a pending-log line that is not a record (not JSON, cut off)
INVALID = "pending_invalid"  # a record that no longer passes the checks on receipt
UNSERIALISABLE = "unserialisable"  # a paired or orphan event that cannot be written as JSON
KINDS = (OVERSIZE, UNREADABLE, INVALID, UNSERIALISABLE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _lines(fh: BinaryIO, limit: int) -> Iterable[tuple[bytes, bool]]:
    """Lines of at most ``limit`` bytes, and whether the line was cut (the rest is skipped)."""
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, False
            continue
        head = line
        while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass  # read past the oversize line without holding it
        yield head[:PREVIEW], True


class PendingLog:
    """Append-only, fsynced log of halves waiting for their partner (``add``) and of halves
    that no longer wait (``done``). Replayed on start, then compacted to the open halves.

    Args:
        directory: a durable directory (a PVC). max_record_bytes: a longer line is not parsed on
            replay (one record is at most a body plus its headers; see ``replay``).
    """

    NAME = "pending.jsonl"

    def __init__(self, directory: Path, *, max_record_bytes: int = 64 << 20) -> None:
        self.path = directory / self.NAME
        self.max_record_bytes = max_record_bytes
        self.records_written = 0

    def replay(self) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
        """Open ``add`` records in log order, and the lines that could not be read
        (kind, reason, text).

        Streams the log: memory holds the open records and one line of at most
        ``max_record_bytes``; a longer line (left by an older collector without a body limit)
        is skipped without being read whole. Only a crash mid-write leaves a partial line, and
        only as the last one.
        """
        if not self.path.exists():
            return [], []
        adds: dict[str, dict[str, Any]] = {}
        bad: list[tuple[str, str, str]] = []
        with self.path.open("rb") as fh:
            for number, (line, cut) in enumerate(_lines(fh, self.max_record_bytes), start=1):
                where = f"{self.path}:{number}"
                if cut:
                    bad.append(
                        (OVERSIZE, f"{where}: longer than {self.max_record_bytes} bytes", "")
                    )
                    continue
                try:
                    record = json.loads(line)
                    if record["op"] == "add":
                        adds.setdefault(record["key"], record)
                    else:
                        for key in record["keys"]:
                            adds.pop(key, None)
                except (ValueError, KeyError, TypeError) as e:
                    reason = f"{where}: unreadable ({type(e).__name__}: {e})"
                    bad.append((UNREADABLE, reason, line[:PREVIEW].decode("utf-8", "replace")))
        return list(adds.values()), bad

    def compact(self, open_lines: Iterable[str]) -> None:
        """Rewrite the log with only ``open_lines`` (the open halves' records), atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for line in open_lines:  # one at a time: no second copy of the whole log
                fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self.records_written = 0

    def append(self, lines: Sequence[str]) -> None:
        """Append record lines (JSON, newline-terminated) with one ``write`` and an fsync."""
        if not lines:
            return
        _append(self.path, "".join(lines).encode())
        self.records_written += len(lines)


class DeadLetters:
    """``dead-letter.jsonl``: what the collector accepted earlier but can never store.

    One fsynced line per item: ``{"ts", "kind", "reason", "item"}`` (``kind`` one of ``KINDS``;
    the item as JSON, ASCII-escaped so a lone surrogate survives, cut to ``PREVIEW`` characters).
    Nothing reads it back: it is for people, and the counts since start (``by_kind``, ``count``)
    for /healthz, /metrics and the logs.
    """

    NAME = "dead-letter.jsonl"

    def __init__(self, directory: Path) -> None:
        self.path = directory / self.NAME
        # Every kind from 0: a counter series that appears only with its first increment would
        # hide that increment from Prometheus' increase().
        self.by_kind = dict.fromkeys(KINDS, 0)

    @property
    def count(self) -> int:
        """Items dead-lettered since start."""
        return sum(self.by_kind.values())

    def add(self, kind: str, reason: str, item: Any) -> None:
        """Append one dead item with its kind (one of ``KINDS``) and the reason in words.

        Raises:
            ValueError: ``kind`` is not one of ``KINDS`` (a programming error).
        """
        if kind not in self.by_kind:
            raise ValueError(f"dead-letter kind {kind!r} is not one of {KINDS}")
        text = item if isinstance(item, str) else json.dumps(item, default=str)
        line = {"ts": time.time(), "kind": kind, "reason": reason, "item": text[:PREVIEW]}
        _append(self.path, (json.dumps(line) + "\n").encode())
        self.by_kind[kind] += 1

"""The collector's log of halves waiting for their partner: append-only, fsynced, replayed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


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

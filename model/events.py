"""Prediction events: the contract between what is served and what monitoring reads.

The predictor's local logging and the collector (fed by KServe's CloudEvents logger) both write
``PredictionEvent`` lines into the same time-partitioned store; the drift job reads them back with
the same class. A line is appended with one ``write`` call, one writer per file, so a partial
line can only ever be the last line of a file (a crash mid-write), and readers skip it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

Cell = float | int | str | None


class PredictionEvent(BaseModel):
    """One served request: raw inputs as received and outputs as returned (or an orphan half)."""

    model_config = ConfigDict(extra="forbid")

    ts: datetime
    request_id: str
    model_name: str = "housing"
    model_version: str
    inputs: dict[str, list[Cell]]
    outputs: dict[str, list[float | None]]
    kind: Literal["prediction", "request_only", "response_only"] = "prediction"
    source: Literal["predictor", "collector"] = "predictor"
    latency_ms: float | None = None
    error: str | None = None

    @field_validator("ts")
    @classmethod
    def _utc(cls, ts: datetime) -> datetime:
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)

    @property
    def rows(self) -> int:
        """Rows in the request (or response, for an orphan response)."""
        first = next(iter(self.inputs.values()), None) or next(iter(self.outputs.values()), [])
        return len(first)

    def to_line(self) -> str:
        """One JSON line, newline included."""
        return self.model_dump_json() + "\n"

    @classmethod
    def from_line(cls, line: str) -> PredictionEvent:
        """Parse one line. Raises pydantic.ValidationError (a ValueError) on a malformed line."""
        return cls.model_validate_json(line)


def partition(root: Path, ts: datetime) -> Path:
    """The directory that holds events of ``ts``'s hour."""
    ts = ts.astimezone(UTC)
    return root / f"dt={ts:%Y-%m-%d}" / f"hour={ts:%H}"


def new_writer_id(prefix: str) -> str:
    """A file name no other writer uses: prefix, host, pid and a random suffix."""
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class EventStoreWriter:
    """Appends events to ``<root>/dt=…/hour=…/<writer_id>.jsonl``.

    Args:
        root: the event store directory. writer_id: unique per process (``new_writer_id``).
        durable: fsync after each ``write``, so an acknowledged event survives a crash.
    """

    def __init__(self, root: Path, writer_id: str, *, durable: bool = False) -> None:
        self.root, self.writer_id, self.durable = root, writer_id, durable

    def write(self, events: Iterable[PredictionEvent]) -> int:
        """Append events, grouped per partition file; returns how many were written."""
        by_file: dict[Path, list[str]] = {}
        for event in events:
            file = partition(self.root, event.ts) / f"{self.writer_id}.jsonl"
            by_file.setdefault(file, []).append(event.to_line())
        for file, lines in by_file.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, "".join(lines).encode())
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        return sum(len(lines) for lines in by_file.values())


def event_files(root: Path, start: datetime, end: datetime) -> list[Path]:
    """The files whose hour partition overlaps [start, end), oldest first."""
    files, hour = [], start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        files += sorted(partition(root, hour).glob("*.jsonl"))
        hour += timedelta(hours=1)
    return files


def read_lines(root: Path, start: datetime, end: datetime) -> Iterator[tuple[Path, int, str]]:
    """Every raw line (file, 1-based line number, text) of the window's partitions."""
    for file in event_files(root, start, end):
        with file.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield file, number, line

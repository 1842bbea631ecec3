"""Prediction events: the contract between what is served and what monitoring reads, and the one
event store that holds them.

The predictor's local logging and the collector (fed by KServe's CloudEvents logger) write
``PredictionEvent`` lines into a time-partitioned store, ``<root>/dt=YYYY-MM-DD/hour=HH/*.jsonl``,
on a directory (``EventStoreWriter``) or on S3 (``S3EventWriter``); the drift job and
``housing-rollout`` read them back with ``EventReader``. A directory line is appended with one
``write`` call, one writer per file, so a partial line can only ever be the last line of a file
(a crash mid-write); an S3 object is one flush batch, put whole or not at all.

The reader is columnar and streams: it yields ``EventBatch``es of bounded size, so a consumer
that aggregates per batch keeps its memory flat however long the window. Lines are parsed with
orjson and checked by hand against ``PredictionEvent``'s fields (building one pydantic object
per line would cost more than the whole read); a line the reader accepts is one
``PredictionEvent.from_line`` accepts (tests/model/test_events.py). Malformed lines (not JSON,
invalid UTF-8 or lone surrogates, missing or unknown fields, wrong types, an unparsable ``ts``,
inputs and outputs of different lengths) are counted, quoted and skipped.
"""

from __future__ import annotations

import gc
import os
import socket
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, field_validator

from model import s3

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Cell = float | int | str | None
KINDS = ("prediction", "request_only", "response_only")
SOURCES = ("predictor", "collector")
VERSION = "model_version"
KIND = "kind"
PREDICTION_COLUMN = "prediction"  # the rows' point prediction, named as in reference.parquet
MAX_EXAMPLES = 5
DEFAULT_BATCH_ROWS = 100_000


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
        try:
            return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        except OverflowError as e:  # 0001-01-01T00:00+01:00: a ValueError is a clean 4xx
            raise ValueError(f"{ts.isoformat()} has no UTC time within years 1 to 9999") from e

    @property
    def rows(self) -> int:
        """Rows in the request (or response, for an orphan response)."""
        first = next(iter(self.inputs.values()), None) or next(iter(self.outputs.values()), [])
        return len(first)

    def to_line(self) -> str:
        """One JSON line, newline included.

        Raises:
            ValueError: a string holds a lone surrogate (not encodable as UTF-8).
        """
        return self.model_dump_json() + "\n"

    @classmethod
    def from_line(cls, line: str | bytes) -> PredictionEvent:
        """Parse one line. Raises pydantic.ValidationError (a ValueError) on a malformed line."""
        return cls.model_validate_json(line)


def partition(root: Path, ts: datetime) -> Path:
    """The directory that holds events of ``ts``'s hour."""
    ts = ts.astimezone(UTC)
    return root / f"dt={ts:%Y-%m-%d}" / f"hour={ts:%H}"


def new_writer_id(prefix: str) -> str:
    """A file name no other writer uses: prefix, host, pid and a random suffix."""
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Encoded(Protocol):
    """What a writer stores: a ``PredictionEvent``, or a line with the same fields (the collector
    splices one from the JSON it received), and the time that names its partition."""

    @property
    def ts(self) -> datetime: ...

    def to_line(self) -> str: ...


def _by_partition(events: Iterable[Encoded]) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for event in events:
        parts.setdefault(partition(Path(), event.ts).as_posix(), []).append(event.to_line())
    return parts


class EventWriter(Protocol):
    """Appends a batch of events; returns (the count) only once they are stored."""

    def write(self, events: Iterable[Encoded]) -> int: ...


class EventStoreWriter:
    """Appends events to ``<root>/dt=…/hour=…/<writer_id>.jsonl``.

    Args:
        root: the event store directory. writer_id: unique per process (``new_writer_id``).
        durable: fsync after each ``write``, so an acknowledged event survives a crash.
    """

    def __init__(self, root: Path, writer_id: str, *, durable: bool = False) -> None:
        self.root, self.writer_id, self.durable = root, writer_id, durable

    def write(self, events: Iterable[Encoded]) -> int:
        """Append events, grouped per partition file; returns how many were written."""
        parts = _by_partition(events)
        for part, lines in parts.items():
            file = self.root / part / f"{self.writer_id}.jsonl"
            file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, "".join(lines).encode())
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        return sum(len(lines) for lines in parts.values())


class S3EventWriter:
    """One object per ``write`` and hour partition: ``<prefix>/dt=…/hour=…/<writer>-<seq>.jsonl``.

    S3 has no append, so a batch is the unit; a put either lands whole or not at all.
    """

    def __init__(self, client: Any, uri: str, writer_id: str) -> None:
        self.client, self.writer_id, self.seq = client, writer_id, 0
        self.bucket, self.prefix = s3.split(uri)

    def write(self, events: Iterable[Encoded]) -> int:
        """Put one object per partition; returns how many events were written."""
        parts = _by_partition(events)
        for part, lines in parts.items():
            self.seq += 1
            key = s3.join(self.prefix, part, f"{self.writer_id}-{self.seq:09d}.jsonl")
            self.client.put_object(Bucket=self.bucket, Key=key, Body="".join(lines).encode())
        return sum(len(lines) for lines in parts.values())


def open_writer(
    uri: str, writer_id: str, *, s3_endpoint_url: str | None = None, durable: bool = False
) -> EventWriter:
    """The writer of the store named by ``uri``: a directory or ``s3://bucket/prefix``."""
    if s3.is_s3(uri):
        return S3EventWriter(s3.client(s3_endpoint_url), uri, writer_id)
    return EventStoreWriter(Path(uri), writer_id, durable=durable)


def _hours(start: datetime, end: datetime) -> Iterator[str]:
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield partition(Path(), hour).as_posix()
        hour += timedelta(hours=1)


def _dir_lines(root: Path, start: datetime, end: datetime) -> Iterator[tuple[str, int, bytes]]:
    for part in _hours(start, end):
        for file in sorted((root / part).glob("*.jsonl")):
            with file.open("rb") as fh:
                for number, line in enumerate(fh, start=1):
                    yield str(file), number, line


def _s3_lines(
    uri: str, endpoint: str | None, start: datetime, end: datetime
) -> Iterator[tuple[str, int, bytes]]:
    client = s3.client(endpoint)
    bucket, prefix = s3.split(uri)
    for part in _hours(start, end):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=s3.join(prefix, part) + "/"
        )
        for page in pages:
            for obj in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                for number, line in enumerate(body.splitlines(), start=1):
                    yield f"s3://{bucket}/{obj['Key']}", number, line


def _lines(
    uri: str, endpoint: str | None, start: datetime, end: datetime
) -> Iterator[tuple[str, int, bytes]]:
    if s3.is_s3(uri):
        return _s3_lines(uri, endpoint, start, end)
    return _dir_lines(Path(uri), start, end)


def store_lines(
    uri: str | Path, start: datetime, end: datetime, *, s3_endpoint_url: str | None = None
) -> Iterator[tuple[str, int, bytes]]:
    """Every line of the hour partitions that overlap [start, end), directory or ``s3://``:
    (file or object URI, line number, raw line). Lines are not parsed nor filtered by ``ts``."""
    return _lines(str(uri), s3_endpoint_url, start, end)


_REQUIRED = frozenset(("ts", "request_id", "model_version", "inputs", "outputs"))
_FIELDS = frozenset(PredictionEvent.model_fields)
_TEXT = ("ts", "request_id", "model_version")
_CELL = frozenset((float, int, str, type(None)))
_NUMBER = frozenset((float, int, type(None)))
_ERROR = frozenset((str, type(None)))
_LIST = {list}


class _Malformed(ValueError):
    """A line that does not fit ``PredictionEvent``."""


_META = ("ts", "request_id", "model_name", VERSION, KIND, "source", "latency_ms", "error")


def _bad_meta(meta: tuple[Any, ...]) -> str:
    ok = (
        *(type(v) is str for v in meta[:4]),
        meta[4] in KINDS,
        meta[5] in SOURCES,
        type(meta[6]) in _NUMBER,
        type(meta[7]) in _ERROR,
    )
    name, value = next((n, v) for n, v, good in zip(_META, meta, ok, strict=True) if not good)
    return f"{name}: {str(value)[:40]!r} is not allowed"


@dataclass
class EventBatch:
    """A bounded slice of a window, in columns.

    ``events``: one row per event in the window: ts (UTC), request_id, model_name, model_version,
    kind, source, latency_ms, error, rows. ``rows``: one row per served row of those events: the
    raw inputs as sent (object dtype; None where a response-only event has none), ``prediction``
    (float, NaN where a request-only event has none), ``model_version`` and ``kind``.
    """

    events: pd.DataFrame
    rows: pd.DataFrame
    malformed: int = 0

    def predictions(self) -> dict[str, pd.DataFrame]:
        """Rows of paired (``prediction``) events per model version: raw columns + prediction."""
        rows = self.rows[self.rows[KIND] == "prediction"]
        columns = [c for c in rows.columns if c not in (VERSION, KIND)]
        return {
            str(version): part[columns].reset_index(drop=True)
            for version, part in rows.groupby(VERSION, observed=True, sort=True)
        }


class _Batch:
    """Column lists of one batch while it is read."""

    def __init__(self, kept: Sequence[str], output: str) -> None:
        self.kept, self.output, self.size, self.malformed = frozenset(kept), output, 0, 0
        self.where: list[tuple[str, int]] = []
        self.meta: list[tuple[Any, ...]] = []
        self.rows: list[int] = []
        self.cells: dict[str, list[Any]] = {c: [] for c in (*kept, output)}
        self._inputs = [(c, self.cells[c]) for c in kept]

    def add(self, where: tuple[str, int], event: Any) -> None:
        """Check one parsed line against PredictionEvent and append it; raises _Malformed.

        Nothing is appended before every check passed: the columns stay aligned. Cells of the
        kept columns are type-checked per batch, vectorised (``bad_cells``).
        """
        if type(event) is not dict:
            raise _Malformed("not a JSON object")
        if not event.keys() >= _REQUIRED:
            raise _Malformed(f"missing field(s) {sorted(_REQUIRED - event.keys())}")
        if not event.keys() <= _FIELDS:
            raise _Malformed(f"unknown field(s) {sorted(event.keys() - _FIELDS)[:5]}")
        get = event.get
        meta = (
            event["ts"],
            event["request_id"],
            get("model_name", "housing"),
            event[VERSION],
            get(KIND, "prediction"),
            get("source", "predictor"),
            get("latency_ms"),
            get("error"),
        )
        if (
            type(meta[0]) is not str
            or type(meta[1]) is not str
            or type(meta[2]) is not str
            or type(meta[3]) is not str
            or meta[4] not in KINDS
            or meta[5] not in SOURCES
            or type(meta[6]) not in _NUMBER
            or type(meta[7]) not in _ERROR
        ):
            raise _Malformed(_bad_meta(meta))
        inputs, outputs = event["inputs"], event["outputs"]
        if type(inputs) is not dict or type(outputs) is not dict:
            raise _Malformed("inputs, outputs: must be objects")
        prediction = outputs.get(self.output)
        first = prediction if prediction is not None else next(iter(inputs.values()), [])
        n = len(first) if type(first) is list else 0
        if not (  # the usual event: the kept inputs and the prediction only, all lists of n
            inputs.keys() == self.kept
            and len(outputs) == 1
            and type(prediction) is list
            and {*map(type, inputs.values())} == _LIST
            and {*map(len, inputs.values())} == {n}
        ):
            self._check_tensors(inputs, outputs, n)
        self.where.append(where)
        self.meta.append(meta)
        self.rows.append(n)
        self.size += max(n, 1)
        get = inputs.get
        for c, column in self._inputs:
            column.extend(get(c) or [None] * n)
        self.cells[self.output].extend(prediction or [None] * n)

    def _check_tensors(self, inputs: dict[str, Any], outputs: dict[str, Any], n: int) -> None:
        for part, tensors, allowed in (("inputs", inputs, _CELL), ("outputs", outputs, _NUMBER)):
            for name, values in tensors.items():
                if type(values) is not list or len(values) != n:
                    raise _Malformed(f"{part}.{name}: not a list of {n} values (rows differ)")
                kept = name in self.kept or name == self.output
                if not kept and not allowed.issuperset(map(type, values)):
                    raise _Malformed(f"{part}.{name}: a value of a type not allowed")

    def bad_cells(self) -> dict[int, str]:
        """Events (index -> reason) with a kept cell of the wrong type: rare, so found lazily."""
        import numpy as np

        bad: dict[int, str] = {}
        offsets = np.cumsum(self.rows)
        for name, values in self.cells.items():
            allowed = _NUMBER if name == self.output else _CELL
            if allowed.issuperset(map(type, values)):
                continue
            for i, v in enumerate(values):
                if type(v) not in allowed:
                    event = int(np.searchsorted(offsets, i, side="right"))
                    bad.setdefault(event, f"{name}: {type(v).__name__} is not an allowed value")
                    values[i] = None  # the event is left out; the column must still convert
        return bad

    def frames(
        self, start: datetime, end: datetime
    ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """The events and rows in [start, end), and the problems of events left out."""
        import numpy as np
        import pandas as pd

        columns = dict(zip(_META, zip(*self.meta, strict=True), strict=True)) if self.meta else {}
        texts = _objects(columns.get("ts", ()))
        ts = pd.to_datetime(pd.Series(texts), utc=True, format="ISO8601", errors="coerce")
        problems = self.bad_cells()
        for i in np.flatnonzero(ts.isna().to_numpy()):
            problems.setdefault(int(i), f"ts: {texts[i][:40]!r} is not an ISO 8601 time")
        keep = ((ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))).to_numpy()
        keep[list(problems)] = False
        rows = np.asarray(self.rows, dtype=np.int64)
        events = pd.DataFrame(
            {c: _objects(columns.get(c, ())) for c in _META} | {"ts": ts, "rows": rows}
        )
        events = events.astype({"latency_ms": float, VERSION: "category", KIND: "category"})
        every = bool(keep.all())  # the usual case: no copy through a mask
        row_keep = slice(None) if every else np.repeat(keep, rows)
        cells = {
            c: (np.array(v, dtype=float) if c == self.output else _objects(v))[row_keep]
            for c, v in self.cells.items()
        }
        table = pd.DataFrame(cells, copy=False).rename(columns={self.output: PREDICTION_COLUMN})
        table[VERSION] = np.repeat(events[VERSION].to_numpy(), rows)[row_keep]
        table[KIND] = np.repeat(events[KIND].to_numpy(), rows)[row_keep]
        located = [f"{self.where[i][0]}:{self.where[i][1]}: {p}" for i, p in problems.items()]
        if every:
            return events, table, located
        return events[keep].reset_index(drop=True), table.reset_index(drop=True), located


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-d object array of the cells as they are (pandas' list conversion is ~5x slower)."""
    import numpy as np

    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class EventReader:
    """Streams the events of ``[start, end)`` from a store as ``EventBatch``es of bounded size.

    Iterate once; afterwards ``malformed``, ``malformed_examples`` (the first ``MAX_EXAMPLES``,
    ``where:line: problem``) and ``orphans`` (request_only / response_only events per kind,
    without crash-window duplicates: an orphan whose request_id also has a prediction) cover the
    whole window.

    Args:
        uri: event store directory or ``s3://bucket/prefix``.
        start, end: the window, timezone-aware; files are chosen by hour partition, events by ts.
        s3_endpoint_url: S3 endpoint (MinIO); None: AWS.
        batch_rows: a batch closes once its events hold this many rows (an event counts >= 1),
            so memory is bounded by it (plus one event) whatever the window's size.
    """

    def __init__(
        self,
        uri: str,
        start: datetime,
        end: datetime,
        *,
        s3_endpoint_url: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        from model.schema import RAW_COLUMNS, TARGET

        self.uri, self.start, self.end = uri, start, end
        self.endpoint, self.batch_rows = s3_endpoint_url, batch_rows
        self.columns, self.output = RAW_COLUMNS, TARGET
        self.malformed = 0
        self.malformed_examples: list[str] = []
        self.orphans: Counter[str] = Counter()
        self._predicted: list[np.ndarray] = []
        self._orphans: list[tuple[np.ndarray, np.ndarray]] = []

    def __iter__(self) -> Iterator[EventBatch]:
        batch = _Batch(self.columns, self.output)
        gc.disable()  # millions of small lists: the cyclic GC would rescan them over and over
        try:
            for where, number, line in _lines(self.uri, self.endpoint, self.start, self.end):
                if not line.strip():
                    continue
                try:
                    batch.add((where, number), orjson.loads(line))
                except ValueError as e:  # orjson.JSONDecodeError and _Malformed
                    batch.malformed += 1
                    self._note([f"{where}:{number}: {e}"])
                if batch.size >= self.batch_rows:
                    gc.enable()
                    yield self._close(batch)
                    gc.disable()
                    batch = _Batch(self.columns, self.output)
        finally:
            gc.enable()
        if batch.rows or batch.malformed:
            yield self._close(batch)
        self._count_orphans()

    def _note(self, problems: list[str]) -> None:
        self.malformed += len(problems)
        self.malformed_examples += problems[: MAX_EXAMPLES - len(self.malformed_examples)]

    def _close(self, batch: _Batch) -> EventBatch:
        import pandas as pd

        events, rows, problems = batch.frames(self.start, self.end)
        self._note(problems)
        ids = pd.util.hash_array(events["request_id"].to_numpy(dtype=object))
        is_prediction = (events[KIND] == "prediction").to_numpy()
        self._predicted.append(ids[is_prediction])
        self._orphans.append((ids[~is_prediction], events[KIND].to_numpy()[~is_prediction]))
        return EventBatch(events, rows, batch.malformed + len(problems))

    def _count_orphans(self) -> None:
        import numpy as np

        predicted = np.concatenate([np.empty(0, np.uint64), *self._predicted])
        for ids, kinds in self._orphans:
            self.orphans.update(kinds[~np.isin(ids, predicted)].tolist())
        self._predicted, self._orphans = [], []


@dataclass
class Window:
    """All of [start, end) at once: prediction rows per model version, and what was left out."""

    start: datetime
    end: datetime
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    events: Counter[str] = field(default_factory=Counter)
    orphans: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)

    @property
    def total_events(self) -> int:
        """Prediction events in the window, all versions."""
        return sum(self.events.values())


def read_window(
    uri: str, start: datetime, end: datetime, *, s3_endpoint_url: str | None = None
) -> Window:
    """The whole window in memory (``EventReader`` streams it): prediction rows per version.

    Orphans (request_only / response_only) are counted, not returned: they lack the prediction
    or the inputs.
    """
    import pandas as pd

    reader = EventReader(uri, start, end, s3_endpoint_url=s3_endpoint_url)
    parts: dict[str, list[pd.DataFrame]] = {}
    window = Window(start, end)
    for batch in reader:
        for version, frame in batch.predictions().items():
            parts.setdefault(version, []).append(frame)
        predicted = batch.events[batch.events[KIND] == "prediction"]
        window.events.update(predicted[VERSION].astype(str).tolist())
    window.frames = {v: pd.concat(f, ignore_index=True) for v, f in sorted(parts.items())}
    window.orphans, window.malformed = reader.orphans, reader.malformed
    window.malformed_examples = reader.malformed_examples
    return window

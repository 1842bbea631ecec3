"""Ground truth: sale prices keyed by the V2 response's request id and the row in that request.

Labels arrive late (``housing-feedback ingest``, the collector's ``POST /feedback``) and are stored
once per key in an append-only directory of JSON lines, one file per writing process: the same
key with the same value again is a duplicate (accepted, not stored twice), the same key with
another value is a conflict (refused, named). Monitoring's performance report and the rollout
compare join them to the prediction events by (request_id, row).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from model import s3
from model.errors import PublishError
from model.events import PredictionEvent, new_writer_id, store_lines
from model.schema import RAW_COLUMNS, TARGET, TARGET_RANGE, shown

KEY_FIELDS = ("request_id", "row")
MAX_REQUEST_ID = 256
MAX_ROW = 2**31 - 1  # far past any batch; keeps the store's int64 row column from overflowing
MAX_SHOWN = 20


@dataclass(frozen=True)
class Label:
    """One known outcome: the true price of row ``row`` of request ``request_id``."""

    request_id: str
    row: int
    value: float

    @property
    def key(self) -> tuple[str, int]:
        return (self.request_id, self.row)


@dataclass
class Ingested:
    """What one ingest did with its labels; nothing is left out of these counts."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, problem lists capped at MAX_SHOWN each (the counts are complete)."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "conflicts": len(self.conflicts),
            "invalid": len(self.invalid),
            "problems": (self.invalid + self.conflicts)[:MAX_SHOWN],
        }


def parse(record: Mapping[str, Any], where: str) -> Label | str:
    """A label from one record, or one message naming the field and the problem."""
    if not isinstance(record, Mapping):
        return f"{where}: expected an object with request_id, row and {TARGET}"
    rid, row, value = record.get("request_id"), record.get("row"), record.get(TARGET)
    if not isinstance(rid, str | int) or isinstance(rid, bool) or not str(rid).strip():
        return f"{where}.request_id: {shown(rid)} is not a non-empty string"
    if len(str(rid)) > MAX_REQUEST_ID:
        return f"{where}.request_id: longer than {MAX_REQUEST_ID} characters"
    row_number = _row(row)
    if row_number is None:
        return f"{where}.row: {shown(row)} is not a row index (an integer >= 0)"
    if row_number > MAX_ROW:
        return f"{where}.row: {shown(row)} is over the largest row index, {MAX_ROW}"
    try:
        number = float(value) if not isinstance(value, bool) and value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):  # an integer past float's range overflows
        number = None
    low, high = TARGET_RANGE
    if number is None or not math.isfinite(number) or not low < number <= high:
        return f"{where}.{TARGET}: {shown(value)} is not a price in ({low:g}, {high:g}]"
    return Label(str(rid).strip(), row_number, number)


def _row(row: Any) -> int | None:
    if isinstance(row, bool):
        return None
    if isinstance(row, float):
        return int(row) if row.is_integer() and row >= 0 else None
    try:
        number = int(str(row).strip())
    except ValueError:
        return None
    return number if number >= 0 else None


class LabelStore:
    """Labels under ``root`` as JSON lines, one file per writing process, one entry per key.

    On S3 (``s3://bucket/prefix``) each ``add`` puts one object, ``<writer>-<seq>.jsonl`` (S3 has
    no append); reading takes every ``*.jsonl`` object directly under the prefix.

    Args:
        root: the store directory (a PVC in the cluster; created by the first ``add``) or an
            ``s3://`` prefix.
        s3_endpoint_url: S3 endpoint (MinIO); None: AWS.

    Raises:
        PublishError: an ``s3://`` store that cannot be listed or read.
    """

    def __init__(self, root: Path | str, *, s3_endpoint_url: str | None = None) -> None:
        self.root = root
        self._s3 = s3.client(s3_endpoint_url) if s3.is_s3(root) else None
        self._writer, self._seq = new_writer_id("labels"), 0
        self._known: dict[tuple[str, int], float] = {}
        for label in self._read():
            self._known.setdefault(label.key, label.value)

    def _files(self) -> Iterator[tuple[str, Iterable[str]]]:
        if self._s3 is None:
            for file in sorted(Path(self.root).glob("*.jsonl")):
                with file.open(encoding="utf-8", errors="replace") as fh:
                    yield str(file), fh
            return
        prefix = str(self.root).rstrip("/")
        for name in s3.list_children(self._s3, prefix):
            if name.endswith(".jsonl"):
                uri = f"{prefix}/{name}"
                bucket, key = s3.split(uri)
                try:
                    body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                except Exception as e:  # botocore's errors share no base we import here
                    raise PublishError(f"labels: cannot read {uri}: {e}") from e
                yield uri, body.decode("utf-8", "replace").splitlines()

    def _read(self) -> Iterable[Label]:
        for where, lines in self._files():
            for line in lines:
                try:
                    got = parse(json.loads(line), where)
                except ValueError:
                    continue  # a crash mid-write leaves a partial last line only
                if isinstance(got, Label):
                    yield got

    def _append(self, lines: str) -> None:
        if self._s3 is not None:
            self._seq += 1
            uri = f"{str(self.root).rstrip('/')}/{self._writer}-{self._seq:09d}.jsonl"
            s3.put_text(self._s3, uri, lines)
            return
        root = Path(self.root)
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / f"{self._writer}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def __len__(self) -> int:
        return len(self._known)

    def _classify(
        self, where: str, label: Label, seen: dict[tuple[str, int], float], result: Ingested
    ) -> bool:
        """Count ``label`` in ``result``; True when its key is new to ``seen`` (then added)."""
        result.received += 1
        known = seen.get(label.key)
        if known is None:
            seen[label.key] = label.value
            return True
        if known == label.value:
            result.duplicates += 1
        else:
            result.conflicts.append(
                f"{where}: request_id {label.request_id!r} row {label.row} already has "
                f"{TARGET} {known:g}, not {label.value:g}"
            )
        return False

    def check(self, labels: Iterable[tuple[str, Label]]) -> Ingested:
        """Classify labels against the store (and each other) without writing anything."""
        result, seen = Ingested(), dict(self._known)
        result.stored = sum(self._classify(w, x, seen, result) for w, x in labels)
        return result

    def add(self, labels: Iterable[tuple[str, Label]], source: str) -> Ingested:
        """Store the labels whose key is new (one append and fsync); count the rest.

        Args:
            labels: (where, label) pairs; ``where`` names the record in problem messages.
            source: where they came from (a file URI or ``http``), kept with each label.
        """
        result, now = Ingested(), datetime.now(UTC).isoformat()
        new = [x for w, x in labels if self._classify(w, x, self._known, result)]
        lines = "".join(
            json.dumps(
                {
                    "request_id": x.request_id,
                    "row": x.row,
                    TARGET: x.value,
                    "received_at": now,
                    "source": source,
                }
            )
            + "\n"
            for x in new
        )
        if lines:
            try:
                self._append(lines)
            except (OSError, PublishError):
                for x in new:  # not stored: a retry must be able to store them
                    self._known.pop(x.key, None)
                raise
        result.stored = len(new)
        return result

    def frame(self) -> pd.DataFrame:
        """Every stored label: request_id, row, the price (first value stored per key)."""
        keys = list(self._known)
        return pd.DataFrame(
            {
                "request_id": [k[0] for k in keys],
                "row": pd.Series([k[1] for k in keys], dtype="int64"),
                TARGET: pd.Series(list(self._known.values()), dtype="float64"),
            }
        )


# Column names of a joined frame: the served outputs and the label (TARGET) side by side.
PRED, LOW, HIGH = "prediction", "lower", "upper"


@dataclass
class Labelled:
    """The window's events joined to the labels."""

    frames: dict[str, pd.DataFrame]
    labels_total: int
    matched: int
    unmatched_examples: list[str] = field(default_factory=list)

    @property
    def unmatched(self) -> int:
        """Stored labels with no prediction row in this window (kept for a later window)."""
        return self.labels_total - self.matched


def join(
    events_uri: str | Path,
    start: datetime,
    end: datetime,
    labels: pd.DataFrame,
    *,
    s3_endpoint_url: str | None = None,
) -> Labelled:
    """Prediction rows of [start, end) that have a label, one frame per model version.

    Args:
        events_uri: the event store, a directory or ``s3://bucket/prefix``.
        s3_endpoint_url: S3 endpoint (MinIO); None: AWS.

    Returns:
        Per version, the raw inputs, ``prediction`` and, when the request asked for them, the
        interval bounds ``lower``/``upper``, then the label ``median_house_value``.
    """
    from model.bundle import LOWER, PREDICTION, UPPER  # sklearn: not for the collector's import

    known = dict(
        zip(zip(labels["request_id"], labels["row"], strict=True), labels[TARGET], strict=True)
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    matched: set[tuple[str, int]] = set()
    for _, _, line in store_lines(events_uri, start, end, s3_endpoint_url=s3_endpoint_url):
        if not line.strip():
            continue
        try:
            event = PredictionEvent.from_line(line)
        except ValueError:
            continue  # the drift job counts malformed lines; here they simply carry no label
        if event.kind != "prediction" or not start <= event.ts < end:
            continue
        for i in range(event.rows):
            key = (event.request_id, i)
            if key not in known or key in matched:
                continue
            matched.add(key)
            row = {c: (event.inputs.get(c) or [None] * event.rows)[i] for c in RAW_COLUMNS}
            for name, column in ((PREDICTION, PRED), (LOWER, LOW), (UPPER, HIGH)):
                values = event.outputs.get(name)
                row[column] = values[i] if values else None
            row[TARGET] = known[key]
            rows.setdefault(event.model_version, []).append(row)
    missing = [k for k in known if k not in matched]
    return Labelled(
        frames={
            v: pd.DataFrame(r).astype({PRED: float, LOW: float, HIGH: float})
            for v, r in rows.items()
        },
        labels_total=len(known),
        matched=len(matched),
        unmatched_examples=[f"{rid}#{row}" for rid, row in missing[:10]],
    )

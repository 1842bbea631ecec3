"""The event store: writers, and the streaming columnar reader checked against PredictionEvent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pydantic
import pytest

from model.events import (
    PREDICTION_COLUMN,
    EventReader,
    EventStoreWriter,
    PredictionEvent,
    partition,
    read_window,
)
from model.schema import RAW_COLUMNS, TARGET

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
HOUR = (T0, T0 + timedelta(hours=1))


def _event(i: int, *, version: str = "v1", kind: str = "prediction", **kw: Any) -> PredictionEvent:
    inputs = {c: ["INLAND" if c == "ocean_proximity" else float(i)] for c in RAW_COLUMNS}
    return PredictionEvent(
        ts=T0 + timedelta(seconds=i),
        request_id=f"r{i}",
        model_version=version,
        inputs={} if kind == "response_only" else inputs,
        outputs={} if kind == "request_only" else {TARGET: [1000.0 * i]},
        kind=kind,  # type: ignore[arg-type]
        **kw,
    )


def _write_raw(root: Path, *lines: bytes) -> None:
    file = partition(root, T0) / "foreign.jsonl"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"".join(lines))


GOOD = json.loads(_event(7).to_line())
MALFORMED: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"not json\n", "invalid literal"),
    "not an object": (b"[1, 2]\n", "not a JSON object"),
    "missing field": (
        json.dumps({k: v for k, v in GOOD.items() if k != "model_version"}).encode(),
        "missing field(s) ['model_version']",
    ),
    "wrong type": (json.dumps({**GOOD, "model_version": 3}).encode(), "model_version: '3'"),
    "unknown field": (json.dumps({**GOOD, "extra": 1}).encode() + b"\n", "unknown field"),
    "unparsable ts": (json.dumps({**GOOD, "ts": "yesterday"}).encode() + b"\n", "ts: 'yesterday'"),
    "ts overflows UTC": (
        json.dumps({**GOOD, "ts": "0001-01-01T00:30:00+01:00"}).encode() + b"\n",
        "ts:",
    ),
    "lone surrogate": (
        json.dumps({**GOOD, "request_id": "\ud800"}).encode() + b"\n",
        "surrogate",
    ),
    "invalid UTF-8": (json.dumps(GOOD).encode().replace(b"r7", b"\xff\xfe") + b"\n", "UTF-8"),
    "nested cell": (
        json.dumps({**GOOD, "inputs": {**GOOD["inputs"], "median_income": [[1]]}}).encode() + b"\n",
        "median_income: list",
    ),
    "text prediction": (
        json.dumps({**GOOD, "outputs": {TARGET: ["high"]}}).encode() + b"\n",
        f"{TARGET}: str",
    ),
    "unknown kind": (json.dumps({**GOOD, "kind": "both"}).encode() + b"\n", "kind: 'both'"),
    "partial last line": (json.dumps(GOOD).encode()[:60], "unexpected end"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_reader_counts_names_and_skips_malformed_line_and_contract_rejects_it_too(
    tmp_path: Path, name: str
) -> None:
    line, reason = MALFORMED[name]
    if not line.endswith(b"\n") and name != "partial last line":
        line += b"\n"
    EventStoreWriter(tmp_path, "w").write([_event(1), _event(2)])
    _write_raw(tmp_path, line)

    reader = EventReader(str(tmp_path), *HOUR)
    batches = list(reader)

    assert reader.malformed == 1 and sum(b.malformed for b in batches) == 1
    assert "foreign.jsonl:1: " in reader.malformed_examples[0]
    assert reason in reader.malformed_examples[0]
    assert sorted(r for b in batches for r in b.events["request_id"]) == ["r1", "r2"]
    with pytest.raises(ValueError):
        PredictionEvent.from_line(line)


def test_reader_skips_event_with_uneven_columns_and_keeps_the_others_aligned(
    tmp_path: Path,
) -> None:
    EventStoreWriter(tmp_path, "a").write([_event(1), _event(2), _event(3)])
    uneven = {**GOOD, "inputs": {**GOOD["inputs"], "median_income": [7.0, 8.0]}}
    _write_raw(tmp_path, json.dumps(uneven).encode() + b"\n")
    EventStoreWriter(tmp_path, "z").write([_event(10), _event(11)])

    window = read_window(str(tmp_path), *HOUR)

    frame = window.frames["v1"]
    assert (window.events["v1"], window.malformed, len(frame)) == (5, 1, 5)
    assert "rows differ" in window.malformed_examples[0]
    assert list(frame.columns) == [*RAW_COLUMNS, PREDICTION_COLUMN]
    incomes = frame["median_income"].astype(float)
    assert sorted(incomes) == [1.0, 2.0, 3.0, 10.0, 11.0]
    assert (frame[PREDICTION_COLUMN] == 1000.0 * incomes).all()  # nothing shifted


def test_reader_yields_batches_of_at_most_batch_rows_and_every_event_once(tmp_path: Path) -> None:
    EventStoreWriter(tmp_path, "w").write([_event(i) for i in range(35)])

    batches = list(EventReader(str(tmp_path), *HOUR, batch_rows=10))

    assert [len(b.rows) for b in batches] == [10, 10, 10, 5]
    ids = [r for b in batches for r in b.events["request_id"]]
    assert sorted(ids) == sorted(f"r{i}" for i in range(35))


def test_reader_keeps_only_events_inside_the_window_without_counting_others_malformed(
    tmp_path: Path,
) -> None:
    start = T0 + timedelta(seconds=10)
    EventStoreWriter(tmp_path, "w").write([_event(i) for i in range(9, 13)])

    reader = EventReader(str(tmp_path), start, start + timedelta(seconds=2))
    ids = [r for b in reader for r in b.events["request_id"]]

    assert (ids, reader.malformed) == (["r10", "r11"], 0)


def test_reader_counts_orphans_and_drops_those_whose_request_also_has_a_prediction(
    tmp_path: Path,
) -> None:
    # A crash between "event stored" and "half closed" replays the half as an orphan later.
    EventStoreWriter(tmp_path, "before").write([_event(1), _event(2, kind="request_only")])
    EventStoreWriter(tmp_path, "after").write([_event(1, kind="request_only")])
    EventStoreWriter(tmp_path, "after").write([_event(3, kind="response_only")])

    reader = EventReader(str(tmp_path), *HOUR, batch_rows=1)
    batches = list(reader)

    assert dict(reader.orphans) == {"request_only": 1, "response_only": 1}
    rows = [b.rows for b in batches]
    response_only = next(r for r in rows if (r["kind"] == "response_only").any())
    assert response_only[PREDICTION_COLUMN].tolist() == [3000.0]
    assert response_only["median_income"].tolist() == [None]


def test_reader_reports_rows_errors_and_latency_per_event(tmp_path: Path) -> None:
    EventStoreWriter(tmp_path, "w").write(
        [_event(1, latency_ms=4.5), _event(2, kind="request_only", error="no response")]
    )

    [batch] = list(EventReader(str(tmp_path), *HOUR))

    events = batch.events.set_index("request_id")
    assert events.loc["r1", "latency_ms"] == 4.5 and events.loc["r1", "rows"] == 1
    assert events.loc["r2", "error"] == "no response" and events.loc["r2", "kind"] == "request_only"
    assert str(events["ts"].dtype) == "datetime64[ns, UTC]"


def test_prediction_event_rejects_ts_whose_utc_conversion_overflows() -> None:
    with pytest.raises(pydantic.ValidationError, match="no UTC time"):
        PredictionEvent.from_line(json.dumps({**GOOD, "ts": "0001-01-01T00:00:00+01:00"}))

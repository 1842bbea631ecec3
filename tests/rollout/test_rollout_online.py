"""The online view: per-version requests, errors, latency and prediction shift from local events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from model.events import EventStoreWriter, PredictionEvent, open_writer, partition
from model.schema import TARGET
from rollout.online import collect
from support import AWS_ENV, moto_s3

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def event(
    version: str,
    i: int,
    value: float,
    *,
    error: str | None = None,
    latency: float | None = 4.0,
    minutes: int = 0,
) -> PredictionEvent:
    return PredictionEvent(
        ts=T0 + timedelta(minutes=minutes, seconds=i),
        request_id=f"{version}-{i}",
        model_version=version,
        inputs={"median_income": [3.0]},
        outputs={} if error else {TARGET: [value]},
        error=error,
        latency_ms=latency,
    )


def test_collect_counts_errors_latency_and_shift_per_version(tmp_path):
    writer = EventStoreWriter(tmp_path, "test-writer")
    writer.write([event("champ", i, 200_000 + i) for i in range(90)])
    writer.write([event("chall", i, 260_000 + i, latency=9.0) for i in range(10)])
    writer.write([event("chall", 99, 0, error="internal error, request_id=x")])
    writer.write([event("old", 1, 1.0)])
    writer.write([event("champ", 500, 1.0, minutes=120)])  # outside the window
    with (partition(tmp_path, T0) / "crashed-writer.jsonl").open("w") as fh:
        fh.write('{"ts": "2026-11-26T15:00:00Z", "request_')  # a partial last line
    on = collect(str(tmp_path), T0, T0 + timedelta(hours=1), "champ", "chall")
    assert (on.champion.requests, on.champion.errors) == (90, 0)
    assert (on.challenger.requests, on.challenger.errors) == (11, 1)
    assert on.challenger.error_rate == 1 / 11
    assert on.challenger.latency(0.95) == 9.0 and on.champion.latency(0.5) == 4.0
    assert on.other_versions == {"old": 1}
    assert on.malformed_lines == 1
    assert on.ks == 1.0 and on.psi is not None and on.psi > 1


def test_collect_reports_no_shift_when_one_version_has_no_events(tmp_path):
    EventStoreWriter(tmp_path, "w").write([event("champ", i, 2e5) for i in range(5)])
    on = collect(str(tmp_path), T0, T0 + timedelta(hours=1), "champ", "chall")
    assert on.challenger.requests == 0 and on.ks is None and on.psi is None
    assert on.challenger.latency(0.95) is None


def test_collect_reads_an_s3_store_like_a_directory(monkeypatch):
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with moto_s3("events") as endpoint:
        writer = open_writer("s3://events/housing", "test", s3_endpoint_url=endpoint)
        writer.write([event("champ", i, 2e5 + i) for i in range(5)])
        writer.write([event("chall", i, 3e5 + i) for i in range(3)])
        on = collect(
            "s3://events/housing",
            T0,
            T0 + timedelta(hours=1),
            "champ",
            "chall",
            s3_endpoint_url=endpoint,
        )
    assert (on.champion.requests, on.challenger.requests) == (5, 3)
    assert on.ks == 1.0 and on.root == "s3://events/housing"

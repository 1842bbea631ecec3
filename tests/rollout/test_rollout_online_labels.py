"""Online labelled evidence for compare: each version's RMSE on its own labelled requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from model.bundle import PREDICTION
from model.events import EventStoreWriter, PredictionEvent, open_writer
from model.labels import Label, LabelStore
from model.schema import RAW_COLUMNS
from rollout.online_labels import collect, text
from support import moto_s3

T = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _serve(
    root: Path,
    version: str,
    truth: np.ndarray,
    error: float,
    prefix: str,
    s3: tuple[str, str] | None = None,
) -> list:
    rng = np.random.default_rng(len(prefix))
    events, labels = [], []
    for n, i in enumerate(range(0, len(truth), 10)):
        y = truth[i : i + 10]
        pred = y + rng.normal(0, error, len(y))
        rid = f"{prefix}-{n}"
        events.append(
            PredictionEvent(
                ts=T,
                request_id=rid,
                model_version=version,
                inputs={c: [1.0] * len(y) for c in RAW_COLUMNS},
                outputs={PREDICTION: pred.tolist()},
            )
        )
        labels += [("t", Label(rid, j, float(v))) for j, v in enumerate(y)]
    EventStoreWriter(root, prefix).write(events)
    if s3 is not None:  # the same events in an S3 store: (uri, endpoint)
        open_writer(s3[0], prefix, s3_endpoint_url=s3[1]).write(events)
    return labels


def test_collect_gives_each_version_its_rmse_when_both_served_labelled_rows(
    tmp_path: Path,
) -> None:
    truth = np.random.default_rng(0).uniform(1e5, 5e5, 400)
    store = LabelStore(tmp_path / "labels")
    store.add(_serve(tmp_path / "events", "champ", truth[:200], 40_000, "a"), "t")
    store.add(_serve(tmp_path / "events", "chall", truth[200:], 60_000, "b"), "t")
    window = (T - timedelta(hours=1), T + timedelta(hours=1))
    result = collect(tmp_path / "events", tmp_path / "labels", *window, ("champ", "chall"))
    assert result is not None
    champ, chall = result
    assert (champ.rows, chall.rows) == (200, 200)
    assert champ.rmse and chall.rmse
    assert champ.rmse.low < champ.rmse.value < champ.rmse.high < chall.rmse.low  # clearly apart
    assert "champion   champ: 200 labelled rows, RMSE" in text(result)


def test_collect_makes_no_claim_below_min_rows_and_none_without_labels(tmp_path: Path) -> None:
    window = (T - timedelta(hours=1), T + timedelta(hours=1))
    assert collect(tmp_path / "events", tmp_path / "labels", *window, ("a", "b")) is None
    truth = np.full(20, 2e5)
    LabelStore(tmp_path / "labels").add(_serve(tmp_path / "events", "a", truth, 1e4, "x"), "t")
    result = collect(tmp_path / "events", tmp_path / "labels", *window, ("a", "b"))
    assert result is not None
    assert (result[0].rows, result[0].rmse, result[1].rows) == (20, None, 0)
    assert "too few labelled rows" in text(result)


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto on loopback with bucket ``canary``."""
    with moto_s3("canary", monkeypatch) as url:
        yield url


def test_collect_reads_s3_event_and_label_stores_like_local_ones(
    tmp_path: Path, s3_endpoint: str
) -> None:
    truth = np.random.default_rng(1).uniform(1e5, 5e5, 300)
    local, remote = (
        LabelStore(tmp_path / "labels"),
        LabelStore("s3://canary/labels", s3_endpoint_url=s3_endpoint),
    )
    for version, part, error, prefix in (
        ("champ", truth[:150], 40_000, "a"),
        ("chall", truth[150:], 60_000, "b"),
    ):
        labels = _serve(
            tmp_path / "events", version, part, error, prefix, ("s3://canary/events", s3_endpoint)
        )
        local.add(labels, "t")
        remote.add(labels, "t")
    window = (T - timedelta(hours=1), T + timedelta(hours=1))
    on_disk = collect(tmp_path / "events", tmp_path / "labels", *window, ("champ", "chall"))
    on_s3 = collect(
        "s3://canary/events",
        "s3://canary/labels",
        *window,
        ("champ", "chall"),
        s3_endpoint_url=s3_endpoint,
    )
    assert on_disk is not None and on_s3 is not None
    assert [v.summary() for v in on_s3] == [v.summary() for v in on_disk]
    assert (on_s3[0].rows, on_s3[1].rows) == (150, 150)

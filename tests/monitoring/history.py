"""A workspace with history: seven simulated days of served predictions, drift rising on
median_income from day four, labels for the first five days, the drift job and the performance
report run once per day (what ``make demo`` does through the real predictor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from model.bundle import LOWER, PREDICTION, UPPER, load_bundle
from model.events import EventStoreWriter, PredictionEvent
from model.labels import Label, LabelStore
from model.predict import predict
from model.schema import RAW_COLUMNS, TARGET, validate_raw

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)


def income_factor(day: int, drift_from: int = 4) -> float:
    """1.0 before ``drift_from``, then 1.1, 1.2, ... one step more per day."""
    return 1.0 if day < drift_from else round(1.0 + 0.1 * (day - drift_from + 1), 2)


def _serve_day(root: Path, bundle_dir: Path, rows: pd.DataFrame, day: int) -> list[Label]:
    bundle = load_bundle(bundle_dir)
    out = predict(bundle, validate_raw(rows[list(RAW_COLUMNS)]), interval=True)
    events, labels = [], []
    ts = DAY0 + timedelta(days=day - 1, hours=12)
    for n, i in enumerate(range(0, len(rows), 10)):
        part, rid = rows.iloc[i : i + 10], f"day{day}-{n}"
        inputs = {c: [None if pd.isna(v) else v for v in part[c].tolist()] for c in RAW_COLUMNS}
        outputs = {
            k: [float(x) for x in out[k][i : i + len(part)]] for k in (PREDICTION, LOWER, UPPER)
        }
        events.append(
            PredictionEvent(
                ts=ts, request_id=rid, model_version=bundle.version, inputs=inputs, outputs=outputs
            )
        )
        labels += [Label(rid, j, float(v)) for j, v in enumerate(part[TARGET])]
    EventStoreWriter(root, f"day{day}").write(events)
    return labels


def fill(
    tmp: Path, bundle_dir: Path, data: pd.DataFrame, *, days: int = 7, labelled: int = 5
) -> str:
    """Serve, label and report ``days`` days into ``tmp/ws``; returns the project id."""
    from monitoring.feedback_settings import FeedbackSettings
    from monitoring.job import run as drift
    from monitoring.performance_job import run as performance
    from monitoring.settings import DriftSettings

    sample = data.sample(300 * days, random_state=11).reset_index(drop=True)
    store = LabelStore(tmp / "labels")
    for day in range(1, days + 1):
        rows = sample.iloc[(day - 1) * 300 : day * 300].copy()
        rows["median_income"] *= income_factor(day)
        labels = _serve_day(tmp / "events", bundle_dir, rows, day)
        if day <= labelled:
            store.add([("history", x) for x in labels], "history")
        start, end = DAY0 + timedelta(days=day - 1), DAY0 + timedelta(days=day)
        window = {"start": start.isoformat(), "end": end.isoformat(), "workspace": str(tmp / "ws")}
        drift(
            DriftSettings(
                events_uri=str(tmp / "events"),
                bundles_uri=str(bundle_dir.parent),
                reports_dir=tmp / "reports",
                **window,
            )
        )
        performance(
            FeedbackSettings(
                labels_dir=str(tmp / "labels"),
                events_uri=str(tmp / "events"),
                bundles_uri=str(bundle_dir.parent),
                performance_reports_dir=tmp / "performance",
                **window,
            )
        )
    from evidently.ui.workspace import Workspace

    [project] = Workspace(str(tmp / "ws")).list_projects()
    return str(project.id)

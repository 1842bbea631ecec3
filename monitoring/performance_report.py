"""The performance window as an Evidently regression report, one per model version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from model.schema import CATEGORICAL, TARGET
from monitoring.feedback_settings import FeedbackSettings
from monitoring.performance import HIGH, LOW, PRED, Labelled, VersionPerformance
from monitoring.settings import DEFAULT_KEY_COLUMNS

IN_INTERVAL = "in_interval"
VERSION = "model_version"
# Prices in thousands of dollars in the Evidently report and dashboard: its UI's y-axis has room
# for about three digits ("45,000" showed "45,…"; see PREDICTION_K in monitoring/drift.py). The
# JSON document keeps dollars.
TARGET_K, PRED_K = f"{TARGET}_k$", f"{PRED}_k$"


def _frame(frame: pd.DataFrame) -> pd.DataFrame:
    has = frame[LOW].notna() & frame[HIGH].notna()
    inside = frame[TARGET].between(frame[LOW], frame[HIGH]).astype(float).where(has)
    return pd.DataFrame(
        {
            TARGET_K: frame[TARGET].astype(float) / 1000,
            PRED_K: frame[PRED].astype(float) / 1000,
            IN_INTERVAL: inside,
            CATEGORICAL: frame[CATEGORICAL].astype(str),
        }
    )


def snapshot(frame: pd.DataFrame, result: VersionPerformance, timestamp: datetime) -> Any:
    """Evidently's RMSE, MAE, mean error (in k$), row count and interval coverage of one
    version."""
    from evidently import DataDefinition, Dataset, Regression, Report
    from evidently.metrics import MAE, RMSE, MeanError, MeanValue, RowCount

    definition = DataDefinition(
        numerical_columns=[TARGET_K, PRED_K, IN_INTERVAL],
        categorical_columns=[CATEGORICAL],
        regression=[Regression(target=TARGET_K, prediction=PRED_K)],
    )
    data = Dataset.from_pandas(_frame(frame), data_definition=definition)
    report = Report([RMSE(), MAE(), MeanError(), RowCount(), MeanValue(column=IN_INTERVAL)])
    return report.run(
        data,
        None,
        timestamp=timestamp.replace(tzinfo=None),
        name=f"performance {result.model_version}",
        metadata={VERSION: result.model_version, "status": result.status},
        tags=["housing", "performance"],
    )


def publish(
    labelled: Labelled,
    results: list[VersionPerformance],
    settings: FeedbackSettings,
    end: datetime,
) -> None:
    """Save each version's report as HTML and add it to the workspace project."""
    from monitoring.workspace import ensure_performance_panels, open_workspace, project_for

    workspace = open_workspace(settings.workspace)
    project = project_for(workspace, settings.project, [*DEFAULT_KEY_COLUMNS, PRED])
    stamp = end.strftime("%Y%m%dT%H%M%SZ")
    for result in results:
        if result.rmse is None:
            continue  # insufficient data: no numbers to plot
        snap = snapshot(labelled.frames[result.model_version], result, end)
        snap.save_html(
            str(settings.performance_reports_dir / f"{stamp}-{result.model_version}.html")
        )
        workspace.add_run(project.id, snap)
        ensure_performance_panels(project, result.model_version)

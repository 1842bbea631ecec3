"""The Evidently workspace: open it (directory or remote UI), create the project and its panels."""

from __future__ import annotations

import logging
from typing import Any

from model.events import VERSION
from monitoring.drift import COLUMNS, PREDICTION_K, QUANTILES

logger = logging.getLogger(__name__)
DESCRIPTION = "California-housing price model: drift and data quality of served predictions."
_V2 = "evidently:metric_v2:"


def open_workspace(uri: str, secret: str | None = None) -> Any:
    """A local ``Workspace`` for a directory, a ``RemoteWorkspace`` (writing with ``secret``,
    the dashboard's token) for an http(s) URL."""
    from evidently.ui.workspace import RemoteWorkspace, Workspace

    if uri.startswith(("http://", "https://")):
        return RemoteWorkspace(uri, secret=secret)
    return Workspace(uri)


def _panels(key_columns: list[str]) -> list[Any]:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import bar_plot_panel, counter_panel, line_plot_panel

    def metric(name: str, legend: str, **labels: str) -> PanelMetric:
        return PanelMetric(legend=legend, metric=_V2 + name, metric_labels=labels)

    return [
        counter_panel(
            "Share of drifted columns (last run)",
            size="half",
            values=[metric("DriftedColumnsCount", "share", value_type="share")],
        ),
        counter_panel(
            "Rows scored in the last run",
            size="half",
            values=[metric("RowCount", "rows")],
            aggregation="last",
        ),
        line_plot_panel(
            "Share of drifted columns over time",
            size="half",
            values=[metric("DriftedColumnsCount", "share", value_type="share")],
        ),
        line_plot_panel(
            "Drift score of key columns",
            size="half",
            values=[metric("ValueDrift", c, column=c) for c in key_columns],
        ),
        line_plot_panel(
            "Missing-value share per column",
            size="half",
            values=[metric("MissingValueCount", c, column=c, value_type="share") for c in COLUMNS],
        ),
        line_plot_panel(
            "Prediction in k$ (mean and quantiles)",
            size="half",
            values=[metric("MeanValue", "mean", column=PREDICTION_K)]
            + [
                metric("QuantileValue", f"q{int(q * 100)}", column=PREDICTION_K, quantile=str(q))
                for q in QUANTILES
            ],
        ),
        bar_plot_panel(
            "Rows scored per model version",
            size="full",
            values=[metric("CategoryCount", "rows", column=VERSION, value_type="count")],
        ),
    ]


def project_for(workspace: Any, name: str, key_columns: list[str]) -> Any:
    """The project called ``name``; created with its dashboard panels on first use."""
    found = [p for p in workspace.list_projects() if p.name == name]
    if found:
        return found[0]
    project = workspace.create_project(name, description=DESCRIPTION)
    for panel in _panels(key_columns):
        project.dashboard.add_panel(panel)
    logger.info("workspace_project_created", extra={"project": name, "id": str(project.id)})
    return project


def performance_panels(version: str) -> list[Any]:
    """RMSE, MAE (in thousands of dollars, see ``performance_report``) and interval coverage of
    one model version over time (its snapshots only)."""
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    def metric(name: str, legend: str, **labels: str) -> PanelMetric:
        return PanelMetric(
            legend=legend,
            metric=_V2 + name,
            metric_labels=labels,
            metadata={VERSION: version},
            tags=["performance"],
        )

    return [
        line_plot_panel(
            f"RMSE and MAE in k$ over time: {version}",
            size="half",
            values=[metric("RMSE", "RMSE"), metric("MAE", "MAE", value_type="mean")],
        ),
        line_plot_panel(
            f"Interval coverage over time: {version}",
            size="half",
            values=[metric("MeanValue", "coverage", column="in_interval")],
        ),
    ]


def ensure_performance_panels(project: Any, version: str) -> None:
    """Add the version's performance panels to the project's dashboard unless already there."""
    titles = {p.title for p in project.dashboard.model().panels}
    for panel in performance_panels(version):
        if panel.title not in titles:
            project.dashboard.add_panel(panel, tab="Performance")

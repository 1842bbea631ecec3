"""Settings of ``housing-feedback`` (labels and the performance report): ``HOUSING_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from model.settings import HousingSettings


class FeedbackSettings(HousingSettings):
    """``housing-feedback``: ingest labelled outcomes, report performance per model version."""

    labels_dir: str = "artifacts/labels"
    """Label store of JSON lines, one entry per (request_id, row): a directory (PVC) or
    s3://bucket/prefix (one object per ingest)."""
    events_uri: str = "artifacts/events"
    """Event store the labels are joined to: a directory or s3://bucket/prefix."""
    bundles_uri: str = "artifacts/bundles"
    """Bundles root: hold-out RMSE and promised interval coverage of each version."""
    bundle_cache: Path = Path.home() / ".cache" / "housing-kserve" / "bundles"
    """Where bundles downloaded from S3 are kept."""
    workspace: str = "artifacts/workspace"
    """Evidently workspace directory (or http(s):// URL) the performance snapshots go to."""
    performance_reports_dir: Path = Path("artifacts/reports/performance")
    """One ``<window end>-performance.json`` per run, plus Evidently HTML per version."""
    project: str = "housing"
    """Evidently project name (shared with the drift job)."""
    window_hours: float = Field(24.0, gt=0)
    """Window of prediction events joined to labels, ending at ``end``."""
    start: str | None = None
    """Window start (ISO 8601); unset: end - window_hours."""
    end: str | None = None
    """Window end (ISO 8601, exclusive); unset: now."""
    rmse_margin: float = Field(0.10, ge=0)
    """Degraded when the RMSE's CI lies above hold-out RMSE * (1 + rmse_margin)."""
    confidence: float = Field(0.95, gt=0.5, lt=1)
    """Level of the RMSE's bootstrap confidence interval."""
    min_labelled_rows: int = Field(30, ge=2)
    """Fewer labelled rows for a version: "insufficient data", no verdict."""
    pushgateway_url: str | None = None
    """Prometheus Pushgateway base URL for the performance gauges."""

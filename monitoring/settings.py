"""Settings of the drift job and the dashboard: ``HOUSING_*`` env vars, which Kubernetes sets.

The collector's are in ``monitoring.collector_settings``: no pandas in its 256 MiB pod.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from model.schema import CATEGORICAL, INCOME, LATITUDE, LONGITUDE
from model.settings import HousingSettings

# Gated when the bundle's manifest has no metrics["importance"]: the strongest raw inputs so far.
DEFAULT_KEY_COLUMNS: tuple[str, ...] = (INCOME, LATITUDE, LONGITUDE, CATEGORICAL)


class DriftSettings(HousingSettings):
    """``housing-drift``: one Evidently report per model version over a window of events."""

    events_uri: str = "artifacts/events"
    """Event store to read: a directory or s3://bucket/prefix."""
    bundles_uri: str = "artifacts/bundles"
    """Bundles root: the reference of version V is ``<root>/V/reference.parquet``."""
    bundle_cache: Path = Path.home() / ".cache" / "housing-kserve" / "bundles"
    """Where bundles downloaded from S3 are kept (bundles never change: never refreshed)."""
    workspace: str = "artifacts/workspace"
    """Evidently workspace directory, or the http(s):// URL of a remote Evidently UI."""
    reports_dir: Path = Path("artifacts/reports/drift")
    """Standalone HTML and JSON reports, one pair per model version and run."""
    state_file: Path | None = None
    """End of the last window; unset: ``<workspace>/.housing-drift/state.json`` (local workspace)
    or ``<reports_dir>/state.json`` (remote workspace)."""
    project: str = "housing"
    """Evidently project name (created with its dashboard on first use)."""
    window_hours: float = Field(24.0, gt=0)
    """Window length when there is no previous run."""
    start: str | None = None
    """Window start (ISO 8601); unset: the end of the last run, or end - window_hours."""
    end: str | None = None
    """Window end (ISO 8601, exclusive); unset: now."""
    drift_share: float = Field(0.5, gt=0, le=1)
    """Dataset drift when at least this share of the columns drifted (Evidently's rule)."""
    key_columns: list[str] = Field(default_factory=lambda: list(DEFAULT_KEY_COLUMNS))
    """Columns gated one by one when the manifest has no importance ranking."""
    key_columns_count: int = Field(4, ge=1)
    """How many of the manifest's most important columns are gated one by one."""
    gate_prediction: bool = True
    """Drift of the prediction alone also counts as drift."""
    max_missing_share: float = Field(0.05, ge=0, le=1)
    """Data-quality test: highest allowed share of missing values per column."""
    max_out_of_range_share: float = Field(0.0, ge=0, le=1)
    """Data-quality test: highest allowed share of values outside the schema's range."""
    max_out_of_list_share: float = Field(0.0, ge=0, le=1)
    """Data-quality test: highest allowed share of categories outside the schema's list."""
    fail_on_drift: bool = False
    """Exit 3 when drift is found (the CronJob then shows as failed)."""

    def resolved_state_file(self) -> Path:
        """The state file actually used."""
        if self.state_file is not None:
            return self.state_file
        if self.workspace.startswith(("http://", "https://")):
            return self.reports_dir / "state.json"
        return Path(self.workspace) / ".housing-drift" / "state.json"


class DashboardSettings(HousingSettings):
    """``housing-dashboard``: Evidently's UI over the workspace."""

    workspace: str = "artifacts/workspace"
    """Evidently workspace directory to serve."""
    dashboard_host: str = "127.0.0.1"
    """Interface to listen on (0.0.0.0 in a pod)."""
    dashboard_port: int = Field(8000, ge=1, le=65535)
    """HTTP port (docs/contracts.md)."""

"""Settings of the drift job and the dashboard: ``HOUSING_*`` env vars, which Kubernetes sets.

The collector's are in ``monitoring.collector_settings``: no pandas in its 256 MiB pod.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from model.schema import CATEGORICAL, INCOME, LATITUDE, LONGITUDE, RAW_COLUMNS
from model.settings import HousingSettings

# The drift gate (docs/monitoring.md): fixed here, so a retrain never changes what pages someone.
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
    dashboard_token: SecretStr | None = None
    """Write token of a remote Evidently UI (its own HOUSING_DASHBOARD_TOKEN); unused locally."""
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
    """Raw columns whose drift alone is drift (the gate); the same for every bundle."""
    gate_prediction: bool = True
    """The prediction is gated too."""
    drift_alpha: float = Field(0.01, gt=0, lt=0.5)
    """Family-wise false-alarm rate of the gate: share of no-drift windows in which any gated
    column is flagged (thresholds calibrated per bundle, scaled to the window size)."""
    calibration_replicates: int = Field(2000, ge=200)
    """Null replicates simulated per bundle to calibrate the thresholds (cached)."""
    calibration_seed: int = 0
    """Seed of the calibration, so a bundle's thresholds are reproducible."""
    calibration_dir: Path | None = None
    """Cache of calibrations per bundle; unset: ``calibration/`` beside the state file."""
    drift_sample_rows: int = Field(5000, ge=100)
    """Rows kept per model version: a uniform sample of the window's rows, so memory stays flat
    whatever the window's size (docs/monitoring.md)."""
    min_rows: int = Field(300, ge=1)
    """Fewer rows in a version's window: "insufficient data", no verdict (docs/monitoring.md)."""
    max_missing_share: float = Field(0.05, ge=0, le=1)
    """Data-quality test: highest allowed share of missing values per column."""
    max_out_of_range_share: float = Field(0.0, ge=0, le=1)
    """Data-quality test: highest allowed share of values outside the schema's range."""
    max_out_of_list_share: float = Field(0.0, ge=0, le=1)
    """Data-quality test: highest allowed share of categories outside the schema's list."""
    fail_on_drift: bool = False
    """Exit 3 when drift is found (the CronJob then shows as failed)."""
    pushgateway_url: str | None = None
    """Prometheus Pushgateway base URL for the verdict gauges; unset: the collector serves them."""

    @field_validator("key_columns")
    @classmethod
    def _known_columns(cls, columns: list[str]) -> list[str]:
        unknown = [c for c in columns if c not in RAW_COLUMNS]
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; choose from {list(RAW_COLUMNS)}")
        return columns

    def resolved_calibration_dir(self) -> Path:
        """The calibration cache actually used."""
        return self.calibration_dir or self.resolved_state_file().parent / "calibration"

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
    dashboard_token: SecretStr | None = None
    """Token a client must send (header ``evidently-secret``) to write through the UI's API;
    unset: the API is read-only (the drift job writes the workspace directory directly)."""

"""Settings of ``housing-train``: env vars (``HOUSING_*``) are the interface Kubernetes sets."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from model.data import DEFAULT_CACHE


class TrainSettings(BaseSettings):
    """Everything ``housing-train`` can be told; a CLI flag overrides its env var."""

    model_config = SettingsConfigDict(env_prefix="HOUSING_", extra="ignore")

    data_path: Path | None = None
    """A local housing.csv (verified by sha256); unset: the cache, else a download."""
    data_cache: Path = DEFAULT_CACHE
    """Where a downloaded housing.csv is kept."""
    publish_uri: str = "artifacts/bundles"
    """Bundles root: a directory / PVC mount, or s3://bucket/prefix (MinIO)."""
    s3_endpoint_url: str | None = None
    """S3 endpoint for MinIO, e.g. http://minio:9000; unset means AWS."""
    candidate: str = ""
    """Model to train; empty means the chosen champion of training.candidates."""
    test_size: float = 0.2
    """Hold-out share; 0.2 with seed 42 is the seed project's split."""
    seed: int = 42
    """Seed of the split, the CV folds and the models."""
    cv_folds: int = 5
    """Folds of the cross-validation on the training part (0 skips it)."""
    intervals: bool = True
    """Also fit the 5 % / 95 % quantile models for 90 % prediction intervals."""
    reference_rows: int = 5000
    """Training rows kept in the bundle as the drift reference."""
    sample_rows: int | None = None
    """Train on a random sample of this many rows (quick runs and tests only)."""
    compare: bool = False
    """Also run the evidence ladder (every candidate, with and without engineered features)."""
    report_dir: Path = Path("artifacts/reports")
    """Where the comparison table is written."""
    force: bool = False
    """Train even when the latest bundle already came from the same data, code and settings."""
    git_sha: str = ""
    """Code version for the lineage; unset: asked of git, else 'nogit'."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Log level of the JSON logs."""

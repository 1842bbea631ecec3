"""Settings of ``housing-train``: env vars (``HOUSING_*``) are the interface Kubernetes sets."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from model.settings import DatasetSettings
from training import candidates


class TrainSettings(DatasetSettings):
    """Everything ``housing-train`` can be told; a CLI flag overrides its env var."""

    publish_uri: str = "artifacts/bundles"
    """Bundles root: a directory / PVC mount, or s3://bucket/prefix (MinIO)."""
    candidate: str = ""
    """Model to train; empty means the chosen champion of training.candidates."""
    test_size: float = Field(0.2, gt=0, lt=1)
    """Hold-out share; 0.2 with seed 42 is the seed project's split."""
    seed: int = 42
    """Seed of the hold-out split, CV folds, interval calibration split and drift reference sample
    (each model's own random_state is fixed in training.candidates)."""
    cv_folds: int = Field(5, ge=0)
    """Folds of the cross-validation on the training part (0 skips it)."""
    intervals: bool = True
    """Also fit the 5 % / 95 % quantile models for 90 % prediction intervals."""
    reference_rows: int = Field(5000, ge=1)
    """Training rows kept in the bundle as the drift reference."""
    sample_rows: int | None = Field(None, ge=1)
    """Train on a random sample of this many rows (quick runs and tests only)."""
    compare: bool = False
    """Also run the evidence ladder (every candidate, with and without engineered features)."""
    report_dir: Path = Path("artifacts/reports")
    """Where the comparison table is written."""
    force: bool = False
    """Train even when the latest bundle already came from the same data, code and settings."""
    git_sha: str = ""
    """Code version for the lineage; unset: asked of git, else 'nogit'."""

    @field_validator("candidate")
    @classmethod
    def _known_candidate(cls, name: str) -> str:
        if name and name not in candidates.ladder():
            raise ValueError(f"{name!r} is not one of {sorted(candidates.ladder())}")
        return name

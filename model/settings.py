"""The base of every settings class: ``HOUSING_*`` env vars, the interface Kubernetes sets.

Each entry point has one subclass. A field's attribute docstring is its documentation: it is the
``--help`` text of the flag mapped to it (model/cli.py) and its row of the environment-variable
table in docs/contracts.md (``make docs`` regenerates that table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
# Here, not in model.data, so that a settings class costs no pandas import: the collector's pod
# has 256 MiB, and pandas alone is ~70 MB of it.
DEFAULT_CACHE = Path.home() / ".cache" / "housing-kserve"


class HousingSettings(BaseSettings):
    """Fields every component shares; a CLI flag overrides its env var."""

    model_config = SettingsConfigDict(
        env_prefix="HOUSING_", extra="ignore", use_attribute_docstrings=True
    )

    log_level: LogLevel = "INFO"
    """Level of the JSON logs."""
    s3_endpoint_url: str | None = None
    """S3 endpoint for MinIO, e.g. http://minio:9000; unset means AWS."""


class DatasetSettings(HousingSettings):
    """Settings of the commands that read housing.csv (training, rollout)."""

    data_path: Path | None = None
    """A local housing.csv (verified by sha256); unset: the cache, else a download."""
    data_cache: Path = DEFAULT_CACHE
    """Where a downloaded housing.csv is kept."""

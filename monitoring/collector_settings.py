"""Settings of ``housing-collector``, apart from the other monitoring settings: the collector's
pod has 256 MiB, and ``monitoring.settings`` imports the schema, which pulls in pandas (~70 MB)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from model.settings import HousingSettings


class CollectorSettings(HousingSettings):
    """``housing-collector``: the sink of KServe's inference logger."""

    events_uri: str = "artifacts/events"
    """Event store: a directory (PVC) or s3://bucket/prefix (one object per flush batch)."""
    collector_pending_dir: Path = Path("artifacts/collector")
    """Local, durable directory (a PVC) for the halves waiting for their partner and the dead
    letters (what was accepted but can never be stored)."""
    collector_host: str = "0.0.0.0"
    """Interface to listen on."""
    collector_port: int = Field(8090, ge=1, le=65535)
    """HTTP port (docs/contracts.md)."""
    collector_orphan_timeout_s: float = Field(60.0, gt=0)
    """A half still unpaired after this long is stored alone as request_only / response_only."""
    collector_max_batch: int = Field(1000, ge=1)
    """Most events written (and fsynced, or put as one S3 object) in one flush."""
    collector_max_body_bytes: int = Field(6 << 20, ge=1024)
    """Largest CloudEvent body taken (413 above): keep it at least the predictor's body limit,
    64 KiB + 512 B x HOUSING_MAX_BATCH_ROWS (5.2 MB at 10,000 rows)."""
    collector_max_values: int = Field(200_000, ge=1)
    """Most values (JSON scalars) in one CloudEvent body (413 above), counted before parsing: a
    parsed value costs ~40 bytes. 10,000 rows x 9 inputs is 90,000."""
    collector_dedupe_window: int = Field(50_000, ge=0)
    """Recent CloudEvents (ce-id, type, body) remembered for 10 min: a resend is answered 200
    "duplicate" and not stored twice (about 200 bytes each)."""
    labels_dir: Path = Path("artifacts/labels")
    """Label store of ``POST /feedback`` (a PVC directory), shared with ``housing-feedback``."""
    verdict_dirs: list[str] = Field(
        default_factory=lambda: ["artifacts/reports/drift", "artifacts/reports/performance"]
    )
    """Where the drift and performance jobs write their documents; /metrics serves the newest."""

"""Settings of ``housing-predictor``: env vars (``HOUSING_*``) are the interface Kubernetes sets.

The flags extend KServe's own ``kserve.model_server.parser``, so every ModelServer flag
(``--http_port``, ``--grpc_port``, ``--enable_grpc``, ``--workers`` ...) keeps working.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Flags we add or redefine; a flag given on the command line overrides its HOUSING_* env var.
_OWN_FLAGS = (
    "model_name",
    "model_dir",
    "max_batch_rows",
    "events_uri",
    "events_queue_size",
    "log_level",
)


class PredictorSettings(BaseSettings):
    """Everything ``housing-predictor`` can be told besides KServe's ModelServer flags."""

    model_config = SettingsConfigDict(env_prefix="HOUSING_", extra="ignore")

    model_name: str = "housing"
    """Name in the V2 path /v2/models/{model_name}/infer."""
    model_dir: Path = Path("/mnt/models")
    """Bundle dir; KServe's storage initializer fills it from STORAGE_URI on kserve-container."""
    bundle_wait_seconds: float = Field(0, ge=0)
    """Wait this long for a bundle to appear in model_dir, alive but not ready; 0 fails at once."""
    max_batch_rows: int = Field(10_000, ge=1)
    """Most rows one request may carry; more is a 400."""
    events_uri: str | None = None
    """Local request logging: an event store directory; unset turns it off."""
    events_queue_size: int = Field(10_000, ge=1)
    """Requests buffered for the event writer thread; when full, new events are dropped."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Level of the JSON logs (stdout)."""


def build_parser(kserve_parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """KServe's ModelServer parser plus our flags.

    Args:
        kserve_parser: ``kserve.model_server.parser`` (passed in so importing this is free).

    Returns:
        A parser whose namespace holds KServe's flags and ours (ours default to None: unset).
    """
    parser = argparse.ArgumentParser(
        prog="housing-predictor",
        parents=[kserve_parser],
        description="KServe V2 predictor of California house prices.",
    )
    parser.add_argument("--model_dir", help="bundle directory (HOUSING_MODEL_DIR, /mnt/models)")
    parser.add_argument("--max_batch_rows", type=int, help="row limit (HOUSING_MAX_BATCH_ROWS)")
    parser.add_argument("--events_uri", help="event store directory (HOUSING_EVENTS_URI)")
    parser.add_argument("--events_queue_size", type=int, help="HOUSING_EVENTS_QUEUE_SIZE")
    parser.add_argument("--log_level", help="HOUSING_LOG_LEVEL (INFO)")
    # --model_name is KServe's flag (default "model"); unset it so HOUSING_MODEL_NAME can apply.
    # One JSON line per request is ours; KServe's extra latency line is opt-in.
    parser.set_defaults(model_name=None, enable_latency_logging=False)
    return parser


def settings_from(args: argparse.Namespace) -> PredictorSettings:
    """Settings from env vars, overridden by the flags that were given."""
    given: dict[str, Any] = {
        k: getattr(args, k) for k in _OWN_FLAGS if getattr(args, k, None) is not None
    }
    return PredictorSettings(**given)

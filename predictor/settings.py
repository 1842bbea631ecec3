"""Settings of ``housing-predictor``: env vars (``HOUSING_*``) are the interface Kubernetes sets.

The flags extend KServe's own ``kserve.model_server.parser``, so every ModelServer flag
(``--http_port``, ``--grpc_port``, ``--enable_grpc``, ``--workers`` ...) keeps working.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import Field

from model import cli
from model.settings import HousingSettings

# Flags we add, spelt like KServe's (--model_dir); --model_name is KServe's own.
_OWN_FLAGS = (
    "model_dir",
    "max_batch_rows",
    "events_uri",
    "events_queue_size",
    "drain_seconds",
    "log_level",
)


class PredictorSettings(HousingSettings):
    """Everything ``housing-predictor`` can be told besides KServe's ModelServer flags."""

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
    drain_seconds: float = Field(15, ge=0)
    """After SIGTERM: not ready, but serving until idle for 1 s, at most this long."""


def build_parser(kserve_parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """KServe's ModelServer parser plus our flags.

    Args:
        kserve_parser: ``kserve.model_server.parser`` (passed in so importing this is free).

    Returns:
        A parser whose namespace holds KServe's flags and ours (ours default to None: unset).
    """
    parser = cli.ArgumentParser(
        prog="housing-predictor",
        parents=[kserve_parser],
        description="KServe V2 predictor of California house prices.",
    )
    flags = {name: f"--{name}" for name in _OWN_FLAGS}
    cli.add_settings_flags(parser, PredictorSettings, _OWN_FLAGS, flags=flags)
    # --model_name is KServe's flag (default "model"); unset it so HOUSING_MODEL_NAME can apply.
    # One JSON line per request is ours; KServe's extra latency line is opt-in.
    parser.set_defaults(model_name=None, enable_latency_logging=False)
    return parser

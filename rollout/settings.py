"""Settings of ``housing-rollout``: env vars (``HOUSING_*``) are the interface a CronJob sets."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from model.data import DEFAULT_CACHE


class RolloutSettings(BaseSettings):
    """Everything ``housing-rollout`` reads from the environment; a flag overrides its env var."""

    model_config = SettingsConfigDict(env_prefix="HOUSING_", extra="ignore")

    data_path: Path | None = None
    """housing.csv for the hold-out set (verified by sha256); unset: the cache, else a download."""
    data_cache: Path = DEFAULT_CACHE
    """Where a downloaded housing.csv is kept."""
    bundles_uri: str | None = None
    """Bundles root (directory or s3://) to find a bundle by model version or pvc:// URI."""
    events_uri: str | None = None
    """Prediction-event store (dir or s3://) for the online view (unset: offline evidence only)."""
    s3_endpoint_url: str | None = None
    """S3 endpoint for MinIO, e.g. http://minio:9000; unset means AWS."""
    reports_dir: Path = Path("artifacts/reports")
    """The comparison report goes to <reports_dir>/rollout/<champion>--<challenger>/."""
    release: str = "housing"
    """Helm release of the chart."""
    namespace: str | None = None
    """Namespace of the release; unset: the kubeconfig context's (or the pod's) namespace."""
    chart: Path = Path("charts/housing")
    """Chart that `helm upgrade` applies (the same version as the release: values change only)."""
    helm: str = "helm"
    """helm binary (name on PATH or a path, e.g. .tools/bin/helm)."""
    kubeconfig: str | None = Field(
        default=None, validation_alias=AliasChoices("HOUSING_KUBECONFIG", "KUBECONFIG")
    )
    """kubeconfig file(s), ':'-separated (KUBECONFIG); unset: ~/.kube/config, else in-cluster."""
    kube_context: str | None = None
    """kubeconfig context; unset: the current one."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    """Log level of the JSON logs (the CLI's own output is the table or JSON)."""

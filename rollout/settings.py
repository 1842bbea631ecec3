"""Settings of ``housing-rollout``: env vars (``HOUSING_*``) are the interface a CronJob sets."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field

from model.settings import DatasetSettings, LogLevel


class RolloutSettings(DatasetSettings):
    """Everything ``housing-rollout`` reads from the environment; a flag overrides its env var."""

    bundles_uri: str | None = None
    """Bundles root (directory or s3://) to find a bundle by model version or pvc:// URI."""
    events_uri: str | None = None
    """Prediction-event store (dir or s3://) for the online view (unset: offline evidence only)."""
    labels_dir: str | None = None
    """Label store (housing-feedback; directory or s3://) joined to the event store: each version's
    online RMSE."""
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
    log_level: LogLevel = "WARNING"
    """Level of the JSON logs, on stderr (stdout carries the table or JSON)."""

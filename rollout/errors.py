"""Errors of the rollout CLI; each maps to an exit code with a one-line message."""

from __future__ import annotations

from model.errors import HousingError


class ClusterError(HousingError):
    """The Kubernetes API could not be reached or refused the request (kubeconfig, 403, 404)."""


class HelmError(HousingError):
    """``helm`` is missing, or a helm command failed, or the values do not allow the action."""


class NotConverged(HousingError):
    """The InferenceService did not reach the requested traffic split and readiness (exit 12)."""

    exit_code = 12

"""Fixtures of the rollout tests; the objects they build live in rollout_objects.py."""

from rollout_objects import apiserver, helm, linear_bundle, objects

__all__ = ["apiserver", "helm", "linear_bundle", "objects"]

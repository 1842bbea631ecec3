"""Traffic changes as Helm value changes: the chart stays the single source of truth.

What each action sets, relative to KServe's Knative canary (``canaryTrafficPercent``: the latest
ready revision gets that share, the last revision rolled out at 100 % keeps the rest):

- ``canary N --bundle-uri U``: ``challenger.enabled=true``, ``challenger.bundleUri=U``,
  ``challenger.trafficPercent=0``, then (once its revision is ready) ``trafficPercent=N``. The
  chart renders ``STORAGE_URI=U``, so Knative creates a new revision; it gets N %, the champion's
  revision keeps 100-N %.
- ``canary N`` (canary already running): only ``challenger.trafficPercent=N``; no new revision.
- ``promote``: ``champion.bundleUri=<challenger's URI>``, ``challenger.enabled=false``,
  ``challenger.bundleUri=""``. The rendered predictor template is unchanged (``STORAGE_URI`` was
  already the challenger's), so no new revision is created; only ``canaryTrafficPercent``
  disappears, and KServe routes 100 % to the latest revision, which becomes the rolled-out one.
  The values are left in their plain state (champion only), ready for the next canary.
- ``rollback``: ``challenger.trafficPercent=0``. Traffic returns at once to the revision that
  is already running (the last one rolled out at 100 %); no new revision has to start. The
  challenger's revision stays, at 0 %, until the next ``canary --bundle-uri`` replaces it.
  Disabling the challenger right away would render the champion's URI as a *new* revision and,
  without a canary percent, route 100 % to the latest *ready* revision -- the rolled-back
  challenger -- until the new one is ready.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rollout.errors import HelmError

# Schemes KServe's storage initializer fetches, and URI characters without a meaning to helm's
# --set-string parser (helm/helm pkg/strvals/parser.go at 020e4d2, runesUntil/val/valList: ','
# ends a value and starts the next assignment, '\\' escapes, a leading '{' makes a list): a
# bundle URI can set no other value.
_BUNDLE_URI = re.compile(r"(pvc|s3|gs|https?)://[A-Za-z0-9._~/:@+-]+")


def check_bundle_uri(uri: str) -> str:
    """``uri`` when it is a plain storage URI.

    Raises:
        HelmError: another scheme, or a character outside letters, digits and ``._~/:@+-``.
    """
    if not _BUNDLE_URI.fullmatch(uri):
        raise HelmError(
            f"--bundle-uri {uri!r}: not a pvc://, s3://, gs:// or http(s):// URI of letters, "
            "digits and ._~/:@+- only"
        )
    return uri


@dataclass(frozen=True)
class Plan:
    """The values an action sets and the InferenceService state it must lead to."""

    action: str
    values: dict[str, str | int | bool]
    latest_percent: int
    """Share the ``latestRevision`` traffic target must reach."""
    new_revision: bool
    """True when the rendered template changes, so a new revision must become ready."""
    needs_ready: bool = True
    """Wait for Ready=True (a rollback needs the route only: the abandoned revision may fail)."""
    notes: list[str] = field(default_factory=list)


def _get(values: dict[str, Any], dotted: str, default: Any = None) -> Any:
    node: Any = values
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def plan_canary(current: dict[str, Any], percent: int, bundle_uri: str | None) -> list[Plan]:
    """The steps of ``canary N`` given the release's current values (``helm get values --all``).

    A new bundle starts in two steps: its revision first comes up at 0 %, then gets N %. While a
    new revision is not ready, Knative resolves ``latestRevision`` to the latest *ready* one, which
    may be an earlier (perhaps rolled-back) challenger: it must not get the N % meanwhile.

    Raises:
        HelmError: percent outside 0-100, a URI that is not a plain storage URI, no URI when no
            canary runs, or the URI is the champion's.
    """
    if not 0 <= percent <= 100:
        raise HelmError(f"canary: {percent} is outside 0-100")
    if bundle_uri is not None:
        check_bundle_uri(bundle_uri)
    running = bool(_get(current, "challenger.enabled")) and bool(
        _get(current, "challenger.bundleUri")
    )
    share = Plan("canary", {"challenger.trafficPercent": percent}, percent, False)
    if bundle_uri is None:
        if not running:
            raise HelmError(
                "canary: no canary is running; name the challenger with --bundle-uri "
                "pvc://<claim>/<model_version> or s3://…"
            )
        return [share]
    if bundle_uri == _get(current, "champion.bundleUri"):
        raise HelmError(f"canary: {bundle_uri} is already the champion's bundle")
    if running and _get(current, "challenger.bundleUri") == bundle_uri:
        return [share]
    notes = (
        [f"replaces the running challenger {_get(current, 'challenger.bundleUri')}"]
        if running
        else []
    )
    start = Plan(
        "canary",
        {
            "challenger.enabled": True,
            "challenger.bundleUri": bundle_uri,
            "challenger.trafficPercent": 0,
        },
        0,
        True,
        notes=[*notes, "step 1: start the new revision with 0% of the traffic"],
    )
    return [start] if percent == 0 else [start, share]


def plan_promote(current: dict[str, Any]) -> Plan:
    """Values for ``promote``: the challenger's bundle becomes the champion; the canary ends.

    Raises:
        HelmError: no challenger is configured.
    """
    uri = _get(current, "challenger.bundleUri")
    if not _get(current, "challenger.enabled") or not uri:
        raise HelmError(
            "promote: no challenger is enabled in the release's values; nothing to promote"
        )
    return Plan(
        "promote",
        {"champion.bundleUri": uri, "challenger.enabled": False, "challenger.bundleUri": ""},
        100,
        False,
        notes=[
            f"previous champion {_get(current, 'champion.bundleUri')}: to return to it "
            "later, run a new canary with it"
        ],
    )


def plan_rollback(current: dict[str, Any]) -> Plan:
    """Values for ``rollback``: 0 % to the challenger, 100 % to the rolled-out champion revision.

    Raises:
        HelmError: no canary is running (after a promote, roll back with a new canary instead).
    """
    if not _get(current, "challenger.enabled"):
        raise HelmError(
            "rollback: no canary is running (challenger.enabled is false); to return "
            "to an earlier bundle run `housing-rollout canary N --bundle-uri <it>`"
        )
    return Plan("rollback", {"challenger.trafficPercent": 0}, 0, False, needs_ready=False)


def set_flags(values: dict[str, str | int | bool]) -> list[str]:
    """``--set`` for numbers and booleans, ``--set-string`` for URIs (never parsed as numbers)."""
    flags = []
    for key, value in values.items():
        if isinstance(value, str):
            flags += ["--set-string", f"{key}={value}"]
        else:
            flags += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    return flags


@dataclass(frozen=True)
class Helm:
    """How to call helm for one release."""

    binary: str
    release: str
    namespace: str | None
    kube_context: str | None

    def _scope(self) -> list[str]:
        return ([f"--namespace={self.namespace}"] if self.namespace else []) + (
            [f"--kube-context={self.kube_context}"] if self.kube_context else []
        )

    def upgrade_cmd(self, chart: Path, plan: Plan) -> list[str]:
        """``helm upgrade <release> <chart> --reset-then-reuse-values --set …``.

        ``--reuse-values`` would replace the chart's defaults with the old release's computed
        values, so keys a newer chart added are missing (schema failure or nil in templates);
        ``--reset-then-reuse-values`` (helm >= 3.14) starts from the new chart's defaults and
        merges the release's user-supplied values, then the ``--set`` flags, over them (helm/helm
        v3.19.0 and v4.2.4 pkg/action/upgrade.go, ``reuseValues``; the flag: v3.19.0
        cmd/helm/upgrade.go, v4.2.4 pkg/cmd/upgrade.go). Helm ignores it next to --reuse-values.
        """
        return [
            self.binary,
            "upgrade",
            self.release,
            str(chart),
            "--reset-then-reuse-values",
            *set_flags(plan.values),
            *self._scope(),
        ]

    def run(self, cmd: list[str], *, timeout: float = 300) -> str:
        """Run a helm command; its stdout.

        Raises:
            HelmError: helm missing, failed or timed out (with its stderr).
        """
        if shutil.which(cmd[0]) is None:
            raise HelmError(
                f"helm not found: {cmd[0]!r} (set --helm or HOUSING_HELM, e.g. "
                ".tools/bin/helm from scripts/install-k8s-tools.sh)"
            )
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise HelmError(f"{' '.join(cmd[:3])}: timed out after {timeout:g} s") from e
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise HelmError(f"{' '.join(cmd[:3])} failed: {' '.join(last[-3:])}")
        return done.stdout

    def current_values(self) -> dict[str, Any]:
        """The release's computed values (``helm get values --all``)."""
        out = self.run(
            [self.binary, "get", "values", self.release, "--all", "-o", "json", *self._scope()]
        )
        return dict(json.loads(out or "{}"))

    def deployed_chart_version(self) -> str:
        """The chart version of the deployed release (``helm get metadata``)."""
        out = self.run([self.binary, "get", "metadata", self.release, "-o", "json", *self._scope()])
        return str(json.loads(out).get("version", ""))


def read_values(path: Path) -> dict[str, Any]:
    """A values file (YAML or JSON, e.g. ``helm get values --all -o yaml``) as a mapping.

    Raises:
        HelmError: no such file, or not a YAML mapping.
    """
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise HelmError(f"--values {path}: {' '.join(str(e).split())}") from e
    if not isinstance(values, dict):
        raise HelmError(f"--values {path}: not a mapping of values")
    return values


def chart_version(chart: Path) -> str:
    """``version`` of ``<chart>/Chart.yaml``.

    Raises:
        HelmError: no Chart.yaml there.
    """
    file = chart / "Chart.yaml"
    if not file.is_file():
        raise HelmError(f"{chart}: not a chart directory (no Chart.yaml); set --chart")
    return str(yaml.safe_load(file.read_text()).get("version", ""))


def isvc_name(release: str, values: dict[str, Any], chart_name: str = "housing") -> str:
    """The InferenceService name the chart gives a release (``housing.fullname``)."""
    if override := values.get("fullnameOverride"):
        return str(override)[:63].rstrip("-")
    name = values.get("nameOverride") or chart_name
    return (release if name in release else f"{release}-{name}")[:63].rstrip("-")

"""Cluster-path facts read from the pinned upstream sources, encoded so they cannot regress.

Each test names the upstream file it encodes (repo, tag, path).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import chart_support as cs
import shell_scripts

# kubernetes-sigs/kind v0.30.0 pkg/apis/config/defaults/image.go (the release's default node image)
KIND_V030_NODE = (
    "kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a"
)
# knative/serving knative-v1.21.1 vendor/knative.dev/pkg/version/version.go: defaultMinimumVersion
KNATIVE_MIN_KUBERNETES = "1.33.0"
# knative/serving knative-v1.21.1 pkg/apis/config/features.go: the kubernetes.* flag keys
KNATIVE_FEATURE_KEYS = {
    "kubernetes.containerspec-addcapabilities",
    "kubernetes.podspec-affinity",
    "kubernetes.podspec-dnsconfig",
    "kubernetes.podspec-dnspolicy",
    "kubernetes.podspec-volumes-emptydir",
    "kubernetes.podspec-fieldref",
    "kubernetes.podspec-hostaliases",
    "kubernetes.podspec-hostipc",
    "kubernetes.podspec-hostnetwork",
    "kubernetes.podspec-hostpid",
    "kubernetes.podspec-volumes-hostpath",
    "kubernetes.podspec-volumes-csi",
    "kubernetes.podspec-init-containers",
    "kubernetes.podspec-volumes-mount-propagation",
    "kubernetes.podspec-nodeselector",
    "kubernetes.podspec-persistent-volume-claim",
    "kubernetes.podspec-persistent-volume-write",
    "kubernetes.podspec-priorityclassname",
    "kubernetes.podspec-runtimeclassname",
    "kubernetes.podspec-schedulername",
    "kubernetes.podspec-securitycontext",
    "kubernetes.podspec-shareprocessnamespace",
    "kubernetes.podspec-tolerations",
    "kubernetes.podspec-topologyspreadconstraints",
    "kubernetes.podspec-volumes-image",
}
SETUP = (cs.REPO / "k8s" / "setup-cluster.sh").read_text()


def test_kind_config_pins_node_image_by_digest_of_kind_v030() -> None:
    config = yaml.safe_load((cs.REPO / "k8s" / "kind-cluster.yaml").read_text())
    images = [node["image"] for node in config["nodes"]]
    assert images and all(
        re.fullmatch(r"kindest/node:v[\d.]+@sha256:[0-9a-f]{64}", i) for i in images
    )
    assert images == [KIND_V030_NODE] * len(images)


def test_chart_kube_version_floor_is_knatives_when_chart_yaml() -> None:
    chart = yaml.safe_load((cs.CHART / "Chart.yaml").read_text())
    assert chart["kubeVersion"] == f">={KNATIVE_MIN_KUBERNETES}-0"


def test_chart_refuses_kubernetes_below_knatives_floor_when_rendered(helm: str) -> None:
    with pytest.raises(cs.RenderError, match="kubeVersion"):
        cs.render(kube_version="1.32.9", helm=helm)
    assert cs.render(kube_version=KNATIVE_MIN_KUBERNETES, helm=helm)


def test_setup_cluster_sets_only_knative_feature_keys_that_exist() -> None:
    keys = set(re.findall(r'"(kubernetes\.[a-z.-]+)"\s*:', SETUP))
    assert keys, "no Knative feature flags found in k8s/setup-cluster.sh"
    assert keys <= KNATIVE_FEATURE_KEYS, keys - KNATIVE_FEATURE_KEYS
    assert "kubernetes.podspec-securitycontext" in keys  # the chart's fsGroup/runAsUser


def test_setup_cluster_configures_kserve_by_helm_values_not_configmap_patches() -> None:
    """kserve v0.20.0 charts/kserve-resources/files/common/configmap-patch.yaml renders
    inferenceservice-config from these values; a kubectl patch is undone by the next upgrade."""
    assert "inferenceservice-config" not in re.sub(r"#.*", "", SETUP)
    assert "kserve.controller.gateway.disableIstioVirtualHost=true" in SETUP
    assert "kserve.controller.deploymentMode=Knative" in SETUP


def _skaffold() -> dict[str, Any]:
    return dict(yaml.safe_load((cs.REPO / "skaffold.yaml").read_text()))


def test_skaffold_waits_for_training_hook_longer_than_its_deadline() -> None:
    """helm waits for hook Jobs --timeout long (5m default: helm v3.19.0 cmd/helm/install.go)."""
    values = yaml.safe_load((cs.CHART / "values.yaml").read_text())
    deadline = values["training"]["activeDeadlineSeconds"]
    flags = _skaffold()["deploy"]["helm"]["flags"]
    for command in ("install", "upgrade"):
        (timeout,) = [f for f in flags[command] if f.startswith("--timeout=")]
        assert int(timeout.removeprefix("--timeout=").removesuffix("m")) * 60 > deadline
    assert _skaffold()["deploy"]["helm"]["releases"][0]["wait"] is False


def _venv_tool(name: str) -> str:
    tool = Path(sys.executable).parent / name
    if not tool.is_file():
        pytest.fail(f"{tool} missing: make venv (dev extra pins it)", pytrace=False)
    return str(tool)


def test_workflows_pass_actionlint_with_shellcheck_on_run_blocks() -> None:
    workflows = sorted(str(p) for p in (cs.REPO / ".github" / "workflows").glob("*.yaml"))
    assert {Path(w).name for w in workflows} >= {"ci.yaml", "e2e-kind.yaml"}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.run(
        [_venv_tool("actionlint"), *workflows],
        cwd=cs.REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shell_script_discovery_finds_scripts_by_suffix_and_shebang(tmp_path: Path) -> None:
    found = set(shell_scripts.shell_scripts())
    assert {
        ".ci/run",  # no suffix: found by its `#!/usr/bin/env bash`
        "docker/venv-install",  # `#!/bin/sh`
        "bench/predictor_bench.sh",
        "k8s/setup-cluster.sh",
        "scripts/container-smoke.sh",
        "scripts/demo-stop.sh",
        "scripts/mutation.sh",
    } <= found
    assert not any(p.startswith((".venv", ".tools")) for p in found)
    for name, first_line, shell in [
        ("a", "#!/bin/bash -e", True),
        ("b", "#!/usr/bin/env -S bash -eu", True),
        ("c", "#!/bin/dash", True),
        ("d", "#!/usr/bin/env python3", False),
        ("e", "#!/usr/bin/env zsh", False),
        ("f", "# not a shebang: bash", False),
    ]:
        (tmp_path / name).write_text(first_line + "\necho hi\n")
        assert shell_scripts.is_shell_script(tmp_path / name) is shell, first_line


def test_every_shell_script_passes_shellcheck() -> None:
    scripts = shell_scripts.shell_scripts()
    proc = subprocess.run(
        [_venv_tool("shellcheck"), *scripts],
        cwd=cs.REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_workflow_runs_the_readme_test_command() -> None:
    ci = yaml.safe_load((cs.REPO / ".github" / "workflows" / "ci.yaml").read_text())
    runs = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert "make test" in runs
    assert "make test" in (cs.REPO / "README.md").read_text()


def test_e2e_workflow_covers_the_live_cluster_path() -> None:
    text = (cs.REPO / ".github" / "workflows" / "e2e-kind.yaml").read_text()
    for step in (
        "kind create cluster --config k8s/kind-cluster.yaml",
        "bash k8s/setup-cluster.sh",
        "skaffold run",
        "job/housing-train",
        "inferenceservice/housing",
        "/v2/models/housing/infer",
        "helm test",
        "housing-rollout canary 0",
        "housing-rollout canary 20",
        "housing-rollout promote",
        "housing-rollout rollback",
        "online.challenger.requests",
        "cronjob/housing-drift",
    ):
        assert step in text, step

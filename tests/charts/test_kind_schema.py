"""k8s/kind-cluster.schema.json, the project's own schema for kind's Cluster config, against kind.

Expected verdicts are kind v0.30.0's: kubernetes-sigs/kind v0.30.0
pkg/internal/apis/config/encoding/load_test.go (its testdata/ files, copied below) for the decoder,
pkg/internal/apis/config/validate.go (after default.go) for the checks `kind create cluster` runs
before it creates anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import chart_support as cs

HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
# one control-plane node with one port mapping: append the mapping in YAML flow style
PORT = HEAD + "nodes:\n- role: control-plane\n  extraPortMappings:\n  - "

# kind v0.30.0 pkg/internal/apis/config/encoding/testdata/ (and site/content/docs/user/
# kind-example-config.yaml, the "example config" case of load_test.go).
UPSTREAM_VALID = {
    "valid-minimal": HEAD,
    "valid-minimal-two-nodes": HEAD + "nodes:\n- role: control-plane\n- role: worker\n",
    "valid-full-ha": HEAD + "nodes:\n" + "- role: control-plane\n" * 3 + "- role: worker\n" * 3,
    "valid-many-fields": HEAD
    + """name: not-default
featureGates:
  AllBeta: false
networking:
  ipFamily: ipv6
nodes:
- role: control-plane
- role: worker
  extraMounts:
  - containerPath: /foo
    hostPath: /bar
    readOnly: true
    selinuxRelabel: false
    propagation: Bidirectional
  extraPortMappings:
  - containerPort: 8080
    hostPort: 8080
    protocol: UDP
""",
    "valid-kind-patches": HEAD
    + """kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta2
  kind: ClusterConfiguration
  metadata:
    name: config
  networking:
    serviceSubnet: 10.0.0.0/16
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta2
  kind: ClusterConfiguration
  patch: |
    - op: add
      path: /apiServer/certSANs/-
      value: my-hostname
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry:5000"]
nodes:
- role: control-plane
- role: worker
- role: worker
- role: worker
""",
    "valid-kind-workers-patches": HEAD
    + """nodes:
- role: control-plane
- role: worker
  kubeadmConfigPatches:
  - |
    apiVersion: kubeadm.k8s.io/v1beta2
    kind: JoinConfiguration
    nodeRegistration:
      kubeletExtraArgs:
        node-labels: "aqua=gateway"
- role: worker
  kubeadmConfigPatchesJSON6902:
  - group: kubelet.config.k8s.io
    version: v1beta1
    kind: KubeletConfiguration
    patch: |
      - op: add
        path: /authentication
        value: {"anonymous": {"enabled": true}}
- role: worker
""",
    "valid-port-and-mount": HEAD
    + """nodes:
- role: control-plane
  extraPortMappings:
  - hostPort: 80
    containerPort: 80
  extraMounts:
  - hostPath: ./foo
    containerPath: /bar
""",
    "kind-example-config": HEAD
    + """kubeadmConfigPatches:
- |
  apiVersion: kubelet.config.k8s.io/v1beta1
  kind: KubeletConfiguration
  evictionHard:
    nodefs.available: "0%"
nodes:
- role: control-plane
- role: worker
""",
}
UPSTREAM_INVALID = {
    "invalid-apiversion": "kind: Node\napiVersion: not-valid\n",
    "invalid-kind": "kind: not-valid\napiVersion: kind.x-k8s.io/v1alpha4\n",
    # the last `- role: worker` is indented into extraPortMappings: an unknown field there
    "invalid-bad-indent": UPSTREAM_VALID["valid-many-fields"] + "  - role: worker\n",
    "invalid-bogus-field": UPSTREAM_VALID["valid-many-fields"] + "    nOtAReaLFielD: bar\n",
}
# Single rules of load.go (typeMeta switch, strict decode) and validate.go, each at its limit.
RULES_VALID = {
    "port at 65535 and -1 (backend picks)": PORT + "{containerPort: 65535, hostPort: -1}\n",
    "apiServerPort 0 (random)": HEAD + "networking: {apiServerPort: 0}\n",
    "node role defaults to control-plane": HEAD + "nodes:\n- image: kindest/node:v1.34.0\n",
    "kubeProxyMode none": HEAD + "networking: {kubeProxyMode: none}\n",
    "dual stack": HEAD + "networking: {ipFamily: dual}\n",
    "dnsSearch empty": HEAD + "networking: {dnsSearch: []}\n",
    "empty nodes default to one control plane": HEAD + "nodes: []\n",
    "name with dots and dashes": HEAD + "name: a.b-1\n",
}
RULES_INVALID = {
    "unknown top-level field": HEAD + "workers: 3\n",
    "unknown node field": HEAD + "nodes:\n- role: control-plane\n  cpus: 2\n",
    "unknown networking field": HEAD + "networking: {mtu: 1400}\n",
    "older apiVersion": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n",
    "no apiVersion": "kind: Cluster\n",
    "no kind": "apiVersion: kind.x-k8s.io/v1alpha4\n",
    "port one past 65535": PORT + "{containerPort: 65536}\n",
    "port one below -1": PORT + "{hostPort: -2}\n",
    "port as string": PORT + "{hostPort: '80'}\n",
    "apiServerPort one past 65535": HEAD + "networking: {apiServerPort: 65536}\n",
    "no control-plane node": HEAD + "nodes:\n- role: worker\n",
    "unknown role": HEAD + "nodes:\n- role: master\n",
    "unknown ipFamily": HEAD + "networking: {ipFamily: ipv5}\n",
    "unknown kubeProxyMode": HEAD + "networking: {kubeProxyMode: userspace}\n",
    "upper-case name": HEAD + "name: Housing\n",
    "unknown protocol": PORT + "{containerPort: 80, protocol: tcp}\n",
    "feature gate not a bool": HEAD + "featureGates: {AllBeta: 'no'}\n",
}
CASES = {
    **{k: (v, True) for k, v in {**UPSTREAM_VALID, **RULES_VALID}.items()},
    **{k: (v, False) for k, v in {**UPSTREAM_INVALID, **RULES_INVALID}.items()},
}
# Where the shared schema (hand-written from kind v0.32.0, whose types.go differs from v0.30.0's
# only in comments) is stricter than kind: it refuses a node without an explicit role, which
# kind defaults to control-plane (default.go SetDefaultsNode), and `nodes: []`, which kind
# defaults to one control-plane node (SetDefaultsCluster).
SHARED_STRICTER = {
    "node role defaults to control-plane",
    "empty nodes default to one control plane",
}


def _schema() -> dict[str, Any]:
    return dict(json.loads(cs.KIND_SCHEMA.read_text()))


def _accepts(schema: dict[str, Any], text: str) -> bool:
    return jsonschema.Draft7Validator(schema).is_valid(yaml.safe_load(text))


def test_kind_schema_names_its_upstream_source_and_is_valid_draft7() -> None:
    schema = _schema()
    jsonschema.Draft7Validator.check_schema(schema)
    for source in (
        "kubernetes-sigs/kind v0.30.0",
        "pkg/apis/config/v1alpha4/types.go",
        "pkg/internal/apis/config/encoding/load.go",
        "pkg/internal/apis/config/validate.go",
    ):
        assert source in schema["$comment"], source


@pytest.mark.parametrize("name", sorted(CASES))
def test_kind_schema_verdict_matches_kind_v030_when_config(name: str) -> None:
    text, kind_accepts = CASES[name]
    assert _accepts(_schema(), text) is kind_accepts


def test_kind_schema_accepts_project_config_when_checked_by_check_jsonschema(
    tmp_path: Path,
) -> None:
    """The command scripts/check-k8s.sh runs, on our config and on one with an unknown field."""
    tool = str(Path(sys.executable).parent / "check-jsonschema")
    config = cs.REPO / "k8s" / "kind-cluster.yaml"
    bad = tmp_path / "kind-cluster.yaml"
    bad.write_text(config.read_text().replace("name: housing", "name: housing\nworkers: 3"))

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool, "--schemafile", str(cs.KIND_SCHEMA), str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ok = check(config)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    refused = check(bad)
    assert refused.returncode == 1 and "workers" in refused.stdout + refused.stderr


def test_kind_schema_agrees_with_shared_schema_when_shared_dir_configured() -> None:
    """Ours is the one checked everywhere; where ../shared is configured (HOUSING_K8S_SCHEMAS),
    it must give the shared schema's verdict on every case except the documented ones."""
    if cs.schemas_dir() is None:
        pytest.skip("HOUSING_K8S_SCHEMAS unset (GitHub CI has no shared schema directory)")
    shared = json.loads(cs.pinned_path("kind_shared").read_text())
    ours = _schema()
    differ = {
        name for name, (text, _) in CASES.items() if _accepts(shared, text) != _accepts(ours, text)
    }
    assert differ == SHARED_STRICTER
    for name in SHARED_STRICTER:
        assert not _accepts(shared, CASES[name][0]) and _accepts(ours, CASES[name][0])

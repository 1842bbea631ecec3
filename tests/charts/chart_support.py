"""Helpers for the chart tests: find helm, render the chart, load the pinned KServe CRD and schemas.

Schemas come from the directory in ``HOUSING_K8S_SCHEMAS`` (CI: ``../shared/k8s``). Without it,
they are downloaded once from their public sources at the pinned tags into
``~/.cache/housing-kserve/k8s`` and checked against the sha256 below (as in PROVENANCE.md). The kind
config's schema has no public source: the project's own is ``k8s/kind-cluster.schema.json``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "housing"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
KUBE_VERSIONS = ("1.33.0", "1.34.0", "1.35.0")  # Knative 1.21 needs >= 1.33
INSTALL_HINT = "run scripts/install-k8s-tools.sh (installs helm into .tools/bin)"
# kind ships no JSON Schema for its Cluster config: the project's own, from kind v0.30.0's types.
KIND_SCHEMA = REPO / "k8s" / "kind-cluster.schema.json"


@dataclass(frozen=True)
class PinnedFile:
    relpath: str
    url: str | None
    sha256: str


PINNED = {
    "isvc_crd": PinnedFile(
        "crds/kserve-v0.20.0/serving.kserve.io_inferenceservices.yaml",
        "https://raw.githubusercontent.com/kserve/kserve/v0.20.0/config/crd/full/"
        "serving.kserve.io_inferenceservices.yaml",
        "57c3bf13f77de94678bf2ae3748056ec071ad2b9e88d6a28f44fb4710758fcff",
    ),
    "skaffold": PinnedFile(
        "schemas/skaffold-v4beta14.json",
        "https://raw.githubusercontent.com/GoogleContainerTools/skaffold/v2.24.0/"
        "docs-v2/content/en/schemas/v4beta14.json",
        "7c29a621995d2c6143d3c423c8e3d3dfb25703a49fd1cf77644b54168414b39e",
    ),
    # Hand-written from kind v0.32.0's config types (kind ships no JSON Schema): no public URL.
    # Only the parity test reads it; every check uses KIND_SCHEMA, the project's own.
    "kind_shared": PinnedFile(
        "schemas/kind-cluster-v1alpha4.json",
        None,
        "f5ed552892929f60ae1003755a329b76a765526034d3da9817318fd7175fed05",
    ),
}


def helm_binary(name: str = "helm") -> str:
    """Path of helm 3 (``name="helm"``) or helm 4 (``"helm4"``); raises with the install hint."""
    env = os.environ.get("HOUSING_HELM4" if name == "helm4" else "HOUSING_HELM")
    candidates = [env] if env else []
    candidates += [str(REPO / ".tools" / "bin" / name)]
    if name == "helm":
        candidates.append(shutil.which("helm") or "")
    for cand in candidates:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError(f"{name} not found in .tools/bin or PATH: {INSTALL_HINT}")


def run_helm(args: list[str], helm: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run helm with a throwaway HOME-independent config; never raises on a non-zero exit."""
    env = {
        **os.environ,
        "HELM_CACHE_HOME": "/tmp/housing-helm/cache",
        "HELM_CONFIG_HOME": "/tmp/housing-helm/config",
        "HELM_DATA_HOME": "/tmp/housing-helm/data",
    }
    return subprocess.run(
        [helm or helm_binary(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def render(
    values_files: list[Path] | tuple[Path, ...] = (),
    sets: dict[str, str] | None = None,
    kube_version: str | None = None,
    helm: str | None = None,
) -> list[dict[str, Any]]:
    """Run ``helm template`` (release housing, namespace housing); hooks and tests included."""
    args = ["template", "housing", str(CHART), "--namespace", "housing"]
    for f in values_files:
        args += ["-f", str(f)]
    for key, value in (sets or {}).items():
        args += ["--set", f"{key}={value}"]
    if kube_version:
        args += ["--kube-version", kube_version]
    proc = run_helm(args, helm)
    if proc.returncode != 0:
        raise RenderError(proc.stderr)
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


class RenderError(Exception):
    """helm template failed; the message is helm's stderr."""


def schemas_dir() -> Path | None:
    value = os.environ.get("HOUSING_K8S_SCHEMAS")
    return Path(value).resolve() if value else None


def pinned_path(key: str) -> Path:
    """Local path of a pinned schema file: from HOUSING_K8S_SCHEMAS, or downloaded and checked."""
    pin = PINNED[key]
    base = schemas_dir()
    if base is not None:
        path = base / pin.relpath
        if not path.is_file():
            raise FileNotFoundError(f"{path} missing (HOUSING_K8S_SCHEMAS={base})")
    else:
        if pin.url is None:
            raise FileNotFoundError(
                f"{pin.relpath} has no public source; set HOUSING_K8S_SCHEMAS to a directory "
                "holding it "
                "(CI: ../shared/k8s)"
            )
        cache = Path(
            os.environ.get("HOUSING_DATA_CACHE", Path.home() / ".cache" / "housing-kserve")
        )
        path = cache / "k8s" / pin.relpath
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(pin.url, timeout=60) as resp:
                data = resp.read()
            _check_sha(data, pin, pin.url)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
    _check_sha(path.read_bytes(), pin, str(path))
    return path


def _check_sha(data: bytes, pin: PinnedFile, where: str) -> None:
    got = hashlib.sha256(data).hexdigest()
    if got != pin.sha256:
        raise ValueError(f"{where}: sha256 {got} != pinned {pin.sha256}")


def strict_openapi(schema: Any) -> Any:
    """OpenAPI v3 (Kubernetes structural schema) -> strict JSON Schema.

    ``nullable: true`` admits null; ``x-kubernetes-int-or-string`` admits int or string;
    ``x-kubernetes-preserve-unknown-fields`` keeps the object open; every other object with
    ``properties`` gets ``additionalProperties: false`` (what the API server's pruning would drop).
    """
    if isinstance(schema, list):
        return [strict_openapi(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: strict_openapi(v)
        for k, v in schema.items()
        if k not in ("nullable", "x-kubernetes-int-or-string")
    }
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in schema
    ):
        out["additionalProperties"] = False
    if schema.get("nullable") and "type" in out:
        out["type"] = (
            [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        )
    return out


def inferenceservice_schema() -> dict[str, Any]:
    crd = yaml.safe_load(pinned_path("isvc_crd").read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    schema = strict_openapi(version["schema"]["openAPIV3Schema"])
    # apiVersion/kind/metadata are checked by the API server itself; keep metadata to the basics.
    schema["properties"]["metadata"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["name"],
    }
    return schema


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(``Kind/name``, pod spec) of every workload, including the InferenceService predictor."""
    out = []
    for d in docs:
        name = f"{d['kind']}/{d['metadata']['name']}"
        kind = d["kind"]
        if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            out.append((name, d["spec"]["template"]["spec"]))
        elif kind == "CronJob":
            out.append((name, d["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
        elif kind == "Pod":
            out.append((name, d["spec"]))
        elif kind == "InferenceService":
            out.append((name, d["spec"]["predictor"]))
    return out

"""Offline validation: helm lint, Kubernetes OpenAPI, KServe v0.20 CRD, docs, tool configs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

import chart_support as cs
import chart_values_table as vt

CI_IDS = [f.name for f in cs.CI_VALUES]


@pytest.mark.parametrize("values", cs.CI_VALUES, ids=CI_IDS)
def test_chart_lints_strict_when_ci_values(helm: str, values: Path) -> None:
    proc = cs.run_helm(["lint", "--strict", str(cs.CHART), "-f", str(values)], helm)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kube", cs.KUBE_VERSIONS)
@pytest.mark.parametrize("values", cs.CI_VALUES, ids=CI_IDS)
def test_chart_builtin_kinds_validate_strict_when_ci_values(
    helm: str, values: Path, kube: str
) -> None:
    docs = cs.render([values], kube_version=kube, helm=helm)
    problems = []
    for doc in docs:
        if doc["apiVersion"].startswith("serving.kserve.io/"):
            continue
        try:
            kubernetes_validate.validate(doc, kube, strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(
                f"{doc['kind']}/{doc['metadata']['name']}: {e.message} at {list(e.path)}"
            )
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def isvc_validator() -> jsonschema.Draft7Validator:
    try:
        schema = cs.inferenceservice_schema()
    except (FileNotFoundError, OSError, ValueError) as e:
        pytest.fail(f"KServe v0.20.0 CRD unavailable: {e}", pytrace=False)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("values", cs.CI_VALUES, ids=CI_IDS)
def test_chart_inferenceservice_matches_kserve_crd_when_ci_values(
    rendered: dict[str, Any], isvc_validator: jsonschema.Draft7Validator, values: Path
) -> None:
    docs = rendered[values.name.removesuffix("-values.yaml")]
    isvcs = cs.by_kind(docs, "InferenceService")
    assert len(isvcs) == 1
    errors = [f"{e.message} at {list(e.path)}" for e in isvc_validator.iter_errors(isvcs[0])]
    assert not errors, "\n".join(errors)


def test_chart_crd_check_rejects_unknown_field_when_typo(
    isvc_validator: jsonschema.Draft7Validator, rendered: dict[str, Any]
) -> None:
    isvc = json.loads(json.dumps(cs.one(rendered["canary"], "InferenceService")))
    isvc["spec"]["predictor"]["canaryTrafficPercnt"] = 10
    isvc["spec"]["predictor"]["containers"][0]["envv"] = []
    paths = {tuple(e.path) for e in isvc_validator.iter_errors(isvc)}
    assert ("spec", "predictor") in paths and ("spec", "predictor", "containers", 0) in paths


def test_chart_installs_dry_run_when_helm4() -> None:
    try:
        helm4 = cs.helm_binary("helm4")
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)
    for values in cs.CI_VALUES:
        proc = cs.run_helm(
            [
                "install",
                "housing",
                str(cs.CHART),
                "-n",
                "housing",
                "--dry-run=client",
                "-f",
                str(values),
            ],
            helm4,
        )
        assert proc.returncode == 0, f"{values.name}: {proc.stderr}"
        assert "kind: InferenceService" in proc.stdout
        lint = cs.run_helm(["lint", "--strict", str(cs.CHART), "-f", str(values)], helm4)
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_chart_every_value_has_helm_docs_comment_when_values_yaml() -> None:
    _, undocumented = vt.documented_keys((cs.CHART / "values.yaml").read_text())
    assert not undocumented, f"values without a '# --' comment: {undocumented}"


def test_chart_readme_values_table_is_current_when_values_change() -> None:
    readme = (cs.CHART / "README.md").read_text()
    assert readme == vt.readme_with_table(readme), (
        "charts/housing/README.md is stale: python tests/charts/chart_values_table.py --write"
    )


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [
            p for k, v in node.items() for p in _leaf_paths(v, f"{prefix}.{k}" if prefix else k)
        ]
    return [prefix]


def test_chart_schema_covers_every_value_when_values_yaml() -> None:
    values = yaml.safe_load((cs.CHART / "values.yaml").read_text())
    schema = json.loads((cs.CHART / "values.schema.json").read_text())
    defs = schema.get("definitions", {})
    missing = []
    for path in _leaf_paths(values):
        node = schema
        for part in path.split("."):
            if "$ref" in node:
                node = defs[node["$ref"].rsplit("/", 1)[1]]
            if node.get("additionalProperties") is not False or part not in node.get(
                "properties", {}
            ):
                missing.append(path)
                break
            node = node["properties"][part]
    assert not missing, f"keys not covered by values.schema.json (strictly): {missing}"
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(values)


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    assert path.is_file(), f"{name} missing from the dev venv (pip install -e '.[dev]')"
    return str(path)


def test_chart_tool_config_matches_schema_when_checked() -> None:
    """skaffold.yaml against skaffold's published schema (the kind config: test_kind_schema)."""
    config = "skaffold.yaml"
    try:
        schema = cs.pinned_path("skaffold")
    except (FileNotFoundError, OSError, ValueError) as e:
        pytest.fail(f"schema for {config} unavailable: {e}", pytrace=False)
    proc = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(schema), str(cs.REPO / config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_chart_yaml_files_pass_yamllint_when_linted() -> None:
    files = [
        cs.CHART / "values.yaml",
        cs.CHART / "Chart.yaml",
        *cs.CI_VALUES,
        cs.REPO / "skaffold.yaml",
        cs.REPO / "k8s" / "kind-cluster.yaml",
    ]
    proc = subprocess.run(
        [
            _tool("yamllint"),
            "-c",
            str(cs.REPO / "tests" / "charts" / "yamllint.yaml"),
            "--strict",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

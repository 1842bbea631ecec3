"""Secrets and limits in the chart: bundle-signing keys, dashboard write token, training threads.

model/signing.py reads HOUSING_BUNDLE_VERIFY_KEY (refuse unsigned bundles) wherever bundles are
loaded and HOUSING_BUNDLE_SIGNING_KEY where they are written; monitoring/dashboard.py reads
HOUSING_DASHBOARD_TOKEN. The chart takes each from an existing Secret, never from a value.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

import chart_support as cs

CI = cs.CHART / "ci"
VERIFY, SIGN, TOKEN = (
    "HOUSING_BUNDLE_VERIFY_KEY",
    "HOUSING_BUNDLE_SIGNING_KEY",
    "HOUSING_DASHBOARD_TOKEN",
)
# Components whose process calls model.bundle.load_bundle: predictor/predictor.py,
# monitoring/references.py (drift), monitoring/performance_job.py.
BUNDLE_LOADERS = {"predictor", "drift", "performance"}


def _component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def _env_by_component(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{component: {env name: value or valueFrom}} over every container of every workload."""
    out: dict[str, dict[str, Any]] = {}
    by_name = {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}
    for name, spec in cs.pod_specs(docs):
        env = out.setdefault(_component(by_name[name]), {})
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            env.update({e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env", [])})
    return out


def _names(docs: list[dict[str, Any]]) -> set[str]:
    return {n for env in _env_by_component(docs).values() for n in env}


def test_chart_renders_no_key_or_token_env_when_defaults(rendered: dict[str, Any]) -> None:
    for scenario in ("defaults", "canary", "minio", "serving-only"):
        assert not _names(rendered[scenario]) & {VERIFY, SIGN, TOKEN}, scenario


def test_chart_gives_verify_key_to_every_bundle_loader_when_public_key_secret_set(
    rendered: dict[str, Any],
) -> None:
    env = _env_by_component(rendered["hardened"])
    assert set(env) >= BUNDLE_LOADERS
    with_verify = {c for c, e in env.items() if VERIFY in e}
    assert with_verify == BUNDLE_LOADERS
    for component in BUNDLE_LOADERS:
        ref = env[component][VERIFY]["secretKeyRef"]
        assert ref == {"name": "housing-bundle-verify", "key": "public.pem"}, component


def test_chart_gives_signing_key_to_training_only_when_private_key_secret_set(
    rendered: dict[str, Any],
) -> None:
    env = _env_by_component(rendered["hardened"])
    assert {c for c, e in env.items() if SIGN in e} == {"training"}
    assert env["training"][SIGN] == {
        "secretKeyRef": {"name": "housing-bundle-signing", "key": "ed25519.pem"}
    }
    assert VERIFY not in env["training"]  # training writes bundles, it loads none


def test_chart_gives_dashboard_token_to_dashboard_only_when_token_secret_set(
    rendered: dict[str, Any],
) -> None:
    env = _env_by_component(rendered["hardened"])
    assert {c for c, e in env.items() if TOKEN in e} == {"dashboard"}
    assert env["dashboard"][TOKEN] == {
        "secretKeyRef": {"name": "housing-dashboard-token", "key": "token"}
    }


def test_chart_rejects_public_key_without_private_key_when_training_enabled(helm: str) -> None:
    with pytest.raises(cs.RenderError, match=r"signing\.privateKeySecret: required"):
        cs.render(sets={"signing.publicKeySecret": "pub"}, helm=helm)
    docs = cs.render(
        sets={"signing.publicKeySecret": "pub", "training.enabled": "false"}, helm=helm
    )
    assert VERIFY in _env_by_component(docs)["predictor"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("signing.publicKeySecret", "Not_A_Name"),
        ("signing.privateKeySecretKey", "a/b"),
        ("dashboard.tokenSecret", "-leading-dash"),
        ("signing.keySecret", "typo"),
    ],
)
def test_chart_schema_rejects_bad_secret_reference_when_set(
    helm: str, key: str, value: str
) -> None:
    with pytest.raises(cs.RenderError, match="schema"):
        cs.render(sets={key: value}, helm=helm)


def test_chart_forces_a_retrain_only_when_training_force_set(
    rendered: dict[str, Any], helm: str
) -> None:
    """Switching signing on needs one forced run: training skips a run identical to `latest`."""
    assert "HOUSING_FORCE" not in _env_by_component(rendered["defaults"])["training"]
    docs = cs.render(sets={"training.force": "true"}, helm=helm)
    assert _env_by_component(docs)["training"]["HOUSING_FORCE"] == "true"


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def test_chart_sizes_training_thread_pools_to_its_cpu_limit_when_defaults(
    rendered: dict[str, Any],
) -> None:
    values = yaml.safe_load((cs.CHART / "values.yaml").read_text())
    limit = values["training"]["resources"]["limits"]["cpu"]
    env = _env_by_component(rendered["defaults"])["training"]
    assert [env[v] for v in THREAD_VARS] == [str(math.ceil(float(limit)))] * 3


@pytest.mark.parametrize("component", ["drift", "performance"])
def test_chart_holds_monitoring_jobs_to_one_thread_per_pool(
    rendered: dict[str, Any], component: str
) -> None:
    env = _env_by_component(rendered["hardened"])[component]  # the performance job is on there
    assert [env.get(v) for v in THREAD_VARS] == ["1", "1", "1"]


@pytest.mark.parametrize(
    ("cpu", "threads", "ok"),
    [("2", 2, True), ("2", 3, False), ("1500m", 2, True), ("1500m", 3, False), ("1", 1, True)],
)
def test_chart_refuses_more_training_threads_than_cpu_limit_when_set(
    helm: str, cpu: str, threads: int, ok: bool
) -> None:
    sets = {"training.resources.limits.cpu": cpu, "training.threads": str(threads)}
    if not ok:
        with pytest.raises(cs.RenderError, match=r"training\.threads \(\d+\) exceeds"):
            cs.render(sets=sets, helm=helm)
        return
    env = _env_by_component(cs.render(sets=sets, helm=helm))["training"]
    assert [env[v] for v in THREAD_VARS] == [str(threads)] * 3

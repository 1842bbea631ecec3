"""Behaviour of charts/housing per values: canary, STORAGE_URI, logger, secrets, guards."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
import yaml

import chart_support as cs

CI = cs.CHART / "ci"


def _isvc(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return cs.one(docs, "InferenceService")


def _container(isvc: dict[str, Any]) -> dict[str, Any]:
    (container,) = isvc["spec"]["predictor"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _fails(helm: str, sets: dict[str, str], *files: str) -> str:
    with pytest.raises(cs.RenderError) as exc:
        cs.render([CI / f for f in files], sets=sets, helm=helm)
    return str(exc.value)


def test_chart_ci_values_cover_every_scenario(rendered: dict[str, Any]) -> None:
    assert {"defaults", "canary", "promote", "rollback", "minio", "serving-only"} <= set(rendered)


def test_chart_renders_knative_custom_predictor_when_defaults(rendered: dict[str, Any]) -> None:
    isvc = _isvc(rendered["defaults"])
    ann = isvc["metadata"]["annotations"]
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    assert ann["serving.kserve.io/deploymentMode"] == "Knative"
    assert ann["serving.kserve.io/enable-tag-routing"] == "true"
    assert ann["serving.kserve.io/enable-prometheus-scraping"] == "true"
    pred = isvc["spec"]["predictor"]
    assert (pred["minReplicas"], pred["maxReplicas"], pred["scaleMetric"], pred["scaleTarget"]) == (
        1,
        3,
        "concurrency",
        8,
    )
    c = _container(isvc)
    assert c["name"] == "kserve-container"
    assert c["args"] == ["--model_name=housing", "--http_port=8080"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert _env(c)["OMP_NUM_THREADS"] == "1"


def test_chart_has_no_canary_when_challenger_disabled(rendered: dict[str, Any]) -> None:
    for scenario in ("defaults", "serving-only"):
        pred = _isvc(rendered[scenario])["spec"]["predictor"]
        assert "canaryTrafficPercent" not in pred, scenario


@pytest.mark.parametrize(
    ("scenario", "percent"), [("canary", 20), ("promote", 100), ("rollback", 0), ("minio", 25)]
)
def test_chart_sets_canary_percent_when_challenger_enabled(
    rendered: dict[str, Any], scenario: str, percent: int
) -> None:
    assert _isvc(rendered[scenario])["spec"]["predictor"]["canaryTrafficPercent"] == percent


@pytest.mark.parametrize(
    ("scenario", "uri"),
    [
        ("canary", "pvc://housing-bundles/20260301T120000Z-abc1234"),
        ("promote", "pvc://housing-bundles/20260301T120000Z-abc1234"),
        ("rollback", "pvc://housing-bundles/20260301T120000Z-abc1234"),
        ("minio", "s3://housing/bundles/20260301T120000Z-abc1234"),
    ],
)
def test_chart_storage_uri_is_challenger_bundle_when_canary_else_champion(
    rendered: dict[str, Any], scenario: str, uri: str
) -> None:
    assert _env(_container(_isvc(rendered[scenario])))["STORAGE_URI"] == uri


def test_chart_storage_uri_is_champion_when_challenger_disabled_again(helm: str) -> None:
    docs = cs.render([CI / "canary-values.yaml"], sets={"challenger.enabled": "false"}, helm=helm)
    pred = _isvc(docs)["spec"]["predictor"]
    assert "canaryTrafficPercent" not in pred
    assert (
        _env(_container(_isvc(docs)))["STORAGE_URI"]
        == "pvc://housing-bundles/20260201T120000Z-def5678"
    )


def test_chart_logger_posts_all_to_collector_when_defaults(rendered: dict[str, Any]) -> None:
    pred = _isvc(rendered["defaults"])["spec"]["predictor"]
    assert pred["logger"] == {
        "mode": "all",
        "url": "http://housing-collector.housing.svc.cluster.local:8090/",
    }
    svc = next(
        s
        for s in cs.by_kind(rendered["defaults"], "Service")
        if s["metadata"]["name"] == "housing-collector"
    )
    assert svc["spec"]["ports"][0]["port"] == 8090


def test_chart_keeps_collector_pending_halves_on_the_events_pvc_when_defaults(
    rendered: dict[str, Any],
) -> None:
    collector = next(
        d
        for d in cs.by_kind(rendered["defaults"], "Deployment")
        if d["metadata"]["name"] == "housing-collector"
    )
    container = collector["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert env["HOUSING_COLLECTOR_PENDING_DIR"].startswith("/data/events/")
    assert mounts["/data/events"] == "events"  # the PVC, not the emptyDir at /tmp


def test_chart_has_no_logger_when_logger_disabled(rendered: dict[str, Any]) -> None:
    assert "logger" not in _isvc(rendered["serving-only"])["spec"]["predictor"]


def test_chart_renders_every_component_when_defaults(rendered: dict[str, Any]) -> None:
    names = {(d["kind"], d["metadata"]["name"]) for d in rendered["defaults"]}
    assert {
        ("Job", "housing-train"),
        ("CronJob", "housing-drift"),
        ("Deployment", "housing-collector"),
        ("Service", "housing-collector"),
        ("Deployment", "housing-dashboard"),
        ("Service", "housing-dashboard"),
        ("PersistentVolumeClaim", "housing-bundles"),
        ("PersistentVolumeClaim", "housing-events"),
        ("PersistentVolumeClaim", "housing-workspace"),
        ("Pod", "housing-test-infer"),
    } <= names
    cron = cs.one(rendered["defaults"], "CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cs.one(rendered["defaults"], "Job")
    assert job["spec"]["backoffLimit"] >= 0 and job["spec"]["ttlSecondsAfterFinished"] > 0
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    assert (
        _env(job["spec"]["template"]["spec"]["containers"][0])["HOUSING_PUBLISH_URI"]
        == "/data/bundles"
    )
    assert {
        p["spec"]["storageClassName"]
        for p in cs.by_kind(rendered["defaults"], "PersistentVolumeClaim")
    } == {"standard"}


def test_chart_uses_secret_refs_and_no_plaintext_credentials_when_minio(
    rendered: dict[str, Any],
) -> None:
    docs = rendered["minio"]
    assert not cs.by_kind(docs, "Secret"), "the chart must not create credentials"
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {
        ("Deployment", "housing-minio"),
        ("Service", "housing-minio"),
        ("PersistentVolumeClaim", "housing-minio-data"),
        ("Job", "housing-minio-make-bucket"),
    } <= names
    refs = 0
    for name, spec in cs.pod_specs(docs):
        for c in spec.get("containers", []):
            for e in c.get("env", []):
                if re.search(r"(SECRET|PASSWORD|ACCESS_KEY|ROOT_USER)", e["name"]):
                    assert "value" not in e, f"{name}/{c['name']}: {e['name']} is plaintext"
                    assert e["valueFrom"]["secretKeyRef"]["name"] == "housing-s3"
                    refs += 1
    assert refs >= 8  # MinIO root user/password, bucket job, training, drift
    train = next(d for d in cs.by_kind(docs, "Job") if d["metadata"]["name"] == "housing-train")
    env = _env(train["spec"]["template"]["spec"]["containers"][0])
    assert env["HOUSING_PUBLISH_URI"] == "s3://housing/bundles"
    assert env["HOUSING_S3_ENDPOINT_URL"] == "http://housing-minio.housing.svc.cluster.local:9000"
    sa = next(
        d
        for d in cs.by_kind(docs, "ServiceAccount")
        if d["metadata"]["name"] == "housing-predictor"
    )
    assert sa["secrets"] == [{"name": "housing-s3"}]


@pytest.mark.parametrize("scenario", ["defaults", "canary", "minio", "serving-only"])
def test_chart_contains_no_credential_material_when_rendered(
    rendered: dict[str, Any], scenario: str
) -> None:
    text = yaml.safe_dump_all(rendered[scenario])
    assert not re.search(
        r"(?i)(password|secret_access_key|root_password)\s*:\s*\S",
        text.replace("key: AWS_SECRET_ACCESS_KEY", ""),
    ), "credential-looking value in rendered output"
    for doc in rendered[scenario]:
        for value in _strings(doc):
            if len(value) >= 24 and re.fullmatch(r"[A-Za-z0-9+/=]+", value):
                with pytest.raises(ValueError):
                    base64.b64decode(value, validate=True).decode("ascii")


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("scenario", ["defaults", "canary", "minio", "serving-only"])
def test_chart_secures_every_pod_and_container_when_rendered(
    rendered: dict[str, Any], scenario: str
) -> None:
    for name, spec in cs.pod_specs(rendered[scenario]):
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 10001, name
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for c in spec.get("initContainers", []) + spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, (name, c["name"])
            assert sc["readOnlyRootFilesystem"] is True, (name, c["name"])
            assert sc["capabilities"]["drop"] == ["ALL"], (name, c["name"])
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001, (name, c["name"])
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", (name, c["name"])


@pytest.mark.parametrize("scenario", ["defaults", "canary", "minio", "serving-only"])
def test_chart_sets_requests_and_limits_when_rendered(
    rendered: dict[str, Any], scenario: str
) -> None:
    for name, spec in cs.pod_specs(rendered[scenario]):
        for c in spec.get("initContainers", []) + spec["containers"]:
            res = c["resources"]
            for part in ("requests", "limits"):
                assert set(res[part]) >= {"cpu", "memory"}, (name, c["name"], part)


def test_chart_service_accounts_mount_no_token_and_no_rbac_when_rendered(
    rendered: dict[str, Any],
) -> None:
    for scenario, docs in rendered.items():
        for sa in cs.by_kind(docs, "ServiceAccount"):
            assert sa["automountServiceAccountToken"] is False, (scenario, sa["metadata"]["name"])
        assert not [
            d
            for d in docs
            if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
        ]


@pytest.mark.parametrize("scenario", ["defaults", "canary", "minio", "serving-only"])
def test_chart_labels_and_selectors_are_consistent_when_rendered(
    rendered: dict[str, Any], scenario: str
) -> None:
    docs = rendered[scenario]
    for d in docs:
        labels = d["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ):
            assert key in labels, (d["kind"], d["metadata"]["name"], key)
    for d in cs.by_kind(docs, "Deployment"):
        selector = d["spec"]["selector"]["matchLabels"]
        assert "helm.sh/chart" not in selector and "app.kubernetes.io/version" not in selector
        assert selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        svc = next(
            s for s in cs.by_kind(docs, "Service") if s["metadata"]["name"] == d["metadata"]["name"]
        )
        assert svc["spec"]["selector"] == selector
    for isvc in cs.by_kind(docs, "InferenceService"):
        assert "helm.sh/chart" not in isvc["spec"]["predictor"]["labels"]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (
            "defaults",
            {"housing-predictor", "housing-collector", "housing-dashboard", "housing-jobs"},
        ),
        (
            "minio",
            {
                "housing-predictor",
                "housing-collector",
                "housing-dashboard",
                "housing-minio",
                "housing-jobs",
            },
        ),
    ],
)
def test_chart_renders_network_policies_when_enabled(
    rendered: dict[str, Any], scenario: str, expected: set[str]
) -> None:
    policies = {p["metadata"]["name"]: p for p in cs.by_kind(rendered[scenario], "NetworkPolicy")}
    assert set(policies) == expected
    collector = policies["housing-collector"]["spec"]["ingress"][0]
    assert (
        collector["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        == "predictor"
    )
    predictor = policies["housing-predictor"]["spec"]["ingress"][0]["from"][0]
    assert predictor["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "knative-serving",
        "kourier-system",
    ]


def test_chart_helm_test_pod_checks_median_house_value_when_rendered(
    rendered: dict[str, Any],
) -> None:
    pod = cs.one(rendered["defaults"], "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    env = _env(pod["spec"]["containers"][0])
    assert (
        env["URL"] == "http://housing-predictor.housing.svc.cluster.local/v2/models/housing/infer"
    )
    body = json.loads(env["BODY"])
    inputs = {i["name"]: i for i in body["inputs"]}
    assert len(inputs) == 9
    assert inputs["ocean_proximity"] == {
        "name": "ocean_proximity",
        "shape": [1],
        "datatype": "BYTES",
        "data": ["NEAR BAY"],
    }
    assert all(
        i["datatype"] == "FP64" and i["shape"] == [1]
        for n, i in inputs.items()
        if n != "ocean_proximity"
    )
    assert "median_house_value" in pod["spec"]["containers"][0]["args"][0]


@pytest.mark.parametrize("percent", ["101", "-1"])
def test_chart_rejects_traffic_percent_when_outside_0_100(helm: str, percent: str) -> None:
    message = _fails(helm, {"challenger.trafficPercent": percent}, "canary-values.yaml")
    assert "trafficPercent" in message


def test_chart_rejects_challenger_when_bundle_uri_missing(helm: str) -> None:
    message = _fails(helm, {"challenger.enabled": "true"})
    assert "challenger/bundleUri" in message or "challenger.bundleUri" in message


def test_chart_validate_values_names_problem_when_schema_skipped(helm: str) -> None:
    """housing.validateValues catches the same mistakes when the schema is skipped (or bypassed)."""
    proc = cs.run_helm(
        [
            "template",
            "housing",
            str(cs.CHART),
            "--skip-schema-validation",
            "--set",
            "challenger.enabled=true",
            "--set",
            "challenger.trafficPercent=101",
        ],
        helm,
    )
    assert proc.returncode != 0
    assert "challenger.bundleUri: required when challenger.enabled is true" in proc.stderr
    assert "challenger.trafficPercent: 101 is outside 0-100" in proc.stderr


@pytest.mark.parametrize(
    "uri", ["gs://bucket/model", "/mnt/bundles/v1", "pvc://", "http://minio/x"]
)
def test_chart_rejects_bundle_uri_when_scheme_not_pvc_or_s3(helm: str, uri: str) -> None:
    message = _fails(helm, {"champion.bundleUri": uri})
    assert "bundleUri" in message


def test_chart_rejects_s3_uri_when_no_secret(helm: str) -> None:
    message = _fails(helm, {"s3.existingSecret": ""}, "minio-values.yaml")
    assert "s3.existingSecret: required" in message


def test_chart_rejects_unknown_key_when_typo(helm: str) -> None:
    message = _fails(helm, {"challenger.trafficPercentt": "5"})
    assert "trafficPercentt" in message


def test_chart_rejects_min_replicas_when_above_max(helm: str) -> None:
    message = _fails(
        helm, {"inferenceService.minReplicas": "5", "inferenceService.maxReplicas": "2"}
    )
    assert "minReplicas" in message


@pytest.mark.parametrize("scenario", ["defaults", "minio"])
def test_chart_probes_every_server_when_rendered(rendered: dict[str, Any], scenario: str) -> None:
    for d in cs.by_kind(rendered[scenario], "Deployment"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in c and "livenessProbe" in c, (
                d["metadata"]["name"],
                c["name"],
            )
    assert "readinessProbe" in _container(_isvc(rendered[scenario]))


def test_chart_mounts_claim_root_and_waits_for_latest_when_defaults(
    rendered: dict[str, Any],
) -> None:
    """pvc://<claim>/latest would become subPath "latest", which kubelet creates empty before
    training runs (kubelet makeMounts; kserve v0.20.0 storage_initializer_injector.go)."""
    isvc = _isvc(rendered["defaults"])
    env = _env(_container(isvc))
    assert env["STORAGE_URI"] == "pvc://housing-bundles"  # no subPath: ParsePvcURI -> ""
    assert env["HOUSING_MODEL_DIR"] == "/mnt/models/latest"
    assert env["HOUSING_BUNDLE_WAIT_SECONDS"] == "3900"
    # Knative's default progress-deadline (600s) would fail the revision before training ends
    assert isvc["metadata"]["annotations"]["serving.knative.dev/progress-deadline"] == "3900s"
    job = next(
        j
        for j in cs.by_kind(rendered["defaults"], "Job")
        if j["metadata"]["name"] == "housing-train"
    )
    assert int(env["HOUSING_BUNDLE_WAIT_SECONDS"]) > job["spec"]["activeDeadlineSeconds"]


@pytest.mark.parametrize("scenario", ["canary", "promote", "rollback", "minio"])
def test_chart_keeps_knative_defaults_and_no_wait_when_version_pinned(
    rendered: dict[str, Any], scenario: str
) -> None:
    isvc = _isvc(rendered[scenario])
    env = _env(_container(isvc))
    assert "serving.knative.dev/progress-deadline" not in isvc["metadata"]["annotations"]
    assert "HOUSING_BUNDLE_WAIT_SECONDS" not in env and "HOUSING_MODEL_DIR" not in env


def test_chart_rejects_bundle_wait_when_not_longer_than_training(helm: str) -> None:
    message = _fails(helm, {"inferenceService.bundleWaitSeconds": "3600"})
    assert "bundleWaitSeconds (3600) must exceed training.activeDeadlineSeconds (3600)" in message


@pytest.mark.parametrize("metric", ["cpu", "memory"])
def test_chart_rejects_scale_metric_when_knative_kpa_cannot_use_it(helm: str, metric: str) -> None:
    """KServe v0.20.0 validateKPAMetrics: only concurrency and rps in Knative mode."""
    message = _fails(helm, {"inferenceService.scaleMetric": metric})
    assert "scaleMetric" in message


@pytest.mark.parametrize("metric", ["concurrency", "rps"])
def test_chart_accepts_scale_metric_when_kpa_metric(helm: str, metric: str) -> None:
    docs = cs.render(sets={"inferenceService.scaleMetric": metric}, helm=helm)
    assert _isvc(docs)["spec"]["predictor"]["scaleMetric"] == metric


@pytest.mark.parametrize("uri", ["s3://housing/bundles/latest", "s3://housing/bundles/LATEST"])
def test_chart_rejects_s3_latest_when_storage_initializer_cannot_follow_it(
    helm: str, uri: str
) -> None:
    message = _fails(helm, {"champion.bundleUri": uri}, "minio-values.yaml")
    assert "S3 has no 'latest' directory" in message


def test_chart_probes_liveness_and_readiness_on_v2_health_when_rendered(
    rendered: dict[str, Any],
) -> None:
    c = _container(_isvc(rendered["defaults"]))
    assert c["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8080}
    assert c["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}

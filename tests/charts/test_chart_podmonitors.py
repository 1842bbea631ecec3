"""The PodMonitors (templates/podmonitors.yaml) as helm renders them: what Prometheus scrapes.

The predictor's application metrics are on the kserve-container's port, which Knative names
``user-port`` on every revision pod (knative/serving knative-v1.21.1
pkg/reconciler/revision/resources/deploy.go), on pods KServe labels
``serving.kserve.io/inferenceservice`` and ``component: predictor`` (kserve/kserve v0.20.0
pkg/controller/v1beta1/inferenceservice/components/predictor.go).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import chart_support as cs

API = "monitoring.coreos.com/v1/PodMonitor"


def _render(helm: str, *extra: str) -> list[dict[str, Any]]:
    proc = cs.run_helm(["template", "housing", str(cs.CHART), "-n", "housing", *extra], helm)
    assert proc.returncode == 0, proc.stderr
    return cs.by_kind([d for d in yaml.safe_load_all(proc.stdout) if d], "PodMonitor")


def _named(monitors: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in monitors}


def test_chart_podmonitors_absent_when_cluster_lacks_the_monitoring_api(helm: str) -> None:
    assert _render(helm) == []
    # the PrometheusRule kind alone does not imply the PodMonitor kind
    assert _render(helm, "--api-versions", "monitoring.coreos.com/v1/PrometheusRule") == []


def test_chart_predictor_podmonitor_scrapes_kserve_container_metrics_when_api_exists(
    helm: str,
) -> None:
    monitors = _named(_render(helm, "--api-versions", API))
    assert set(monitors) == {"housing-predictor", "housing-collector"}
    predictor = monitors["housing-predictor"]
    assert predictor["apiVersion"] == "monitoring.coreos.com/v1"
    assert predictor["metadata"]["namespace"] == "housing"
    assert predictor["spec"]["namespaceSelector"] == {"matchNames": ["housing"]}
    assert predictor["spec"]["selector"] == {
        "matchLabels": {"serving.kserve.io/inferenceservice": "housing", "component": "predictor"}
    }
    assert predictor["spec"]["podMetricsEndpoints"] == [{"port": "user-port", "path": "/metrics"}]


def test_chart_collector_podmonitor_scrapes_its_http_port_when_api_exists(helm: str) -> None:
    collector = _named(_render(helm, "--api-versions", API))["housing-collector"]
    selector = collector["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "collector"
    assert selector["app.kubernetes.io/instance"] == "housing"
    [endpoint] = collector["spec"]["podMetricsEndpoints"]
    assert endpoint == {"port": "http", "path": "/metrics"}


def test_chart_podmonitors_select_the_pods_the_chart_renders_when_api_exists(helm: str) -> None:
    docs = cs.render(helm=helm)
    (deployment,) = [
        d for d in cs.by_kind(docs, "Deployment") if d["metadata"]["name"] == "housing-collector"
    ]
    pod = deployment["spec"]["template"]
    collector = _named(_render(helm, "--api-versions", API))["housing-collector"]
    wanted = collector["spec"]["selector"]["matchLabels"]
    assert wanted.items() <= pod["metadata"]["labels"].items()
    ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    assert "http" in ports
    isvc = cs.one(docs, "InferenceService")
    assert isvc["metadata"]["name"] == "housing"  # KServe's serving.kserve.io/inferenceservice
    (container,) = isvc["spec"]["predictor"]["containers"]
    # Knative renames this port user-port; its number is what the NetworkPolicy admits
    assert [p["containerPort"] for p in container["ports"]] == [8080]


@pytest.mark.parametrize(("value", "count"), [("true", 2), ("false", 0)])
def test_chart_podmonitors_follow_the_value_when_set(helm: str, value: str, count: int) -> None:
    monitors = _render(
        helm,
        "--api-versions",
        API,
        "--set",
        f"podMonitors.enabled={value}",
        "--set",
        "podMonitors.labels.release=kps",
        "--set",
        "podMonitors.interval=30s",
        "--set",
        "inferenceService.metricsPath=/stats",
    )
    assert len(monitors) == count
    for m in monitors:
        assert m["metadata"]["labels"]["release"] == "kps"
        assert m["spec"]["podMetricsEndpoints"][0]["interval"] == "30s"
    if count:
        predictor = _named(monitors)["housing-predictor"]
        assert predictor["spec"]["podMetricsEndpoints"][0]["path"] == "/stats"


def test_chart_podmonitors_render_without_the_api_when_forced(helm: str) -> None:
    assert len(_render(helm, "--set", "podMonitors.enabled=true")) == 2


def test_chart_podmonitors_skip_disabled_components_when_forced(helm: str) -> None:
    monitors = _named(
        _render(
            helm,
            "--set",
            "podMonitors.enabled=true",
            "--set",
            "collector.enabled=false",
            "--set",
            "inferenceService.logger.enabled=false",
        )
    )
    assert set(monitors) == {"housing-predictor"}


@pytest.mark.parametrize("setting", ["podMonitors.enabled=yes", "podMonitors.interval=30 s"])
def test_chart_rejects_bad_podmonitor_values_when_typo(helm: str, setting: str) -> None:
    proc = cs.run_helm(["template", "housing", str(cs.CHART), "--set", setting], helm)
    assert proc.returncode != 0
    assert "podMonitors" in proc.stderr

"""The PrometheusRule and the Grafana dashboard ConfigMap (templates/prometheusrule.yaml,
templates/grafana-dashboard.yaml) as helm renders them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

import chart_support as cs

RULES = cs.CHART / "files" / "prometheus-rules.yaml"
DASHBOARD = cs.CHART / "files" / "grafana-dashboard.json"


def _render(helm: str, *extra: str) -> list[dict[str, Any]]:
    proc = cs.run_helm(["template", "housing", str(cs.CHART), "-n", "housing", *extra], helm)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_chart_prometheusrule_absent_when_cluster_lacks_the_monitoring_api(helm: str) -> None:
    assert _kind(_render(helm), "PrometheusRule") == []


def test_chart_prometheusrule_ships_the_rule_file_when_the_api_exists(helm: str) -> None:
    docs = _render(helm, "--api-versions", "monitoring.coreos.com/v1/PrometheusRule")
    [rule] = _kind(docs, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"] == yaml.safe_load(RULES.read_text())  # exactly what promtool tested
    annotations = rule["spec"]["groups"][0]["rules"][0]["annotations"]
    assert "{{ $labels.model_name }}" in annotations["summary"]  # not eaten by helm


@pytest.mark.parametrize(("value", "count"), [("true", 1), ("false", 0)])
def test_chart_prometheusrule_follows_the_value_when_set(helm: str, value: str, count: int) -> None:
    docs = _render(
        helm,
        "--api-versions",
        "monitoring.coreos.com/v1/PrometheusRule",
        "--set",
        f"prometheusRule.enabled={value}",
        "--set",
        "prometheusRule.labels.release=kps",
    )
    rules = _kind(docs, "PrometheusRule")
    assert len(rules) == count
    assert all(r["metadata"]["labels"]["release"] == "kps" for r in rules)


def test_chart_rejects_unknown_prometheusrule_mode_when_typo(helm: str) -> None:
    proc = cs.run_helm(
        ["template", "housing", str(cs.CHART), "--set", "prometheusRule.enabled=yes"], helm
    )
    assert proc.returncode != 0
    assert "prometheusRule" in proc.stderr


def test_chart_grafana_configmap_carries_the_sidecar_label_when_rendered(helm: str) -> None:
    [cm] = [d for d in _kind(_render(helm), "ConfigMap") if "grafana" in d["metadata"]["name"]]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["housing.json"]) == json.loads(DASHBOARD.read_text())
    off = _render(helm, "--set", "grafanaDashboard.enabled=false")
    assert not [d for d in _kind(off, "ConfigMap") if "grafana" in d["metadata"]["name"]]


def test_chart_drift_cronjob_gets_the_pushgateway_url_only_when_set(helm: str) -> None:
    def env(docs: list[dict[str, Any]]) -> dict[str, str]:
        [job] = [d for d in _kind(docs, "CronJob") if d["metadata"]["name"].endswith("-drift")]
        [c] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        return {e["name"]: e.get("value", "") for e in c["env"]}

    assert "HOUSING_PUSHGATEWAY_URL" not in env(_render(helm))
    url = "http://pushgateway.monitoring:9091"
    set_ = _render(helm, "--set", f"drift.pushgatewayUrl={url}")
    assert env(set_)["HOUSING_PUSHGATEWAY_URL"] == url


def test_chart_performance_cronjob_runs_the_report_on_the_label_store_only_when_enabled(
    helm: str,
) -> None:
    docs = _render(helm, "--set", "performance.enabled=true", "--set", "performance.rmseMargin=1")
    [job] = [d for d in _kind(docs, "CronJob") if d["metadata"]["name"].endswith("-performance")]
    [c] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert c["command"] == ["housing-feedback", "report"]
    assert env["HOUSING_RMSE_MARGIN"] == "1"
    assert env["HOUSING_LABELS_DIR"].startswith("/data/events/")  # where POST /feedback writes
    [collector] = [
        d for d in _kind(docs, "Deployment") if d["metadata"]["name"].endswith("-collector")
    ]
    [cc] = collector["spec"]["template"]["spec"]["containers"]
    assert {"name": "HOUSING_LABELS_DIR", "value": env["HOUSING_LABELS_DIR"]} in cc["env"]
    off = _render(helm)  # off by default: it needs a label feed
    assert not [d for d in _kind(off, "CronJob") if d["metadata"]["name"].endswith("-performance")]

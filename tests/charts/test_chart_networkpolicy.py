"""Who may reach the collector and the predictor, evaluated on the rendered NetworkPolicies.

The evaluator follows the NetworkPolicyPeer semantics of kubernetes/api (v0.34.0
networking/v1/types.go): a peer with only `podSelector` selects pods of the policy's namespace; with
only `namespaceSelector`, every pod of the selected namespaces; with both, pods matching both; `{}`
selects everything. A rule without `ports` allows every port, one without `from` every source. A
pod selected by a policy accepts only what some rule allows.
"""

from __future__ import annotations

from typing import Any

import pytest

import chart_support as cs

NS = "housing"
PROMETHEUS = ({"app.kubernetes.io/name": "prometheus", "prometheus": "kps"}, "monitoring")
LABELLER = ({"housing.kserve/feedback": "true"}, NS)


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        present, value = e["key"] in labels, labels.get(e["key"])
        ok = {
            "In": present and value in e.get("values", []),
            "NotIn": not present or value not in e.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[e["operator"]]
        if not ok:
            return False
    return True


def _peer_allows(peer: dict[str, Any], labels: dict[str, str], namespace: str) -> bool:
    ns_labels = {"kubernetes.io/metadata.name": namespace}
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], ns_labels):
            return False
    elif namespace != NS:
        return False
    return _matches(peer.get("podSelector", {}), labels)


def allows(policy: dict[str, Any], client: tuple[dict[str, str], str], port: int) -> bool:
    labels, namespace = client
    for rule in policy["spec"].get("ingress", []):
        ports = [p["port"] for p in rule.get("ports", [])]
        if ports and port not in ports:
            continue
        peers = rule.get("from", [])
        if not peers or any(_peer_allows(peer, labels, namespace) for peer in peers):
            return True
    return False


def _policy(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (policy,) = [d for d in cs.by_kind(docs, "NetworkPolicy") if d["metadata"]["name"] == name]
    return policy


@pytest.fixture(scope="module")
def defaults(helm: str) -> list[dict[str, Any]]:
    return cs.render(helm=helm)


def _predictor_pod() -> tuple[dict[str, str], str]:
    labels = {
        "app.kubernetes.io/name": "housing",
        "app.kubernetes.io/instance": "housing",
        "app.kubernetes.io/component": "predictor",
    }
    return labels, NS


def test_chart_collector_admits_prometheus_logger_and_labellers_when_defaults(
    defaults: list[dict[str, Any]],
) -> None:
    collector = _policy(defaults, "housing-collector")
    assert allows(collector, _predictor_pod(), 8090)  # KServe's logger
    assert allows(collector, PROMETHEUS, 8090)  # /metrics
    assert allows(collector, LABELLER, 8090)  # POST /feedback
    assert not allows(collector, PROMETHEUS, 8091)
    # a pod without the label, here or elsewhere, and a labeller from another namespace: refused
    assert not allows(collector, ({"app": "debug"}, NS), 8090)
    assert not allows(collector, ({"app.kubernetes.io/name": "grafana"}, "monitoring"), 8090)
    assert not allows(collector, (LABELLER[0], "other"), 8090)


def test_chart_predictor_admits_prometheus_on_metrics_ports_only_when_defaults(
    defaults: list[dict[str, Any]],
) -> None:
    predictor = _policy(defaults, "housing-predictor")
    assert allows(predictor, PROMETHEUS, 9091) and allows(predictor, PROMETHEUS, 9088)
    # the kserve-container's /metrics (housing_*, request_predict_seconds) is on its HTTP port 8080,
    # which serves inference too: docs/security.md says what admitting Prometheus there allows
    assert allows(predictor, PROMETHEUS, 8080)
    assert not allows(predictor, PROMETHEUS, 8081)  # gRPC
    assert not allows(predictor, PROMETHEUS, 8012)  # queue-proxy's serving port
    assert allows(predictor, ({"app": "activator"}, "knative-serving"), 8080)
    assert not allows(predictor, LABELLER, 8080)
    assert not allows(predictor, ({"app.kubernetes.io/name": "grafana"}, "monitoring"), 8080)


def test_chart_predictor_scrape_port_follows_metrics_port_when_set(helm: str) -> None:
    docs = cs.render(sets={"inferenceService.metricsPort": "9100"}, helm=helm)
    predictor = _policy(docs, "housing-predictor")
    assert allows(predictor, PROMETHEUS, 9100)
    assert not allows(predictor, PROMETHEUS, 8080)


def test_chart_refuses_scrape_and_feedback_when_peer_lists_empty(helm: str, tmp_path: Any) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("networkPolicy:\n  metricsFrom: []\n  feedbackFrom: []\n")
    docs = cs.render([values], helm=helm)
    collector, predictor = _policy(docs, "housing-collector"), _policy(docs, "housing-predictor")
    assert not allows(collector, PROMETHEUS, 8090) and not allows(collector, LABELLER, 8090)
    assert not allows(predictor, PROMETHEUS, 9091) and not allows(predictor, PROMETHEUS, 8080)
    assert allows(collector, _predictor_pod(), 8090)


def test_chart_scrape_follows_configured_namespace_when_metrics_from_narrowed(
    helm: str, tmp_path: Any
) -> None:
    values = tmp_path / "v.yaml"
    values.write_text(
        "networkPolicy:\n  metricsFrom:\n"
        "    - namespaceSelector:\n        matchLabels:\n"
        "          kubernetes.io/metadata.name: monitoring\n"
        "      podSelector:\n        matchLabels:\n          app.kubernetes.io/name: prometheus\n"
    )
    docs = cs.render([values], helm=helm)
    collector = _policy(docs, "housing-collector")
    assert allows(collector, PROMETHEUS, 8090)
    assert not allows(collector, (PROMETHEUS[0], "tenant-a"), 8090)


@pytest.mark.parametrize(
    "peer",
    [
        "{podSelector: {matchLabels: {a: b}}, bogus: {}}",  # unknown field
        "{}",  # an empty peer would admit every pod of the namespace
        "{podSelector: {matchExpressions: [{key: a, operator: Equals}]}}",
        "{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}",  # Kubernetes refuses both in one peer
    ],
)
def test_chart_schema_rejects_bad_peer_when_metrics_from_set(
    helm: str, tmp_path: Any, peer: str
) -> None:
    values = tmp_path / "v.yaml"
    values.write_text(f"networkPolicy:\n  metricsFrom: [{peer}]\n")
    with pytest.raises(cs.RenderError, match="schema"):
        cs.render([values], helm=helm)

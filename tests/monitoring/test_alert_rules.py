"""The alert rules (charts/housing/files/prometheus-rules.yaml) under the real promtool, and the
Grafana dashboard: every metric either queries is one our code or KServe's exports."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from metric_names import exported, used

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "charts" / "housing" / "files" / "prometheus-rules.yaml"
UNIT_TESTS = Path(__file__).parent / "promtool" / "housing_alerts_test.yaml"
DASHBOARD = REPO / "charts" / "housing" / "files" / "grafana-dashboard.json"
PROMTOOL = shutil.which("promtool")

# CI installs Debian's prometheus package (scripts/install-system-tools.sh): a failure there.
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="needs promtool (apt-get install prometheus; scripts/install-system-tools.sh)",
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL or "promtool", *args], capture_output=True, text=True, timeout=120, check=False
    )


def _alerts() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"] if "alert" in r}


@needs_promtool
def test_promtool_check_rules_accepts_the_chart_rules_when_checked() -> None:
    proc = _promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in proc.stdout


@needs_promtool
def test_promtool_unit_tests_pass_when_run_on_the_chart_rules() -> None:
    proc = _promtool("test", "rules", str(UNIT_TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


@needs_promtool
def test_promtool_unit_tests_fail_when_an_alert_threshold_changes(tmp_path: Path) -> None:
    # The unit tests can fail: a 5xx limit of 20 % no longer fires at 10 % and promtool says so.
    rules = tmp_path / "charts" / "housing" / "files" / "prometheus-rules.yaml"
    rules.parent.mkdir(parents=True)
    rules.write_text(RULES.read_text().replace("> 0.05", "> 0.20"))
    tests = tmp_path / "tests" / "monitoring" / "promtool" / UNIT_TESTS.name
    tests.parent.mkdir(parents=True)
    tests.write_text(UNIT_TESTS.read_text())
    proc = _promtool("test", "rules", str(tests))
    assert proc.returncode != 0
    assert "HousingPredictor5xxRate" in proc.stdout + proc.stderr


def test_unit_tests_make_every_alert_fire_and_clear_when_read() -> None:
    tests = yaml.safe_load(UNIT_TESTS.read_text())["tests"]
    fired, silent = set(), set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert set(_alerts()) <= fired, set(_alerts()) - fired
    assert set(_alerts()) <= silent, set(_alerts()) - silent


def test_metric_names_of_promql_are_found_when_an_expression_is_parsed() -> None:
    expr = (
        'sum by (model_name) (rate(housing_request_errors_total{outcome=~"error|x"}[5m]))'
        " / on (model_name) histogram_quantile(0.99, rate(request_predict_seconds_bucket[5m]))"
        " and time() - max(housing_drift_last_run_timestamp_seconds) > 3 * 3600"
    )
    assert used(expr) == {
        "housing_request_errors_total",
        "request_predict_seconds_bucket",
        "housing_drift_last_run_timestamp_seconds",
    }


def test_exported_names_include_the_predictor_and_kserve_series_when_collected() -> None:
    names = exported()
    assert {"housing_requests_total", "request_predict_seconds_bucket"} <= names
    assert "housing_collector_dead_letters_total" in names
    assert "housing_requests" not in names  # counters are exposed with _total only


def test_alert_rules_query_only_exported_metrics_when_checked() -> None:
    names = exported()
    for alert, expr in _alerts().items():
        selected = used(expr)
        assert selected, alert
        assert selected <= names, f"{alert}: unknown metric(s) {selected - names}"


def test_grafana_dashboard_queries_only_exported_metrics_when_checked() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [
        v["definition"].removeprefix("label_values(").split(",")[0]
        for v in dashboard["templating"]["list"]
        if v["type"] == "query"
    ]
    assert len(exprs) >= 10
    names = exported()
    for expr in exprs:
        assert used(expr) <= names, f"{expr}: unknown metric(s) {used(expr) - names}"


def _dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def test_grafana_dashboard_plots_every_metric_an_alert_reads_when_checked() -> None:
    # An operator paged by an alert finds its metric on the dashboard.
    plotted = set().union(*map(used, _dashboard_exprs()))
    for alert, expr in _alerts().items():
        assert used(expr) <= plotted, f"{alert}: {used(expr) - plotted} not plotted"
    assert {"housing_performance_rmse", "housing_drift_score"} <= plotted


def test_grafana_staleness_panel_turns_red_where_the_stale_alert_fires_when_compared() -> None:
    query, limit = _alerts()["HousingDriftJobStale"].split(">")
    seconds = math.prod(int(f) for f in limit.split("*"))
    [panel] = [
        p
        for p in json.loads(DASHBOARD.read_text())["panels"]
        if any(t["expr"] == query.strip() for t in p.get("targets", []))
    ]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert (steps[-1]["color"], steps[-1]["value"]) == ("red", seconds)
    assert panel["fieldConfig"]["defaults"]["unit"] == "s"


def test_grafana_performance_panel_names_every_state_its_query_yields_when_read() -> None:
    [panel] = [
        p
        for p in json.loads(DASHBOARD.read_text())["panels"]
        if any("housing_performance_degraded" in t["expr"] for t in p.get("targets", []))
    ]
    [mapping] = panel["fieldConfig"]["defaults"]["mappings"]
    texts = {value: m["text"] for value, m in mapping["options"].items()}
    # degraded and insufficient data exclude each other (one status per version): 0, 1 or 2.
    assert texts == {"0": "ok", "1": "insufficient data", "2": "degraded"}
    [target] = panel["targets"]
    assert used(target["expr"]) == {
        "housing_performance_degraded",
        "housing_performance_insufficient_data",
    }


def test_grafana_dashboard_panels_do_not_overlap_when_laid_out() -> None:
    # Grafana moves an overlapping panel down on load: the layout in the file would be a lie.
    taken: dict[tuple[int, int], str] = {}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]

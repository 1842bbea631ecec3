"""Each action's Helm values, rendered by the real chart, give the InferenceService it claims."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollout.cli import main
from rollout.errors import HelmError
from rollout.helm import Helm, isvc_name, plan_canary, plan_promote, plan_rollback, set_flags
from rollout_objects import CHALLENGER_URI, CHAMPION_URI, REPO
from support import failure_line

CHART = REPO / "charts" / "housing"
CHAMPION_ONLY = {"champion": {"bundleUri": CHAMPION_URI}}
CANARY_20 = {
    "champion": {"bundleUri": CHAMPION_URI},
    "challenger": {"enabled": True, "bundleUri": CHALLENGER_URI, "trafficPercent": 20},
}


def render(helm: str, tmp_path: Path, current: dict[str, Any], sets: list[str]) -> dict[str, Any]:
    """``helm template`` with the release's current values plus the action's --set flags (what
    ``helm upgrade --reset-then-reuse-values --set …`` applies); returns the InferenceService's
    predictor."""
    values = tmp_path / "current.yaml"
    values.write_text(yaml.safe_dump(current))
    done = subprocess.run(
        [helm, "template", "housing", str(CHART), "-f", str(values), *sets],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    isvc = [d for d in docs if d["kind"] == "InferenceService"]
    assert len(isvc) == 1 and isvc[0]["metadata"]["name"] == isvc_name("housing", current)
    return isvc[0]["spec"]["predictor"]


def storage_uri(predictor: dict[str, Any]) -> str:
    container = next(c for c in predictor["containers"] if c["name"] == "kserve-container")
    return next(e["value"] for e in container["env"] if e["name"] == "STORAGE_URI")


def template_of(predictor: dict[str, Any]) -> dict[str, Any]:
    """What Knative turns into a revision: everything but the traffic split."""
    return {k: v for k, v in predictor.items() if k != "canaryTrafficPercent"}


def test_canary_with_bundle_starts_new_revision_at_zero_then_sets_share(helm, tmp_path):
    start, share = plan_canary(CHAMPION_ONLY, 10, CHALLENGER_URI)
    before = render(helm, tmp_path, CHAMPION_ONLY, [])
    started = render(helm, tmp_path, CHAMPION_ONLY, set_flags(start.values))
    shared = render(
        helm, tmp_path, CHAMPION_ONLY, set_flags(start.values) + set_flags(share.values)
    )  # --reset-then-reuse-values keeps the earlier step's --set values
    assert started["canaryTrafficPercent"] == start.latest_percent == 0
    assert storage_uri(started) == CHALLENGER_URI
    assert start.new_revision and template_of(started) != template_of(before)
    assert shared["canaryTrafficPercent"] == share.latest_percent == 10
    assert not share.new_revision and template_of(shared) == template_of(started)


def test_canary_with_running_bundle_only_changes_the_share():
    assert [p.values for p in plan_canary(CANARY_20, 30, CHALLENGER_URI)] == [
        {"challenger.trafficPercent": 30}
    ]


def test_canary_share_change_renders_same_template_so_no_new_revision(helm, tmp_path):
    [plan] = plan_canary(CANARY_20, 50, None)
    before = render(helm, tmp_path, CANARY_20, [])
    after = render(helm, tmp_path, CANARY_20, set_flags(plan.values))
    assert after["canaryTrafficPercent"] == 50
    assert not plan.new_revision and template_of(after) == template_of(before)


def test_promote_renders_challenger_as_champion_without_canary_and_same_template(helm, tmp_path):
    plan = plan_promote(CANARY_20)
    before = render(helm, tmp_path, CANARY_20, [])
    after = render(helm, tmp_path, CANARY_20, set_flags(plan.values))
    assert "canaryTrafficPercent" not in after  # KServe: 100 % to the latest revision
    assert storage_uri(after) == CHALLENGER_URI
    assert plan.latest_percent == 100 and not plan.new_revision
    assert template_of(after) == template_of(before)


def test_rollback_renders_zero_percent_and_same_template(helm, tmp_path):
    plan = plan_rollback(CANARY_20)
    before = render(helm, tmp_path, CANARY_20, [])
    after = render(helm, tmp_path, CANARY_20, set_flags(plan.values))
    assert after["canaryTrafficPercent"] == plan.latest_percent == 0
    assert storage_uri(after) == CHALLENGER_URI  # the revision stays; it just gets no traffic
    assert template_of(after) == template_of(before)


def test_uris_are_passed_as_strings_and_numbers_as_values():
    flags = set_flags(
        {
            "challenger.bundleUri": "s3://b/1e5",
            "challenger.enabled": True,
            "challenger.trafficPercent": 5,
        }
    )
    assert flags == [
        "--set-string",
        "challenger.bundleUri=s3://b/1e5",
        "--set",
        "challenger.enabled=true",
        "--set",
        "challenger.trafficPercent=5",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: plan_canary(CHAMPION_ONLY, 10, None), "no canary is running"),
        (lambda: plan_canary(CANARY_20, 101, None), "outside 0-100"),
        (lambda: plan_canary(CANARY_20, 10, CHAMPION_URI), "already the champion"),
        (lambda: plan_promote(CHAMPION_ONLY), "nothing to promote"),
        (lambda: plan_rollback(CHAMPION_ONLY), "no canary is running"),
    ],
)
def test_plans_refuse_actions_that_do_not_apply(make, message):
    with pytest.raises(HelmError, match=message):
        make()


def fake_helm(tmp_path: Path, values: dict[str, Any], chart_version: str | None = None) -> Path:
    """A stand-in helm that answers `get values/metadata` and logs every call; the release runs
    ``chart_version``, by default the version of charts/housing/Chart.yaml."""
    chart_version = chart_version or yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
    script = tmp_path / "helm"
    log = tmp_path / "helm.log"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {log}
case "$1 $2" in
  "get values") echo '{json.dumps(values)}' ;;
  "get metadata") echo '{{"name": "housing", "chart": "housing", "version": "{chart_version}"}}' ;;
  *) echo "unexpected: $@" >&2; exit 1 ;;
esac
""")
    script.chmod(0o755)
    return script


def test_canary_dry_run_is_offline_and_plans_from_a_values_file(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(json.dumps(CHAMPION_ONLY))  # JSON is YAML
    out = io.StringIO()
    code = main(
        [
            "canary",
            "10",
            "--bundle-uri",
            CHALLENGER_URI,
            "--dry-run",
            "--values",
            str(values),
            "--helm",
            str(tmp_path / "no-such-helm"),  # neither helm nor a cluster is asked anything
            "--chart",
            str(CHART),
            "-n",
            "ml",
        ],
        out=out,
    )
    assert code == 0
    helm = tmp_path / "no-such-helm"
    assert out.getvalue().splitlines() == [
        f"dry run: planned from {values}, not from the release",
        f"+ {helm} upgrade housing {CHART} --reset-then-reuse-values --set challenger.enabled=true "
        f"--set-string challenger.bundleUri={CHALLENGER_URI} --set challenger.trafficPercent=0 "
        "--namespace=ml",
        "  note: step 1: start the new revision with 0% of the traffic",
        f"+ {helm} upgrade housing {CHART} --reset-then-reuse-values "
        "--set challenger.trafficPercent=10 --namespace=ml",
        "dry run: nothing applied",
    ]


def test_dry_run_without_values_plans_from_the_chart_defaults(tmp_path):
    out = io.StringIO()
    argv = [
        "rollback",
        "--dry-run",
        "--helm",
        str(tmp_path / "no-such-helm"),
        "--chart",
        str(CHART),
    ]
    # The chart's defaults run no canary: there is nothing to roll back, said without a cluster.
    assert main(argv, out=out) == 2
    assert (
        out.getvalue() == f"dry run: planned from {CHART / 'values.yaml'}, not from the release\n"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "pvc://housing-bundles/v1,champion.bundleUri=s3://evil/x",  # a second assignment
        "pvc://housing-bundles/v1\\,x",  # an escaped comma
        "{s3://a,s3://b}",  # a list
        "file:///etc/passwd",  # not a scheme KServe fetches a bundle from
        "s3://bucket/v 1",
    ],
)
def test_canary_refuses_a_bundle_uri_helm_would_read_as_more_values(tmp_path, capsys, uri):
    out = io.StringIO()
    argv = ["canary", "10", "--bundle-uri", uri, "--dry-run", "--chart", str(CHART)]
    assert main(argv, out=out) == 2
    assert "--bundle-uri" in failure_line(capsys.readouterr().err)
    assert "upgrade" not in out.getvalue()


def test_action_refuses_when_local_chart_differs_from_deployed(tmp_path, capsys):
    helm = fake_helm(tmp_path, CANARY_20, chart_version="0.0.9")
    argv = ["promote", "--helm", str(helm), "--chart", str(CHART)]
    assert main(argv, out=io.StringIO()) == 2
    assert "release housing runs 0.0.9" in failure_line(capsys.readouterr().err)
    assert not [c for c in (tmp_path / "helm.log").read_text().splitlines() if "upgrade" in c]


def test_helm_upgrade_command_scopes_namespace_and_context():
    h = Helm("helm", "prod", "ml", "kind-housing")
    cmd = h.upgrade_cmd(CHART, plan_rollback(CANARY_20))
    assert cmd == [
        "helm",
        "upgrade",
        "prod",
        str(CHART),
        "--reset-then-reuse-values",
        "--set",
        "challenger.trafficPercent=0",
        "--namespace=ml",
        "--kube-context=kind-housing",
    ]


def _template(helm: str, chart: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, "template", "housing", str(chart), "-n", "housing", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_merges_old_release_values_over_new_chart_defaults_when_chart_gained_keys(
    helm, tmp_path
):
    """What the two flags hand the new chart, with the real helm (helm/helm v3.19.0
    pkg/action/upgrade.go, reuseValues): --reuse-values renders the new templates over the old
    release's computed values, --reset-then-reuse-values over the new chart's defaults plus the
    release's user-supplied values. `podMonitors` stands for a key added after the install."""
    user = tmp_path / "user.yaml"  # `helm get values` (no --all) of a release installed earlier
    user.write_text(yaml.safe_dump(CANARY_20))
    sets = set_flags(plan_promote(CANARY_20).values)

    old_defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    del old_defaults["podMonitors"]
    reused_chart = tmp_path / "reused" / "housing"
    reused_chart.parent.mkdir()
    subprocess.run(["cp", "-r", str(CHART), str(reused_chart)], check=True)
    (reused_chart / "values.yaml").write_text(yaml.safe_dump(old_defaults))
    reused = _template(helm, reused_chart, "-f", str(user), *sets)
    assert reused.returncode != 0 and "podMonitors" in reused.stderr  # the --reuse-values failure

    api = ["--api-versions", "monitoring.coreos.com/v1/PodMonitor"]
    reset = _template(helm, CHART, "-f", str(user), *sets, *api)
    assert reset.returncode == 0, reset.stderr
    docs = [d for d in yaml.safe_load_all(reset.stdout) if d]
    assert {d["kind"] for d in docs} >= {"InferenceService", "PodMonitor"}  # the new default
    (isvc,) = [d for d in docs if d["kind"] == "InferenceService"]
    assert storage_uri(isvc["spec"]["predictor"]) == CHALLENGER_URI  # the promote applied

"""Waiting for KServe after a traffic change: converge, fail fast, or time out with reasons."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from rollout.actions import wait
from rollout.cli import main
from rollout.errors import NotConverged
from rollout.helm import plan_canary, plan_promote, plan_rollback
from rollout_objects import CHALLENGER_URI, CHAMPION_URI, R1, R2, isvc_path
from test_rollout_helm import CANARY_20, CHAMPION_ONLY, CHART, fake_helm


class Clock:
    """A fake monotonic clock that ``sleep`` advances."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def states(*objs: dict[str, Any]) -> Any:
    """A reader returning each object in turn, then the last one forever."""
    it: Iterator[dict[str, Any]] = iter(objs)
    last: list[dict[str, Any]] = []

    def read() -> dict[str, Any]:
        last[:] = [next(it, last[0] if last else objs[-1])]
        return last[0]

    return read


def _wait(read, plan, before=R1, timeout=60.0):
    clock = Clock()
    return wait(
        read, plan, before, timeout_s=timeout, interval_s=2, clock=clock, sleep=clock.sleep
    ), clock.now


def _starting(objects, ready=False, conditions=None):
    """Step 1 of a canary: the challenger's revision at 0 % (before/after it is ready)."""
    rev = R2 if ready else R1  # Knative resolves latestRevision to the latest *ready* revision
    return objects.isvc(
        canary=0,
        created=R2,
        ready_rev=rev,
        conditions=conditions,
        traffic=[
            {"revisionName": rev, "latestRevision": True, "percent": 0, "tag": "latest"},
            {"revisionName": R1, "latestRevision": False, "percent": 100, "tag": "prev"},
        ],
    )


def _canary_10(helm, *, timeout, out):
    """``housing-rollout canary 10 --bundle-uri <challenger>`` with the fake helm and chart."""
    args = ["canary", "10", "--bundle-uri", CHALLENGER_URI, "--helm", str(helm)]
    return main([*args, "--chart", str(CHART), "--timeout", str(timeout)], out=out)


def test_wait_returns_when_new_revision_is_ready_at_zero_percent(objects):
    start, _ = plan_canary(CHAMPION_ONLY, 10, CHALLENGER_URI)
    st, waited = _wait(
        states(objects.single(), _starting(objects), _starting(objects, True)), start
    )
    assert [(t.revision, t.percent) for t in st.traffic] == [(R2, 0), (R1, 100)]
    assert st.latest_ready == R2
    assert waited == 4


def test_wait_fails_fast_with_kserve_reason_when_new_model_fails_to_load(objects):
    start, _ = plan_canary(CHAMPION_ONLY, 10, CHALLENGER_URI)
    with pytest.raises(NotConverged, match=r"BlockedByFailedLoad.*bundle failed verification"):
        _wait(states(objects.failed_canary()), start)


def test_wait_times_out_listing_what_is_missing_and_unready_conditions(objects):
    pending = _starting(
        objects,
        conditions=[
            {
                "type": "Ready",
                "status": "Unknown",
                "reason": "RevisionMissing",
                "message": f"Configuration is waiting for a Revision {R2} to become ready.",
            }
        ],
    )
    start, _ = plan_canary(CHAMPION_ONLY, 10, CHALLENGER_URI)
    with pytest.raises(NotConverged) as e:
        _wait(states(pending), start, timeout=30)
    text = str(e.value)
    assert text.startswith("canary: not done after 30 s")
    assert f"revision {R2} is not ready (latest ready: {R1})" in text
    assert "Ready=Unknown (RevisionMissing)" in text


def test_wait_accepts_rollback_once_route_is_back_even_if_challenger_revision_failed(objects):
    rolled_back = objects.failed_canary()
    rolled_back["spec"]["predictor"]["canaryTrafficPercent"] = 0
    rolled_back["status"]["components"]["predictor"]["traffic"] = [
        {"revisionName": R1, "latestRevision": True, "percent": 0, "tag": "latest"},
        {"revisionName": R1, "latestRevision": False, "percent": 100, "tag": "prev"},
    ]
    st, _ = _wait(states(rolled_back), plan_rollback(CANARY_20), before=R2)
    assert st.ready == "False" and st.latest_percent() == 0


def test_wait_for_promote_requires_latest_revision_rolled_out(objects):
    at_100_not_recorded = objects.single(CHALLENGER_URI, rev=R2)
    at_100_not_recorded["status"]["components"]["predictor"]["latestRolledoutRevision"] = R1
    promoted = objects.single(CHALLENGER_URI, rev=R2, previous=R1)
    st, waited = _wait(
        states(objects.isvc(canary=20), at_100_not_recorded, promoted),
        plan_promote(CANARY_20),
        before=R2,
    )
    assert (st.latest_rolledout, st.previous_rolledout) == (R2, R1)
    assert waited == 4


def _helm_that_upgrades(tmp_path, values):
    helm = fake_helm(tmp_path, values)
    helm.write_text(
        helm.read_text().replace(
            '  *) echo "unexpected', '  "upgrade housing") ;;\n  *) echo "unexpected'
        )
    )
    return helm


def _upgrades(tmp_path):
    return [c for c in (tmp_path / "helm.log").read_text().splitlines() if c.startswith("upgrade")]


def test_canary_starts_bundle_at_zero_then_sets_share_waiting_for_each(
    tmp_path, apiserver, objects
):
    helm = _helm_that_upgrades(tmp_path, CHAMPION_ONLY)
    apiserver.routes[isvc_path()] = (
        200,
        states(objects.single(), _starting(objects, True), objects.isvc(canary=10)),
    )
    out = io.StringIO()
    assert _canary_10(helm, timeout=10, out=out) == 0
    assert f"canary done: {R2} 10% (latest), {R1} 90% (prev); Ready=True" in out.getvalue()
    assert _upgrades(tmp_path) == [
        f"upgrade housing {CHART} --reset-then-reuse-values --set challenger.enabled=true "
        f"--set-string challenger.bundleUri={CHALLENGER_URI} --set challenger.trafficPercent=0",
        f"upgrade housing {CHART} --reset-then-reuse-values --set challenger.trafficPercent=10",
    ]


def test_promote_refuses_when_challenger_revision_is_not_ready(
    tmp_path, apiserver, objects, capsys
):
    helm = _helm_that_upgrades(tmp_path, CANARY_20)
    apiserver.routes[isvc_path()] = (200, objects.failed_canary())
    assert main(["promote", "--helm", str(helm), "--chart", str(CHART)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert f"promote: the challenger revision {R2} is not ready (latest ready: {R1})" in err
    assert not _upgrades(tmp_path)


def test_canary_exits_12_with_reason_when_isvc_never_converges(
    tmp_path, apiserver, objects, capsys
):
    helm = _helm_that_upgrades(tmp_path, CHAMPION_ONLY)
    apiserver.routes[isvc_path()] = (200, objects.single(CHAMPION_URI))
    assert _canary_10(helm, timeout=0, out=io.StringIO()) == NotConverged.exit_code
    assert "the new revision has not been created yet" in capsys.readouterr().err

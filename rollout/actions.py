"""``canary``, ``promote``, ``rollback``: print the helm upgrade, run it, wait for KServe.

The wait polls the InferenceService with the Kubernetes client until its status shows the split
the plan asked for (and Ready), or gives up with the reasons from its status conditions.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from rollout import cluster
from rollout.errors import HelmError, NotConverged
from rollout.helm import (
    Helm,
    Plan,
    chart_version,
    isvc_name,
    plan_canary,
    plan_promote,
    plan_rollback,
    read_values,
)
from rollout.settings import RolloutSettings
from rollout.status import IsvcStatus, parse

BLOCKED = ("BlockedByFailedLoad", "InvalidSpec")


def missing(st: IsvcStatus, plan: Plan, created_before: str) -> list[str]:
    """What the InferenceService still lacks to match ``plan``; empty when it has converged."""
    out = []
    if plan.action == "promote":
        if st.canary_percent is not None:
            out.append(f"spec still has canaryTrafficPercent={st.canary_percent}")
    elif st.canary_percent != plan.latest_percent:
        out.append(f"spec canaryTrafficPercent={st.canary_percent}, want {plan.latest_percent}")
    if plan.new_revision:
        if not st.latest_created or st.latest_created == created_before:
            out.append("the new revision has not been created yet")
        elif st.latest_ready != st.latest_created:
            out.append(
                f"revision {st.latest_created} is not ready (latest ready: "
                f"{st.latest_ready or 'none'})"
            )
    if not st.traffic:
        out.append("no traffic reported yet")
    elif st.latest_percent() != plan.latest_percent:
        out.append(
            f"latest revision has {st.latest_percent()}% of the traffic, want "
            f"{plan.latest_percent}%"
        )
    elif (
        plan.latest_percent < 100
        and sum(t.percent for t in st.traffic if not t.latest) != 100 - plan.latest_percent
    ):
        out.append(f"the rolled-out revision does not have {100 - plan.latest_percent}%")
    if plan.action == "promote" and st.latest_rolledout != st.latest_ready:
        out.append(
            f"latestRolledoutRevision is {st.latest_rolledout or 'unset'}, not {st.latest_ready}"
        )
    route = st.condition("PredictorRouteReady") or st.condition("RoutesReady")
    if plan.needs_ready and st.ready != "True":
        out.append(f"Ready={st.ready}")
    elif not plan.needs_ready and (route is None or route.status != "True"):
        out.append("the route is not ready")
    return out


def wait(
    read: Callable[[], dict[str, Any]],
    plan: Plan,
    created_before: str,
    *,
    timeout_s: float,
    interval_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> IsvcStatus:
    """Poll until the InferenceService matches ``plan``.

    Raises:
        NotConverged: timed out, or KServe reports the new model failed to load; the message
            lists what is missing and every condition that is not True.
    """
    deadline = clock() + timeout_s
    while True:
        st = parse(read())
        gaps = missing(st, plan, created_before)
        if not gaps:
            return st
        if plan.new_revision and st.transition in BLOCKED and st.latest_created != created_before:
            raise NotConverged(
                f"{plan.action}: KServe reports {st.transition}: " + "; ".join(st.not_ready())
            )
        if clock() >= deadline:
            raise NotConverged(
                f"{plan.action}: not done after {timeout_s:g} s: "
                + "; ".join(gaps + st.not_ready())
            )
        sleep(interval_s)


def make_plans(
    action: str, current: dict[str, Any], percent: int | None, bundle_uri: str | None
) -> list[Plan]:
    """The steps of ``action`` given the release's current values."""
    if action == "canary":
        return plan_canary(current, int(percent if percent is not None else -1), bundle_uri)
    return [plan_promote(current) if action == "promote" else plan_rollback(current)]


def _check_chart(settings: RolloutSettings, helm: Helm, allow_change: bool) -> None:
    local, deployed = chart_version(settings.chart), helm.deployed_chart_version()
    if local != deployed and not allow_change:
        raise HelmError(
            f"{settings.chart} is chart version {local} but release "
            f"{settings.release} runs {deployed}: a traffic change would also apply "
            "the chart change (and may start a new revision); use the deployed chart "
            "or pass --allow-chart-change"
        )


def _check_promotable(st: IsvcStatus) -> None:
    """Promote only a challenger whose revision serves: else 100 % would go to another one."""
    if st.latest_created != st.latest_ready or st.ready != "True":
        raise HelmError(
            f"promote: the challenger revision {st.latest_created or '?'} is not ready "
            f"(latest ready: {st.latest_ready or 'none'}): "
            + ("; ".join(st.not_ready()) or "no status yet")
        )


def run(
    settings: RolloutSettings,
    action: str,
    *,
    percent: int | None,
    bundle_uri: str | None,
    isvc: str | None,
    dry_run: bool,
    timeout_s: float,
    allow_chart_change: bool,
    out: TextIO,
    values_file: Path | None = None,
) -> int:
    """Plan, print, apply and wait for one traffic action; returns the exit code.

    A dry run is offline: it plans from ``values_file`` (default: the chart's values.yaml)
    instead of the release's values, and talks to neither helm nor the cluster.
    """
    helm = Helm(settings.helm, settings.release, settings.namespace, settings.kube_context)
    if dry_run:
        source = values_file or settings.chart / "values.yaml"
        current = read_values(source)
        print(f"dry run: planned from {source}, not from the release", file=out)
    else:
        current = helm.current_values()
        _check_chart(settings, helm, allow_chart_change)
    plans = make_plans(action, current, percent, bundle_uri)
    commands = [helm.upgrade_cmd(settings.chart, plan) for plan in plans]
    for plan, cmd in zip(plans, commands, strict=True):
        print(f"+ {shlex.join(cmd)}", file=out)
        for note in plan.notes:
            print(f"  note: {note}", file=out)
    if dry_run:
        print("dry run: nothing applied", file=out)
        return 0
    api, namespace = cluster.connect(settings.kube_context, settings.namespace, settings.kubeconfig)
    name = isvc or isvc_name(settings.release, current)
    st = parse(cluster.get_isvc(api, name, namespace))  # fail before changing anything
    if action == "promote":
        _check_promotable(st)
    for plan, cmd in zip(plans, commands, strict=True):
        print(
            f"running: {shlex.join(cmd[:3])} … ({plan.action}, latest revision at "
            f"{plan.latest_percent}%{', new revision' if plan.new_revision else ''}); waiting up "
            f"to {timeout_s:g} s for {namespace}/{name}",
            file=out,
        )
        helm.run(cmd)
        st = wait(
            lambda: cluster.get_isvc(api, name, namespace),
            plan,
            st.latest_created,
            timeout_s=timeout_s,
        )
    split = ", ".join(
        f"{t.revision} {t.percent}%" + (f" ({t.tag})" if t.tag else "") for t in st.traffic
    )
    print(f"{action} done: {split}; Ready={st.ready}", file=out)
    return 0

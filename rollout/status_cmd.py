"""``status``: the InferenceService's readiness, traffic split and the bundle of each revision."""

from __future__ import annotations

import json
from typing import TextIO

from rollout import cluster
from rollout.helm import isvc_name
from rollout.settings import RolloutSettings
from rollout.status import (
    IsvcStatus,
    parse,
    render,
    revision_bundle,
    revision_names,
    revision_state,
)


def read(api: object, name: str, namespace: str) -> tuple[IsvcStatus, dict[str, str]]:
    """The parsed status with ``bundles`` filled in, and each revision's readiness."""
    st = parse(cluster.get_isvc(api, name, namespace))
    revisions = cluster.get_revisions(api, revision_names(st), namespace)
    st.bundles = {n: revision_bundle(r) for n, r in revisions.items()}
    if st.latest_created and st.bundles.get(st.latest_created, "").startswith("unknown"):
        st.bundles[st.latest_created] += f"; the spec asks for {st.spec_storage_uri}"
    return st, {n: revision_state(r) for n, r in revisions.items()}


def run(settings: RolloutSettings, *, isvc: str | None, as_json: bool, out: TextIO) -> int:
    """Print the status; 0 when read (whatever its readiness), ClusterError otherwise."""
    api, namespace = cluster.connect(settings.kube_context, settings.namespace, settings.kubeconfig)
    name = isvc or isvc_name(settings.release, {})
    st, states = read(api, name, namespace)
    if as_json:
        print(json.dumps({**st.as_dict(), "revision_states": states}, indent=2), file=out)
    else:
        print(render(st, states), file=out)
    return 0

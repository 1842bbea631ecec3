"""What an InferenceService reports about its rollout, parsed from the object KServe writes.

Knative mode (KServe v0.20): ``status.components.predictor`` holds ``traffic[]`` (Knative traffic
targets: ``revisionName``, ``percent``, ``latestRevision``, ``tag``, ``url``), and the revision
names ``latestCreatedRevision``, ``latestReadyRevision``, ``latestRolledoutRevision`` (last at
100 %: the champion) and ``previousRolledoutRevision``. With ``canaryTrafficPercent`` set, KServe
routes that share to the latest ready revision (tag ``latest``) and the rest to the latest
rolled-out revision (tag ``prev``).

Which bundle a revision serves is read from its Knative Revision (``serving.knative.dev/v1``): the
``STORAGE_URI`` env of its ``kserve-container``. Revisions are immutable snapshots of the template,
so this stays true for the ``prev`` revision after the InferenceService spec has moved on; the
InferenceService itself only shows the *current* spec's URI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CONTAINER = "kserve-container"
SOURCE_URI_ANNOTATION = "internal.serving.kserve.io/storage-initializer-sourceuri"


@dataclass(frozen=True)
class Condition:
    """One status condition."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class Target:
    """One traffic target."""

    revision: str
    percent: int
    latest: bool
    tag: str = ""
    url: str = ""


@dataclass
class IsvcStatus:
    """The rollout-relevant parts of an InferenceService."""

    name: str
    namespace: str
    url: str
    ready: str
    conditions: list[Condition]
    traffic: list[Target]
    latest_created: str
    latest_ready: str
    latest_rolledout: str
    previous_rolledout: str
    canary_percent: int | None
    spec_storage_uri: str
    transition: str = ""
    failure: str = ""
    bundles: dict[str, str] = field(default_factory=dict)
    """Revision name -> bundle URI (or why it is unknown)."""

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    def latest_percent(self) -> int:
        """Share of the ``latestRevision`` target(s)."""
        return sum(t.percent for t in self.traffic if t.latest)

    def not_ready(self) -> list[str]:
        """``Type: reason: message`` of every condition that is not True, plus a load failure."""
        out = [
            f"{c.type}={c.status}"
            + (f" ({c.reason})" if c.reason else "")
            + (f": {c.message}" if c.message else "")
            for c in self.conditions
            if c.status != "True"
        ]
        return out + ([f"model load: {self.failure}"] if self.failure else [])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _env_uri(container: dict[str, Any]) -> str:
    return next(
        (e.get("value", "") for e in container.get("env") or [] if e.get("name") == "STORAGE_URI"),
        "",
    )


def _spec_uri(obj: dict[str, Any]) -> str:
    predictor = obj.get("spec", {}).get("predictor", {})
    for c in predictor.get("containers") or []:
        if c.get("name") == CONTAINER and (uri := _env_uri(c)):
            return uri
    return str(predictor.get("model", {}).get("storageUri", ""))


def parse(obj: dict[str, Any]) -> IsvcStatus:
    """Parse an InferenceService dict (missing status fields give empty values, never errors)."""
    meta, status = obj.get("metadata", {}), obj.get("status") or {}
    comp = (status.get("components") or {}).get("predictor") or {}
    conditions = [
        Condition(
            c.get("type", ""), c.get("status", "Unknown"), c.get("reason", ""), c.get("message", "")
        )
        for c in status.get("conditions") or []
    ]
    ready = next((c.status for c in conditions if c.type == "Ready"), "Unknown")
    traffic = [
        Target(
            t.get("revisionName", ""),
            int(t.get("percent") or 0),
            bool(t.get("latestRevision")),
            t.get("tag", ""),
            t.get("url", ""),
        )
        for t in comp.get("traffic") or []
    ]
    model = status.get("modelStatus") or {}
    info = model.get("lastFailureInfo") or {}
    failure = ": ".join(x for x in (info.get("reason", ""), info.get("message", "")) if x)
    canary = obj.get("spec", {}).get("predictor", {}).get("canaryTrafficPercent")
    return IsvcStatus(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        url=status.get("url", ""),
        ready=ready,
        conditions=conditions,
        traffic=traffic,
        latest_created=comp.get("latestCreatedRevision", ""),
        latest_ready=comp.get("latestReadyRevision", ""),
        latest_rolledout=comp.get("latestRolledoutRevision", ""),
        previous_rolledout=comp.get("previousRolledoutRevision", ""),
        canary_percent=None if canary is None else int(canary),
        spec_storage_uri=_spec_uri(obj),
        transition=model.get("transitionStatus", ""),
        failure=failure,
    )


def revision_names(st: IsvcStatus) -> list[str]:
    """Every revision the status mentions, without repeats, in a stable order."""
    names = [t.revision for t in st.traffic] + [
        st.latest_created,
        st.latest_ready,
        st.latest_rolledout,
        st.previous_rolledout,
    ]
    return list(dict.fromkeys(n for n in names if n))


def revision_bundle(revision: dict[str, Any] | str) -> str:
    """The STORAGE_URI a Revision runs, or the reason it is unknown."""
    if isinstance(revision, str):
        return f"unknown ({revision})"
    for c in revision.get("spec", {}).get("containers") or []:
        if c.get("name") == CONTAINER and (uri := _env_uri(c)):
            return uri
    annotations = revision.get("metadata", {}).get("annotations") or {}
    return str(annotations.get(SOURCE_URI_ANNOTATION, "unknown (no STORAGE_URI on the revision)"))


def revision_state(revision: dict[str, Any] | str) -> str:
    """``Ready`` or ``not ready: reason: message`` of a Revision."""
    if isinstance(revision, str):
        return "unknown"
    for c in (revision.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            if c.get("status") == "True":
                return "ready"
            detail = ": ".join(x for x in (c.get("reason", ""), c.get("message", "")) if x)
            return f"{'failed' if c.get('status') == 'False' else 'not ready'}: {detail}"
    return "not ready"


def roles(st: IsvcStatus, name: str) -> str:
    """Which of KServe's revision pointers name this revision."""
    found = [
        label
        for label, value in (
            ("latest created", st.latest_created),
            ("latest ready", st.latest_ready),
            ("rolled out (champion)", st.latest_rolledout),
            ("previously rolled out", st.previous_rolledout),
        )
        if value == name
    ]
    return ", ".join(found) or "-"


def render(st: IsvcStatus, states: dict[str, str]) -> str:
    """The ``status`` table."""
    lines = [
        f"InferenceService {st.namespace}/{st.name}: Ready={st.ready}",
        f"URL: {st.url or '-'}",
        "canary: "
        + (
            f"canaryTrafficPercent={st.canary_percent}"
            if st.canary_percent is not None
            else "none (100% to the latest revision)"
        ),
    ]
    lines += [f"  {p}" for p in st.not_ready()]
    lines += ["", "traffic:"]
    for t in st.traffic:
        lines.append(
            f"  {t.percent:>3}%  {t.revision or '(latest ready)'}"
            f"  tag={t.tag or '-'}{'  [latestRevision]' if t.latest else ''}"
            f"{'  ' + t.url if t.url else ''}"
        )
    if not st.traffic:
        lines.append("  (none reported yet)")
    lines += ["", "revisions:"]
    for name in revision_names(st):
        lines.append(
            f"  {name}: {st.bundles.get(name, 'unknown')}  "
            f"[{states.get(name, 'unknown')}; {roles(st, name)}]"
        )
    return "\n".join(lines)

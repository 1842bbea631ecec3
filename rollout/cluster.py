"""Reading the InferenceService and its Knative Revisions with the official Kubernetes client.

Every API failure becomes a ``ClusterError`` naming its cause in one line: no kubeconfig, API server
unreachable, 401, 403, no such InferenceService, or KServe not installed (its API group missing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rollout.errors import ClusterError

KSERVE = ("serving.kserve.io", "v1beta1", "inferenceservices")
KNATIVE_REVISIONS = ("serving.knative.dev", "v1", "revisions")
_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def connect(
    context: str | None, namespace: str | None, kubeconfig: str | None = None
) -> tuple[Any, str]:
    """A ``CustomObjectsApi`` and the namespace to use (flag, else context's, else the pod's).

    Raises:
        ClusterError: no kubeconfig and not in a pod, or the context does not exist.
    """
    from kubernetes import client, config

    try:
        config.load_kube_config(config_file=kubeconfig, context=context)  # type: ignore[no-untyped-call]
        _, active = config.list_kube_config_contexts(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        default_ns = (active or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException as e:
        try:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
        except config.ConfigException:
            raise ClusterError(
                f"no Kubernetes configuration: {e} (set KUBECONFIG or "
                "--context, or run in a pod with a service account)"
            ) from e
        default_ns = _SA_NAMESPACE.read_text().strip() if _SA_NAMESPACE.is_file() else "default"
    return client.CustomObjectsApi(), namespace or default_ns


def _body(e: Any) -> dict[str, Any]:
    try:
        body = json.loads(e.body or "{}")
        return body if isinstance(body, dict) else {}
    except (TypeError, ValueError):
        return {}


def _group_installed(api: Any, group: str) -> bool | None:
    """True/False when discovery answers, None when it cannot tell."""
    from kubernetes import client

    try:
        groups = client.ApisApi(api.api_client).get_api_versions().groups or []
    except Exception:  # discovery is only a diagnosis aid; its failure must not mask the 404
        return None
    return any(g.name == group for g in groups)


def explain(
    e: Exception, api: Any, what: tuple[str, str, str], name: str, namespace: str
) -> ClusterError:
    """Turn a client exception into a one-line ``ClusterError``."""
    from kubernetes.client.exceptions import ApiException

    group, version, plural = what
    resource = f"{plural}.{group}"
    if not isinstance(e, ApiException):  # urllib3 connection errors, timeouts
        return ClusterError(f"cannot reach the Kubernetes API server: {e}")
    message = _body(e).get("message") or e.reason or ""
    if e.status == 401:
        return ClusterError(
            f"unauthorized (401): the kubeconfig credentials were rejected: {message}"
        )
    if e.status == 403:
        return ClusterError(
            f"forbidden (403): not allowed to get {resource} {name!r} in namespace "
            f"{namespace!r}: {message}"
        )
    if e.status == 404:
        details = _body(e).get("details") or {}
        if details.get("name") == name:
            return ClusterError(
                f"not found (404): no {plural} {name!r} in namespace "
                f"{namespace!r} (check --release/--isvc and --namespace)"
            )
        installed = _group_installed(api, group)
        if installed is False:
            return ClusterError(
                f"not found (404): the API group {group}/{version} is not served: "
                f"{'KServe' if group == KSERVE[0] else 'Knative Serving'} is "
                "not installed in this cluster"
            )
        return ClusterError(
            f"not found (404): {resource} {name!r} in namespace {namespace!r}: "
            f"{message or 'the server could not find the requested resource'}"
        )
    return ClusterError(f"Kubernetes API error {e.status} on {resource} {name!r}: {message}")


def get_isvc(api: Any, name: str, namespace: str) -> dict[str, Any]:
    """The InferenceService object as a dict (as ``kubectl get -o json`` shows it).

    Raises:
        ClusterError: see ``explain``.
    """
    try:
        return dict(api.get_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2], name))
    except Exception as e:  # ApiException or a connection error; explain() tells them apart
        raise explain(e, api, KSERVE, name, namespace) from e


def get_revisions(api: Any, names: list[str], namespace: str) -> dict[str, dict[str, Any] | str]:
    """Each named Knative Revision, or a one-line reason it could not be read (gone, 403)."""
    out: dict[str, dict[str, Any] | str] = {}
    for name in names:
        try:
            out[name] = dict(
                api.get_namespaced_custom_object(
                    *KNATIVE_REVISIONS[:2], namespace, KNATIVE_REVISIONS[2], name
                )
            )
        except Exception as e:
            out[name] = str(explain(e, api, KNATIVE_REVISIONS, name, namespace))
    return out

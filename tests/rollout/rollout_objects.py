"""Objects and fixtures of the rollout tests: a second (challenger) bundle, and
InferenceService objects shaped as KServe v0.20 writes them in Knative mode
(pkg/apis/serving/v1beta1/inference_service_status.go, the Knative TrafficTarget type, and the
canary rollout docs' ``kubectl get isvc -o yaml`` output).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from support import REPO, train_bundle

NS, NAME = "housing", "housing"
R1, R2 = f"{NAME}-predictor-00001", f"{NAME}-predictor-00002"
CHAMPION_URI = "pvc://housing-bundles/20260201T120000Z-def5678"
CHALLENGER_URI = "pvc://housing-bundles/20260301T120000Z-abc1234"


@pytest.fixture(scope="session")
def linear_bundle(tmp_path_factory: pytest.TempPathFactory, housing_csv: Path) -> Path:
    """A bundle of the plain linear candidate on the same 3,000-row sample as ``tiny_bundle``."""
    return train_bundle(
        housing_csv,
        tmp_path_factory.mktemp("linear"),
        "--sample-rows",
        "3000",
        "--cv-folds",
        "0",
        "--candidate",
        "linear",
        "--no-intervals",
    )


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary of scripts/install-k8s-tools.sh (a failure, not a skip, when missing)."""
    for candidate in (
        os.environ.get("HOUSING_HELM"),
        str(REPO / ".tools" / "bin" / "helm"),
        shutil.which("helm"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("helm not found: run scripts/install-k8s-tools.sh", pytrace=False)


def _condition(
    kind: str, status: str = "True", reason: str = "", message: str = "", severity: str = ""
) -> dict[str, Any]:
    c = {"type": kind, "status": status, "lastTransitionTime": "2026-11-26T16:00:00Z"}
    c.update(
        {k: v for k, v in (("reason", reason), ("message", message), ("severity", severity)) if v}
    )
    return c


def _ready_conditions() -> list[dict[str, Any]]:
    return [
        _condition("IngressReady"),
        _condition("LatestDeploymentReady", severity="Info"),
        _condition("PredictorConfigurationReady", severity="Info"),
        _condition("PredictorReady"),
        _condition("PredictorRouteReady", severity="Info"),
        _condition("Ready"),
        _condition("RoutesReady", severity="Info"),
    ]


def _target(rev: str, percent: int | None, latest: bool, tag: str = "") -> dict[str, Any]:
    t: dict[str, Any] = {"revisionName": rev, "latestRevision": latest}
    if percent is not None:
        t["percent"] = percent
    if tag:
        t["tag"] = tag
        t["url"] = f"http://{tag}-{NAME}-predictor-{NS}.example.com"
    return t


def isvc(
    *,
    storage_uri: str = CHALLENGER_URI,
    canary: int | None = 10,
    traffic: list[dict[str, Any]] | None = None,
    created: str = R2,
    ready_rev: str = R2,
    rolledout: str = R1,
    previous: str = "",
    conditions: list[dict[str, Any]] | None = None,
    model_status: dict[str, Any] | None = None,
    generation: int = 2,
) -> dict[str, Any]:
    """An InferenceService as the API server returns it (default: a healthy 10 % canary)."""
    predictor: dict[str, Any] = {
        "minReplicas": 1,
        "maxReplicas": 3,
        "containers": [
            {
                "name": "kserve-container",
                "image": "housing-predictor:0.1.0",
                "env": [
                    {"name": "STORAGE_URI", "value": storage_uri},
                    {"name": "HOUSING_MODEL_NAME", "value": "housing"},
                ],
            }
        ],
    }
    if canary is not None:
        predictor["canaryTrafficPercent"] = canary
    if traffic is None:
        traffic = [
            _target(R2, canary, True, "latest"),
            _target(R1, 100 - (canary or 0), False, "prev"),
        ]
    component: dict[str, Any] = {
        "latestCreatedRevision": created,
        "latestReadyRevision": ready_rev,
        "latestRolledoutRevision": rolledout,
        "traffic": traffic,
        "url": f"http://{NAME}-predictor-{NS}.example.com",
        "address": {"url": f"http://{NAME}-predictor.{NS}.svc.cluster.local"},
    }
    if previous:
        component["previousRolledoutRevision"] = previous
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": NAME,
            "namespace": NS,
            "generation": generation,
            "annotations": {
                "serving.kserve.io/deploymentMode": "Knative",
                "serving.kserve.io/enable-tag-routing": "true",
            },
        },
        "spec": {"predictor": predictor},
        "status": {
            "address": {"url": f"http://{NAME}.{NS}.svc.cluster.local"},
            "components": {"predictor": component},
            "conditions": conditions if conditions is not None else _ready_conditions(),
            "deploymentMode": "Knative",
            "observedGeneration": generation,
            "modelStatus": model_status
            or {
                "copies": {"failedCopies": 0, "totalCopies": 1},
                "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
                "transitionStatus": "UpToDate",
            },
            "url": f"http://{NAME}-{NS}.example.com",
        },
    }


def failed_canary() -> dict[str, Any]:
    """The challenger's revision crashed at start: Knative keeps routing to the last ready one."""
    msg = (
        f'Revision "{R2}" failed with message: Container failed with: housing-predictor: '
        "error: bundle failed verification."
    )
    conditions = [
        _condition("IngressReady"),
        _condition(
            "LatestDeploymentReady",
            "False",
            "PredictorConfigurationReady not ready",
            severity="Info",
        ),
        _condition("PredictorConfigurationReady", "False", "RevisionFailed", msg, severity="Info"),
        _condition("PredictorReady", "False", "RevisionFailed", msg),
        _condition("PredictorRouteReady", severity="Info"),
        _condition("Ready", "False", "RevisionFailed", msg),
        _condition("RoutesReady", severity="Info"),
    ]
    model = {
        "copies": {"failedCopies": 1, "totalCopies": 0},
        "states": {"activeModelState": "Loaded", "targetModelState": "FailedToLoad"},
        "transitionStatus": "BlockedByFailedLoad",
        "lastFailureInfo": {
            "reason": "ModelLoadFailed",
            "exitCode": 2,
            "message": "bundle failed verification",
        },
    }
    traffic = [_target(R1, 10, True, "latest"), _target(R1, 90, False, "prev")]
    return isvc(traffic=traffic, ready_rev=R1, conditions=conditions, model_status=model)


def single(storage_uri: str = CHAMPION_URI, rev: str = R1, previous: str = "") -> dict[str, Any]:
    """No canary: one revision at 100 % (first install, or after a promote)."""
    return isvc(
        storage_uri=storage_uri,
        canary=None,
        traffic=[_target(rev, 100, True, "latest")],
        created=rev,
        ready_rev=rev,
        rolledout=rev,
        previous=previous,
    )


def revision(
    name: str, uri: str, ready: str = "True", reason: str = "", message: str = ""
) -> dict[str, Any]:
    """A Knative Revision as KServe's ksvc template makes it."""
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Revision",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {
                "serving.kserve.io/inferenceservice": NAME,
                "serving.knative.dev/configuration": f"{NAME}-predictor",
            },
            "annotations": {"autoscaling.knative.dev/min-scale": "1"},
        },
        "spec": {
            "containerConcurrency": 0,
            "timeoutSeconds": 60,
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "housing-predictor:0.1.0",
                    "env": [{"name": "STORAGE_URI", "value": uri}],
                }
            ],
        },
        "status": {"conditions": [_condition("Ready", ready, reason, message)]},
    }


@pytest.fixture
def objects() -> Any:
    """The builders above, for tests: ``objects.isvc(...)``, ``objects.failed_canary()``…"""

    return sys.modules[__name__]


class FakeApiServer:
    """A loopback HTTP server answering the few Kubernetes API paths the CLI reads.

    ``routes`` maps a path to ``(status, body)`` (body may be a callable, called per request:
    a sequence of states); unknown paths answer 404 as the API server does
    for a missing object's type (a Status with empty details).
    """

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.routes: dict[str, tuple[int, Any]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.requests.append(path)
                status, body = server.routes.get(
                    path,
                    (
                        404,
                        {
                            "kind": "Status",
                            "apiVersion": "v1",
                            "metadata": {},
                            "status": "Failure",
                            "message": "the server could not find the requested resource",
                            "reason": "NotFound",
                            "details": {},
                            "code": 404,
                        },
                    ),
                )
                data = json.dumps(body() if callable(body) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def kubeconfig(self, path: Path, namespace: str = NS) -> Path:
        import yaml

        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "fake", "user": {"token": "not-a-secret"}}],
                    "contexts": [
                        {
                            "name": "fake",
                            "context": {"cluster": "fake", "user": "fake", "namespace": namespace},
                        }
                    ],
                }
            )
        )
        return path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def apiserver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fake API server, with KUBECONFIG pointing at it."""
    server = FakeApiServer()
    monkeypatch.setenv("KUBECONFIG", str(server.kubeconfig(tmp_path / "kubeconfig")))
    yield server
    server.close()


def isvc_path(name: str = NAME, ns: str = NS) -> str:
    return f"/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}"


def revision_path(name: str, ns: str = NS) -> str:
    return f"/apis/serving.knative.dev/v1/namespaces/{ns}/revisions/{name}"


def status_body(code: int, reason: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """A metav1.Status error body as the API server sends it."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }


def api_groups(*names: str) -> dict[str, Any]:
    """``GET /apis`` discovery answer listing these groups."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": n,
                "versions": [{"groupVersion": f"{n}/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": f"{n}/v1", "version": "v1"},
            }
            for n in names
        ],
    }

"""What KServe's data plane may do here: health that tells the truth, no repository changes.

KServe 0.21 answers ``/v2/health/live`` and ``/v2/health/ready`` (and gRPC ``ServerLive`` /
``ServerReady``) with a constant yes (``DataPlane.live`` returns ``{"status": "alive"}``,
``DataPlane.ready`` True unless it is a transformer: kserve/protocol/dataplane.py), and its Model
Repository extension lets any client unload the served model (``POST
/v2/repository/models/{name}/unload``, gRPC ``RepositoryModelUnload``:
kserve/protocol/model_repository_extension.py, kserve/protocol/rest/v2_endpoints.py,
kserve/protocol/grpc/servicer.py). A pod serves one verified bundle for its whole life, so here
repository load/unload are refused (REST 403, gRPC PERMISSION_DENIED) and both health checks
look at the model: not ready while it is not loaded or draining, not live once it is gone.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from grpc_interceptor.exceptions import PermissionDenied
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.model_repository_extension import ModelRepositoryExtension

from model.schema import shown

REPOSITORY_REFUSED = (
    "model repository {action}: refused, this server serves one verified bundle for its whole "
    "life (roll out another bundle with housing-rollout)"
)


class HealthDataPlane(DataPlane):  # type: ignore[misc]  # kserve ships no type hints
    """KServe's DataPlane whose health checks look at the served model.

    Args:
        model_name: the one model this server must serve. Other arguments: DataPlane's.
    """

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.draining = False
        """Set on SIGTERM: readiness goes false so no new traffic is routed here."""

    async def live(self) -> dict[str, str]:
        """Alive while the model is registered; "dead" once it is gone (restart the pod)."""
        present = self.model_registry.get_model(self.model_name) is not None
        return {"status": "alive" if present else "dead"}

    async def ready(self) -> bool:
        """Ready when the model is registered, loaded and healthy, and not draining."""
        if self.draining:
            return False
        return bool(await self.model_registry.is_model_ready(self.model_name))


class ReadOnlyRepository(ModelRepositoryExtension):  # type: ignore[misc]
    """The Model Repository extension with load and unload refused."""

    async def load(self, model_name: str) -> None:
        raise PermissionDenied(REPOSITORY_REFUSED.format(action="load"))

    async def unload(self, model_name: str) -> None:
        raise PermissionDenied(REPOSITORY_REFUSED.format(action="unload"))


def add_repository_routes(app: FastAPI) -> None:
    """Answer REST repository load/unload with 403 before KServe's routes can act on them."""
    for action in ("load", "unload"):
        app.router.add_api_route(
            f"/v2/repository/models/{{model_name}}/{action}",
            _refusal(action),
            methods=["POST"],
            include_in_schema=False,
        )


def add_version_routes(app: FastAPI) -> None:
    """Answer the versioned V2 paths with 404 naming the version.

    KServe answers them 501 "Model versioning not supported yet" (kserve/protocol/rest/
    v2_endpoints.py): a server error for a client's choice of path.
    """

    async def unversioned(model_name: str, model_version: str) -> JSONResponse:
        message = (
            f"model version {shown(model_version)}: versions are not addressable here, use "
            f"/v2/models/{{name}}[/ready|/infer] (each response names its model_version)"
        )
        return JSONResponse(status_code=404, content={"error": message})

    base = "/v2/models/{model_name}/versions/{model_version}"
    for path, method in ((base, "GET"), (f"{base}/ready", "GET"), (f"{base}/infer", "POST")):
        app.router.add_api_route(path, unversioned, methods=[method], include_in_schema=False)


def _refusal(action: str) -> Any:
    async def refuse(model_name: str) -> JSONResponse:
        return JSONResponse(
            status_code=403, content={"error": REPOSITORY_REFUSED.format(action=action)}
        )

    return refuse

"""housing-dashboard over real HTTP: reads for anyone who reaches it, writes only with the token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from monitoring.workspace import open_workspace, project_for
from support import REPO, free_port

TOKEN = "t0ken-for-tests"
DASHBOARD = [sys.executable, "-m", "monitoring.dashboard"]


def _serve(workspace: Path, token: str | None):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HOUSING_DASHBOARD_TOKEN",)}
    env["EVIDENTLY_SECRET"] = "from-evidently-env"  # must not open writes by itself
    if token:
        env["HOUSING_DASHBOARD_TOKEN"] = token
    proc = subprocess.Popen(
        [*DASHBOARD, "--workspace", str(workspace), "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/version", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("dashboard did not start within 240 s")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A workspace with one project, written directly as the drift job does."""
    workspace = tmp_path_factory.mktemp("ws")
    project = project_for(open_workspace(str(workspace)), "housing", ["median_income"])
    return workspace, str(project.id)


@pytest.fixture(scope="module")
def read_only(seeded):
    proc, url = _serve(seeded[0], token=None)
    yield url, seeded[1]
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def with_token(tmp_path_factory):
    proc, url = _serve(tmp_path_factory.mktemp("ws-token"), token=TOKEN)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _names(url):
    response = httpx.get(f"{url}/api/projects", timeout=10)
    assert response.status_code == 200
    return [p["name"] for p in response.json()]


def test_dashboard_serves_reads_to_anyone(read_only):
    url, project_id = read_only
    assert _names(url) == ["housing"]
    assert httpx.get(f"{url}/api/v2/dashboards/{project_id}", timeout=10).status_code == 200
    assert httpx.get(f"{url}/", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/projects", {"name": "evil"}),
        ("POST", "/api/v2/projects", {"name": "evil"}),
        ("DELETE", "/api/projects/{id}", None),
        ("DELETE", "/api/v2/projects/{id}", None),
        ("POST", "/api/projects/{id}/info", {"name": "renamed"}),
        ("POST", "/api/v2/dashboards/{id}", {"tabs": [], "panels": []}),
    ],
)
def test_dashboard_refuses_writes_when_no_token_is_configured(read_only, method, path, body):
    url, project_id = read_only
    for headers in ({}, {"evidently-secret": "from-evidently-env"}, {"evidently-secret": ""}):
        response = httpx.request(
            method, url + path.format(id=project_id), json=body, headers=headers, timeout=10
        )
        assert response.status_code == 403, (headers, response.status_code, response.text)
    assert _names(url) == ["housing"]


def test_dashboard_accepts_writes_only_with_the_token(with_token):
    for secret in (None, "wrong", TOKEN[:-1]):
        headers = {"evidently-secret": secret} if secret is not None else {}
        response = httpx.post(
            f"{with_token}/api/v2/projects", json={"name": "evil"}, headers=headers, timeout=10
        )
        assert response.status_code == 403
    assert _names(with_token) == []
    # the drift job's remote-workspace path: Evidently's own client with the token
    project = project_for(open_workspace(with_token, TOKEN), "housing", ["median_income"])
    assert _names(with_token) == ["housing"]
    response = httpx.delete(f"{with_token}/api/v2/projects/{project.id}", timeout=10)
    assert response.status_code == 403 and _names(with_token) == ["housing"]

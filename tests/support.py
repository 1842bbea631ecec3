"""Helpers shared by test modules (import as ``from support import ...``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def run_training(
    housing_csv: Path,
    uri: str | Path,
    *extra: str,
    git_sha: str = "testsha0000",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``housing-train`` in a subprocess, publishing to ``uri`` (``env``: added)."""
    cmd = [sys.executable, "-m", "training", "--data", str(housing_csv), "--publish-uri", str(uri)]
    sha = {"HOUSING_GIT_SHA": git_sha} if git_sha else {}
    env = {**os.environ, **sha, **(env or {})} if sha or env else None
    return subprocess.run(
        [*cmd, *extra], cwd=REPO, capture_output=True, text=True, timeout=600, env=env
    )


def train_bundle(housing_csv: Path, root: Path, *extra: str) -> Path:
    """Train (always, ``--force``) into ``root``; returns the new bundle directory."""
    result = run_training(housing_csv, root, "--force", *extra)
    if result.returncode != 0:
        raise RuntimeError(f"training failed ({result.returncode}): {result.stderr[-2000:]}")
    return (root / "latest").resolve()


# A district in the middle of every range and plausibility rule of model.schema: 5 rooms and 2.5
# people per household, bedrooms a fifth of the rooms.
MIDDLE_ROW: dict[str, float | str] = {
    "longitude": -120.0,
    "latitude": 37.0,
    "housing_median_age": 30.0,
    "total_rooms": 2000.0,
    "total_bedrooms": 400.0,
    "population": 1000.0,
    "households": 400.0,
    "median_income": 4.0,
    "ocean_proximity": "INLAND",
}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_s3(bucket: str, monkeypatch: Any = None) -> Iterator[str]:
    """A real S3-compatible server (moto) on a free loopback port with ``bucket``; its URL.

    Needs AWS_* credentials in the environment (any value): given a pytest ``monkeypatch``, it sets
    ``AWS_ENV`` there for the test.
    """
    for name, value in AWS_ENV.items() if monkeypatch is not None else ():
        monkeypatch.setenv(name, value)
    import boto3
    import httpx
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
        yield url
    finally:
        # moto keeps its state per process, not per server: the next test starts empty.
        httpx.post(f"{url}/moto-api/reset")
        server.stop()


def failure_line(*streams: str) -> str:
    """The CLI failure contract: one JSON ``command_failed`` log line and one plain line.

    Other JSON log lines (warnings before the failure) are allowed.

    Args:
        streams: what the command wrote (stdout and/or stderr); logs go to either.

    Returns:
        The plain one-line message (asserted to be the only non-JSON line).
    """
    lines = [line for s in streams for line in s.strip().splitlines()]
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    plain = [line for line in lines if not line.startswith("{")]
    failed = [e for e in logged if e["event"] == "command_failed"]
    assert len(failed) == 1 and len(plain) == 1, lines
    assert failed[0]["error"] in plain[0]
    return plain[0]

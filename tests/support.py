"""Helpers shared by test modules (import as ``from support import ...``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_training(
    housing_csv: Path, uri: str | Path, *extra: str, git_sha: str = "testsha0000"
) -> subprocess.CompletedProcess[str]:
    """Run the real ``housing-train`` in a subprocess, publishing to ``uri``."""
    cmd = [sys.executable, "-m", "training", "--data", str(housing_csv), "--publish-uri", str(uri)]
    env = {**os.environ, "HOUSING_GIT_SHA": git_sha} if git_sha else None
    return subprocess.run(
        [*cmd, *extra], cwd=REPO, capture_output=True, text=True, timeout=600, env=env
    )


def train_bundle(housing_csv: Path, root: Path, *extra: str) -> Path:
    """Train (always, ``--force``) into ``root``; returns the new bundle directory."""
    result = run_training(housing_csv, root, "--force", *extra)
    if result.returncode != 0:
        raise RuntimeError(f"training failed ({result.returncode}): {result.stderr[-2000:]}")
    return (root / "latest").resolve()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

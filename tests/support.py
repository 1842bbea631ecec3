"""Helpers shared by test modules (import as ``from support import ...``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def train_bundle(housing_csv: Path, root: Path, *extra: str) -> Path:
    """Run the real ``housing-train`` in a subprocess; returns the new bundle directory."""
    cmd = [
        sys.executable,
        "-m",
        "training",
        "--data",
        str(housing_csv),
        "--publish-uri",
        str(root),
        "--force",
        *extra,
    ]
    result = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HOUSING_GIT_SHA": "testsha0000"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"training failed ({result.returncode}): {result.stderr[-2000:]}")
    return (root / "latest").resolve()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""Predictor test helpers: a real ``python -m predictor`` process and V2 request builders."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from model.schema import CATEGORICAL, RAW_COLUMNS
from support import free_port

REPO = Path(__file__).resolve().parents[2]
MAX_ROWS = 300  # the shared server's HOUSING_MAX_BATCH_ROWS


class PredictorProcess:
    """``python -m predictor`` on free ports, its stdout (JSON logs) in ``log``."""

    def __init__(
        self, model_dir: Path, log: Path, *flags: str, env: dict[str, str] | None = None
    ) -> None:
        self.port, self.grpc_port, self.log = free_port(), free_port(), log
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "predictor",
            "--model_dir",
            str(model_dir),
            "--http_port",
            str(self.port),
            "--grpc_port",
            str(self.grpc_port),
            *flags,
        ]
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def wait_ready(self, timeout: float = 90) -> None:
        """Block until /v2/health/ready answers 200; fail with the log if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                if self.client.get("/v2/health/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"predictor not ready in {timeout}s: {self.log.read_text()}")

    def wait_exit(self, timeout: float = 90) -> int:
        """The exit code, once the process has ended."""
        return self.proc.wait(timeout)

    def stop(self) -> int:
        """SIGTERM (what Kubernetes sends), then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        finally:
            self.client.close()
            self._out.close()

    def log_lines(self) -> list[dict[str, Any]]:
        """Every stdout line, parsed (a non-JSON line fails the test that asks)."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def infer(self, body: Any, **kwargs: Any) -> httpx.Response:
        """POST /v2/models/housing/infer."""
        return self.client.post("/v2/models/housing/infer", json=body, **kwargs)


def v2_inputs(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One V2 input per raw column (FP64 / BYTES, shape [N]); NaN becomes JSON null."""
    inputs = []
    for name in RAW_COLUMNS:
        values = rows[name].tolist()
        if name != CATEGORICAL:
            values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
        inputs.append(
            {
                "name": name,
                "datatype": "BYTES" if name == CATEGORICAL else "FP64",
                "shape": [len(values)],
                "data": values,
            }
        )
    return inputs


def v2_request(
    rows: pd.DataFrame, *, outputs: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A V2 inference request for ``rows`` (raw columns)."""
    body: dict[str, Any] = {"inputs": v2_inputs(rows), **extra}
    if outputs:
        body["outputs"] = [{"name": n} for n in outputs]
    return body


def with_input(body: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    """A copy of ``body`` whose input ``name`` has ``changes`` applied."""
    inputs = [{**i, **changes} if i["name"] == name else i for i in body["inputs"]]
    return {**body, "inputs": inputs}


def output(response: httpx.Response, name: str) -> list[float]:
    """The data of one output of a V2 response."""
    return next(o["data"] for o in response.json()["outputs"] if o["name"] == name)


def train(housing_csv: Path, root: Path, *extra: str) -> Path:
    """The real ``housing-train`` on 3,000 rows without CV; the new bundle directory."""
    cmd = [
        sys.executable,
        "-m",
        "training",
        "--data",
        str(housing_csv),
        "--publish-uri",
        str(root),
        "--force",
        "--sample-rows",
        "3000",
        "--cv-folds",
        "0",
        *extra,
    ]
    done = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HOUSING_GIT_SHA": "testsha0000"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"training failed ({done.returncode}): {done.stderr[-2000:]}")
    return (root / "latest").resolve()

"""Drive a pinned ``python -m predictor`` with wrk over loopback; print CPU ms per request.

Run through ``bench/predictor_bench.sh`` (it installs wrk). For each batch size (1, 100, 1000
rows) and client count (1, 4) it runs wrk for a fixed duration and reports req/s, rows/s,
p50/p99 latency, errors, and the server's CPU milliseconds per request from
/proc/<pid>/stat (utime + stime) before and after, beside the in-process floor: the same rows
through ``model.schema.validate_columns`` + ``model.predict.predict`` in this process (the
server's path after decoding), a mean over 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model.bundle import load_bundle  # noqa: E402
from model.predict import predict  # noqa: E402
from model.schema import CATEGORICAL, NUMERIC, RAW_COLUMNS, validate_columns  # noqa: E402

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
"""


def body(rows: pd.DataFrame) -> dict:
    inputs = []
    for c in RAW_COLUMNS:
        data = [None if v != v else v for v in rows[c].tolist()]
        inputs.append(
            {
                "name": c,
                "datatype": "BYTES" if c == CATEGORICAL else "FP64",
                "shape": [len(rows)],
                "data": data,
            }
        )
    return {"inputs": inputs}


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def floor_ms(bundle_dir: Path, rows: pd.DataFrame, seconds: float = 3.0) -> float:
    from threadpoolctl import threadpool_limits

    bundle = load_bundle(bundle_dir)
    # The columns as the server's codec decodes them: float64 numbers, object strings.
    columns = {c: rows[c].to_numpy(dtype=np.float64) for c in NUMERIC}
    columns[CATEGORICAL] = rows[CATEGORICAL].to_numpy(dtype=object)
    with threadpool_limits(1):
        predict(bundle, validate_columns(columns))
        n, start = 0, time.process_time()
        while time.process_time() - start < seconds:
            predict(bundle, validate_columns(columns))
            n += 1
        return (time.process_time() - start) * 1000 / n


def wrk(url: str, lua: Path, clients: int, seconds: int) -> dict:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(lua),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bundle", type=Path, required=True, help="bundle directory to serve")
    p.add_argument(
        "--data",
        type=Path,
        default=Path(
            os.environ.get("HOUSING_DATA_PATH", REPO.parent / "shared/datasets/housing.csv")
        ),
        help="housing.csv to sample request rows from (default: HOUSING_DATA_PATH)",
    )
    p.add_argument("--seconds", type=int, default=10, help="seconds of load per case")
    p.add_argument("--port", type=int, default=18480, help="loopback port of the server")
    p.add_argument("--sizes", default="1,100,1000", help="rows per request, comma-separated")
    p.add_argument("--clients", default="1,4", help="concurrent connections, comma-separated")
    args = p.parse_args()
    data = pd.read_csv(args.data)[list(RAW_COLUMNS)]
    tmp = Path(tempfile.mkdtemp(prefix="predictor-bench-"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HOUSING_LOG_LEVEL": "INFO"}
    cmd = [
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "predictor",
        "--model_dir",
        str(args.bundle),
        "--http_port",
        str(args.port),
        "--enable_grpc",
        "false",
    ]
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{args.port}/v2/models/housing/infer"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{args.port}/v2/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        print(
            f"{'rows':>5} {'clients':>7} {'req/s':>8} {'rows/s':>9} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'errors':>6} {'CPU ms/req':>10} {'floor ms':>8}"
        )
        for size in map(int, args.sizes.split(",")):
            rows = data.sample(size, random_state=size).reset_index(drop=True)
            payload = tmp / f"body-{size}.json"
            payload.write_text(json.dumps(body(rows)))
            lua = tmp / f"post-{size}.lua"
            lua.write_text(LUA.format(body=payload))
            check = httpx.post(
                url, content=payload.read_bytes(), headers={"content-type": "application/json"}
            )
            check.raise_for_status()
            floor = floor_ms(args.bundle, rows)
            for clients in map(int, args.clients.split(",")):
                wrk(url, lua, clients, 2)  # warm-up
                before = cpu_ms(server.pid)
                r = wrk(url, lua, clients, args.seconds)
                cpu = (cpu_ms(server.pid) - before) / max(r["requests"], 1)
                rps = r["requests"] / args.seconds
                print(
                    f"{size:>5} {clients:>7} {rps:>8.0f} {rps * size:>9.0f} {r['p50']:>7.2f} "
                    f"{r['p99']:>7.2f} {r['errors']:>6} {cpu:>10.2f} {floor:>8.2f}"
                    + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""),
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cost of ``housing-drift`` on N events.

Targets: 100k events in <= 10 s wall and <= 600 MB peak RSS; 1M events in <= 30 s, <= 600 MB.

    .venv/bin/python bench/drift_bench.py --bundles artifacts/bundles [--events 100000] [--runs 2]

Writes N one-row prediction events (rows drawn from the bundle's reference; one event in a
thousand of version "unknown", which has no bundle) into a temporary event store, then runs
``python -m monitoring`` in a child process per run and prints its wall time and peak RSS (the
child's own ``ru_maxrss``), imports and report writing included. The first run of a bundle also
calibrates its thresholds (then cached); later runs read the cache. Each run's line says which
(``calibrated``: the run wrote the bundle's calibration file, ``cached``: it read it) and the
1-minute load average before and after the run: on a shared machine the CPU time is the number
to compare, the wall time only when the load stayed under the core count.

The calibration cache is the job's default (beside the state file, in this run's temporary
workspace: run 1 always calibrates) unless ``HOUSING_CALIBRATION_DIR`` is set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from model.bundle import PREDICTION, load_bundle  # noqa: E402
from model.events import PredictionEvent, partition  # noqa: E402
from model.schema import RAW_COLUMNS  # noqa: E402


def write_events(root: Path, bundle_dir: Path, n: int, end: datetime) -> str:
    """N one-row events over the 23 h before ``end``, written as the store's JSON lines."""
    bundle = load_bundle(bundle_dir)
    ref = bundle.reference()
    rows = ref.sample(n, replace=True, random_state=0).reset_index(drop=True)
    seconds = np.linspace(3600 * 23, 1, n)
    # One line checked through the contract; the rest written the same way, without pydantic.
    columns = {c: rows[c].tolist() for c in (*RAW_COLUMNS, "prediction")}  # Python scalars
    first = {c: columns[c][0] for c in RAW_COLUMNS}
    PredictionEvent.from_line(_line(end, bundle.version, first, columns["prediction"][0]))
    handles: dict[Path, Any] = {}
    try:
        for i in range(n):
            ts = end - timedelta(seconds=float(seconds[i]))
            version = "unknown" if i % 1000 == 999 else bundle.version
            line = _line(
                ts, version, {c: columns[c][i] for c in RAW_COLUMNS}, columns["prediction"][i]
            )
            file = partition(root, ts) / "bench.jsonl"
            if file not in handles:
                file.parent.mkdir(parents=True, exist_ok=True)
                handles[file] = file.open("ab")
            handles[file].write(line)
    finally:
        for fh in handles.values():
            fh.close()
    return bundle.version


def _line(ts: datetime, version: str, inputs: dict[str, Any], prediction: float) -> bytes:
    event = {
        "ts": ts.isoformat(),
        "request_id": uuid.uuid4().hex,
        "model_version": version,
        "inputs": {c: [None if v != v else v] for c, v in inputs.items()},
        "outputs": {PREDICTION: [float(prediction)]},
    }
    return orjson.dumps(event) + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, required=True, help="bundles root with 'latest'")
    parser.add_argument("--events", type=int, default=100_000, help="one-row events to write")
    parser.add_argument("--runs", type=int, default=2, help="job runs (the first calibrates)")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="write events/copies events, then copy each file this many times (fast 1M stores)",
    )
    args = parser.parse_args()
    end = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        root = Path(tmp) / "events"
        base = args.events // args.copies
        version = write_events(root, (args.bundles / "latest").resolve(), base, end)
        # Copies are other writers' files with the same lines (same request ids): the job reads
        # every line of the window's partitions and counts each as an event.
        for file in list(root.rglob("bench.jsonl")):
            for i in range(1, args.copies):
                shutil.copyfile(file, file.with_name(f"bench-{i}.jsonl"))
        total = base * args.copies
        print(f"wrote {total} events of {version} in {time.perf_counter() - t0:.1f} s")
        for run in range(1, args.runs + 1):
            _run_job(args, tmp, end, run, total)


def _run_job(args: argparse.Namespace, tmp: str, end: datetime, run: int, events: int) -> None:
    cmd = [
        sys.executable,
        "-m",
        "monitoring",
        "--events-uri",
        f"{tmp}/events",
        "--bundles-uri",
        str(args.bundles),
        "--workspace",
        f"{tmp}/ws",
        "--reports-dir",
        f"{tmp}/reports-{run}",
        "--start",
        (end - timedelta(hours=24)).isoformat(),
        "--end",
        end.isoformat(),
    ]
    default = f"{tmp}/ws/.housing-drift/calibration"
    cache = Path(os.environ.get("HOUSING_CALIBRATION_DIR") or default)
    before = _calibration_files(cache)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HOUSING_LOG_LEVEL": "WARNING"},
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS and CPU
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        output = out.read()
    peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    if child.returncode != 0:
        sys.exit(f"drift job failed ({child.returncode}): {output[-3000:]}")
    for line in output.strip().splitlines():
        print("  " + line[:300])
    calibration = "calibrated" if _calibration_files(cache) != before else "cached"
    print(
        f"run {run} ({calibration}): {events} events, wall {wall:.1f} s, CPU {cpu:.1f} s, "
        f"peak RSS {peak_mb:.0f} MB; load average {load_before:.1f} -> "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def _calibration_files(cache: Path) -> dict[Path, int]:
    """Calibration files under the cache and their modification times: a run that calibrates
    writes one (every version has its own directory)."""
    return {f: f.stat().st_mtime_ns for f in cache.glob("*/*.json")} if cache.is_dir() else {}


if __name__ == "__main__":
    main()

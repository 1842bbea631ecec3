"""Cost of ``housing-drift`` on N events (target: 100k events in <= 10 s wall, <= 600 MB peak RSS).

    .venv/bin/python bench/drift_bench.py --bundles artifacts/bundles [--events 100000]

Writes N one-row prediction events (rows drawn from the bundle's reference) into a temporary
event store, then runs ``python -m monitoring`` in a child process and prints its wall time and
peak RSS (the child's own ``ru_maxrss``), imports and report writing included.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model.bundle import PREDICTION, load_bundle  # noqa: E402
from model.events import EventStoreWriter, PredictionEvent  # noqa: E402
from model.schema import RAW_COLUMNS  # noqa: E402


def write_events(root: Path, bundle_dir: Path, n: int, end: datetime) -> str:
    bundle = load_bundle(bundle_dir)
    ref = bundle.reference()
    rows = ref.sample(n, replace=True, random_state=0).reset_index(drop=True)
    stamps = [end - timedelta(seconds=float(s)) for s in np.linspace(3600 * 23, 1, n)]
    writer = EventStoreWriter(root, "bench")
    records = rows.to_dict(orient="records")
    events = (
        PredictionEvent(
            ts=ts,
            request_id=uuid.uuid4().hex,
            model_version=bundle.version,
            inputs={c: [r[c]] for c in RAW_COLUMNS},
            outputs={PREDICTION: [float(r["prediction"])]},
        )
        for ts, r in zip(stamps, records, strict=True)
    )
    writer.write(events)
    return bundle.version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, required=True, help="bundles root with 'latest'")
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    end = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        version = write_events(
            Path(tmp) / "events", (args.bundles / "latest").resolve(), args.events, end
        )
        print(f"wrote {args.events} events of {version} in {time.perf_counter() - t0:.1f} s")
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
            f"{tmp}/reports",
            "--end",
            end.isoformat(),
            "--window-hours",
            "24",
        ]
        t0 = time.perf_counter()
        result = subprocess.run(
            cmd,
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "HOUSING_LOG_LEVEL": "WARNING"},
        )
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        sys.exit(f"drift job failed ({result.returncode}): {output}")
    print((result.stdout.strip().splitlines() or ["(no summary)"])[-1][:400])
    print(
        f"drift job: {args.events} events, wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS "
        f"{peak_mb:.0f} MB (targets: <= 10 s wall, <= 600 MB); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()

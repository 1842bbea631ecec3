"""The dashboard in a real browser: housing-dashboard serves a workspace the drift job filled,
headless Chromium renders the project's dashboard, the panels show the runs' data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from model.bundle import load_bundle
from monitoring.job import run
from monitoring.settings import DriftSettings
from monitoring_helpers import NOW, write_window
from support import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--force-prefers-reduced-motion",
]
PANELS = (
    "Share of drifted columns over time",
    "Drift score of key columns",
    "Missing-value share per column",
    "Prediction distribution (mean and quantiles)",
    "Rows scored per model version",
)


def _fill_workspace(tmp: Path, bundle_dir: Path) -> str:
    bundle = load_bundle(bundle_dir)
    reference = bundle.reference()
    for i in range(3):  # three hourly runs; the last one has median_income * 1.3
        frame = reference.sample(300, random_state=i).reset_index(drop=True)
        frame["median_income"] *= 1.3 if i == 2 else 1.0
        start = NOW - timedelta(hours=3 - i)
        write_window(tmp / "events", frame, version=bundle.version, ts=start + timedelta(minutes=5))
        run(
            DriftSettings(
                events_uri=str(tmp / "events"),
                bundles_uri=str(bundle_dir.parent),
                workspace=str(tmp / "ws"),
                reports_dir=tmp / "reports",
                start=start.isoformat(),
                end=(start + timedelta(hours=1)).isoformat(),
            )
        )
    from evidently.ui.workspace import Workspace

    [project] = Workspace(str(tmp / "ws")).list_projects()
    return str(project.id)


def _chromium(tmp: Path, url: str, *mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM or "chromium",
            *FLAGS,
            f"--user-data-dir={tmp / 'chrome'}",
            "--window-size=1400,2200",
            "--virtual-time-budget=15000",
            *mode,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


# CI installs chromium (scripts/install-system-tools.sh): there a missing browser is a failure.
@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium)",
)
def test_dashboard_renders_panels_with_data_when_opened_in_headless_chromium(
    tmp_path: Path, tiny_bundle: Path
) -> None:
    project_id = _fill_workspace(tmp_path, tiny_bundle)
    port = free_port()
    ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitoring.dashboard",
            "--workspace",
            str(tmp_path / "ws"),
            "--port",
            str(port),
        ],
        cwd=REPO,
        env={**os.environ, "HOUSING_LOG_LEVEL": "WARNING"},
    )
    try:
        for _ in range(240):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/projects", timeout=1).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        url = f"http://127.0.0.1:{port}/projects/{project_id}"
        dom = _chromium(tmp_path, url, "--dump-dom").stdout
        shot = tmp_path / "dashboard.png"
        _chromium(tmp_path, url, f"--screenshot={shot}")
    finally:
        ui.terminate()
        ui.wait(timeout=30)
    assert all(title in dom for title in PANELS), dom[-2000:]
    charts = re.findall(r'<svg viewBox="0 0 \d+ 350"', dom)  # one drawn chart per plot panel
    assert len(charts) >= len(PANELS)
    stamps = {f"{NOW - timedelta(hours=2 - i):%Y-%m-%d %H:%M:%S}" for i in range(3)}  # run ends
    assert all(s in dom for s in stamps)  # the three runs are on the time axis
    assert shot.stat().st_size > 50_000  # a blank page is a few KB

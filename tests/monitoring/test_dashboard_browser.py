"""The dashboard in a real browser: housing-dashboard serves a workspace that a week of drift runs
and performance reports filled, headless Chromium renders it, every panel over time has points."""

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
import pandas as pd
import pytest

import history
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
PANELS = (  # every "over time" panel, in page order, and its kind of chart
    ("Share of drifted columns over time", "MuiMarkElement-root"),
    ("Drift score of key columns", "MuiMarkElement-root"),
    ("Missing-value share per column", "MuiMarkElement-root"),
    ("Prediction in k$ (mean and quantiles)", "MuiMarkElement-root"),
    ("Rows scored per model version", "MuiBarElement-root"),
    ("RMSE and MAE in k$ over time: ", "MuiMarkElement-root"),
    ("Interval coverage over time: ", "MuiMarkElement-root"),
)
MIN_POINTS = 5
COUNTER = "Share of drifted columns (last run)"


def panels(dom: str) -> dict[str, str]:
    """The rendered DOM of each "over time" panel, by title."""
    starts = [dom.index(title) for title, _ in PANELS]
    ends = [*starts[1:], len(dom)]
    return {title: dom[b:e] for (title, _), b, e in zip(PANELS, starts, ends, strict=True)}


def y_ticks(chunk: str) -> list[tuple[float, str]]:
    """(pixel y, label) of the y-axis ticks of the first chart in ``chunk``, as drawn."""
    begin = chunk.index("MuiChartsAxis-directionY")
    end = chunk.find("MuiChartsAxis-root", begin + 30)
    axis = chunk[begin : end if end > 0 else len(chunk)]
    return [
        (float(y), label)
        for y, label in re.findall(
            r'translate\(0, ([\d.]+)\)" class="MuiChartsAxis-tickContainer">.*?<tspan[^>]*>'
            r"([^<]*)</tspan>",
            axis,
        )
    ]


def value_at(ticks: list[tuple[float, str]], y: float) -> float:
    """The value at pixel ``y`` on a linear axis, from its first and last tick."""
    (y0, a), (y1, b) = ticks[0], ticks[-1]
    return float(a) + (y - y0) * (float(b) - float(a)) / (y1 - y0)


def points_per_panel(dom: str) -> dict[str, int]:
    """Points (line marks, or bars) of each panel's first series, from the rendered DOM."""
    out = {}
    for (title, mark), chunk in zip(PANELS, panels(dom).values(), strict=True):
        if mark == "MuiMarkElement-root":  # one mark per point and series: count series 0
            out[title] = len(re.findall(r"MuiMarkElement-series-[\w-]*id-0\b", chunk))
        else:
            out[title] = chunk.count(mark)
    return out


def _chromium(tmp: Path, url: str, *mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM or "chromium",
            *FLAGS,
            f"--user-data-dir={tmp / 'chrome'}",
            "--window-size=1400,3000",
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
def test_dashboard_draws_every_panel_over_time_when_a_week_of_history_is_reported(
    tmp_path: Path, tiny_bundle: Path, housing_csv: Path
) -> None:
    project_id = history.fill(tmp_path, tiny_bundle, pd.read_csv(housing_csv))
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
    assert all(title in dom for title, _ in PANELS), dom[-2000:]
    points = points_per_panel(dom)
    assert all(n >= MIN_POINTS for n in points.values()), points
    assert points["Rows scored per model version"] == 7  # one bar per simulated day
    assert points["RMSE and MAE in k$ over time: "] == 5  # labels for the first five days only
    stamps = {f"{history.DAY0 + timedelta(days=d):%Y-%m-%d} 00:00:00" for d in (1, 7)}
    assert all(s in dom for s in stamps)  # first and last window ends are on the time axis
    assert shot.stat().st_size > 50_000  # a blank page is a few KB
    charts = panels(dom)
    for title, chunk in charts.items():
        labels = [label for _, label in y_ticks(chunk)]
        assert len(labels) >= 3, (title, labels)
        # MUI cuts a tick label that is wider than the axis with "…" ("500000" -> "500…").
        assert all("…" not in x and re.fullmatch(r"-?[\d.]+", x) for x in labels), (title, labels)
    prices = [float(x) for _, x in y_ticks(charts["Prediction in k$ (mean and quantiles)"])]
    assert 100 <= max(prices) <= 1000  # thousands of dollars
    # The drift-share chart agrees with the counter: its last point is at the counter's value.
    counter = float(re.search(r"<h2[^>]*>([\d.]+)</h2>", dom[dom.index(COUNTER) :])[1])
    chunk = charts["Share of drifted columns over time"]
    last = re.findall(r'<circle[^>]*cy="([\d.]+)"[^>]*MuiMarkElement-series-[\w-]*id-0\b', chunk)[
        -1
    ]
    ticks = y_ticks(chunk)
    assert value_at(ticks, float(last)) == pytest.approx(counter, abs=0.005), (counter, ticks)
    assert counter > 0 and float(ticks[-1][1]) >= counter  # drift rose: not an axis stuck at 0

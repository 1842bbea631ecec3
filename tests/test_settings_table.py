"""docs/contracts.md's environment-variable tables match the settings classes (make docs)."""

from __future__ import annotations

import re
import subprocess
import sys

from support import REPO

PACKAGES = ("model", "training", "predictor", "monitoring", "rollout")


def test_env_var_tables_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "settings_table.py")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr


def test_every_settings_class_derives_from_housing_settings() -> None:
    """Only HousingSettings subclasses are in the generated table and share its fields."""
    direct = [
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if re.search(r"^class \w+\(BaseSettings\)", path.read_text(), re.M)
    ]
    assert direct == ["model/settings.py"]

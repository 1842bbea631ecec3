"""Shared fixtures: the dataset path, a 200-row sample, and bundles trained by the real code."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from model.data import SHA256
from model.digest import sha256_of
from support import REPO, train_bundle


@pytest.fixture(scope="session")
def housing_csv() -> Path:
    """The verified dataset: HOUSING_DATA_PATH (CI sets it), else ../shared/datasets/housing.csv."""
    configured = os.environ.get("HOUSING_DATA_PATH")
    path = Path(configured) if configured else REPO.parent / "shared" / "datasets" / "housing.csv"
    if not path.is_file():
        pytest.fail(f"dataset not found at {path}: set HOUSING_DATA_PATH to a local housing.csv")
    assert sha256_of(path) == SHA256, f"{path} is not the expected housing.csv"
    return path


@pytest.fixture(scope="session")
def sample_frame(housing_csv: Path) -> pd.DataFrame:
    """200 raw rows of the real file (read at run time, never committed)."""
    return pd.read_csv(housing_csv).sample(200, random_state=7).reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory, housing_csv: Path) -> Path:
    """A bundle with interval models, trained by the real code on 3,000 sampled rows, no CV."""
    root = tmp_path_factory.mktemp("bundles")
    return train_bundle(housing_csv, root, "--sample-rows", "3000", "--cv-folds", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a ``helm`` fixture ``helm``: ``make test-fast`` deselects them
    (it installs no tools); ``make test`` installs helm first and runs them."""
    for item in items:
        if "helm" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.helm)

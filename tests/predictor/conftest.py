"""Predictor fixtures: real predictor processes, one per configuration, shared across tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from predictor_helpers import MAX_ROWS, PredictorProcess

from model.schema import RAW_COLUMNS


@pytest.fixture(scope="session")
def server(
    tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PredictorProcess]:
    """The predictor on ``tiny_bundle`` with a 300-row limit (shared by the HTTP test modules)."""
    log = tmp_path_factory.mktemp("predictor") / "stdout.jsonl"
    proc = PredictorProcess(tiny_bundle, log, env={"HOUSING_MAX_BATCH_ROWS": str(MAX_ROWS)})
    proc.wait_ready()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def rows(sample_frame: pd.DataFrame) -> pd.DataFrame:
    """200 raw rows of the real data (some with a missing total_bedrooms)."""
    return sample_frame[list(RAW_COLUMNS)]


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Counter[Any]]:
    """Cases per outcome (status code or gRPC code), printed as one line after the module."""
    counts: Counter[Any] = Counter()
    yield counts
    print(
        f"{request.module.__name__}: {sum(counts.values())} cases "
        + ", ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=str))
    )

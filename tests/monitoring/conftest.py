"""Monitoring fixtures (helpers live in monitoring_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from model.schema import RAW_COLUMNS
from pushgateway_stub import Recorder, pushgateway


@pytest.fixture
def rows(sample_frame: pd.DataFrame) -> pd.DataFrame:
    """Three raw rows of the real data."""
    return sample_frame[list(RAW_COLUMNS)].head(3)


@pytest.fixture
def gateway() -> Iterator[tuple[str, type[Recorder]]]:
    """A stub Pushgateway on loopback: its URL and the record of what was pushed."""
    with pushgateway() as running:
        yield running

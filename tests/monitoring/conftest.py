"""Monitoring fixtures (helpers live in monitoring_helpers.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from model.schema import RAW_COLUMNS


@pytest.fixture
def rows(sample_frame: pd.DataFrame) -> pd.DataFrame:
    """Three raw rows of the real data."""
    return sample_frame[list(RAW_COLUMNS)].head(3)

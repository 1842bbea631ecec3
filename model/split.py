"""The hold-out split, in one place: training makes it, rollout rebuilds it from a manifest."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Split:
    """Training and hold-out rows (original index kept) and a description for the manifest."""

    train: pd.DataFrame
    test: pd.DataFrame
    description: str


def holdout(
    frame: pd.DataFrame, *, test_size: float, seed: int, sample_rows: int | None = None
) -> Split:
    """The deterministic hold-out split; a sample of ``sample_rows`` is drawn first if given.

    ``test_size=0.2, seed=42`` on the full file is the seed project's split, kept so that our
    numbers compare with its numbers.
    """
    described = f"holdout {test_size:.0%} seed {seed}"
    if sample_rows and sample_rows < len(frame):
        frame = frame.sample(sample_rows, random_state=seed)
        described += f" of a {sample_rows}-row sample"
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return Split(train, test, described)

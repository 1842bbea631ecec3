"""A bounded, uniform sample of each model version's window, built while the events stream by.

Memory must not grow with the window (1M events in a 1 GiB pod). Each row gets a uniform random
key when it arrives, and a version keeps the ``capacity`` rows with the smallest keys seen so far
("bottom-k" sampling): at the end that is a uniform sample without replacement of all the
version's rows, the same law as a reservoir sample, computed a batch at a time with NumPy. Rows
are kept in a buffer and cut back to ``capacity`` whenever it doubles, so at most about
``2 * capacity`` rows per version are held, whatever the window's size. The draw is seeded, so a
rerun over the same window sees the same sample.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd


class VersionSample:
    """Up to ``capacity`` rows drawn uniformly from every row added."""

    def __init__(self, capacity: int, rng: np.random.Generator) -> None:
        self.capacity, self.rng = capacity, rng
        self.seen = 0
        self._frames: list[pd.DataFrame] = []
        self._keys: list[np.ndarray] = []
        self._held = 0

    def add(self, frame: pd.DataFrame) -> None:
        """Offer the rows of ``frame``."""
        if not len(frame):
            return
        self.seen += len(frame)
        self._frames.append(frame.reset_index(drop=True))
        self._keys.append(self.rng.random(len(frame)))
        self._held += len(frame)
        if self._held >= 2 * self.capacity:
            self._compact()

    def _compact(self) -> None:
        if not self._frames:
            return
        frame = pd.concat(self._frames, ignore_index=True)
        keys = np.concatenate(self._keys)
        if len(frame) > self.capacity:
            keep = np.sort(np.argpartition(keys, self.capacity - 1)[: self.capacity])
            frame, keys = frame.iloc[keep].reset_index(drop=True), keys[keep]
        self._frames, self._keys, self._held = [frame], [keys], len(frame)

    def frame(self) -> pd.DataFrame:
        """The sample (all rows if there were at most ``capacity``)."""
        self._compact()
        return self._frames[0] if self._frames else pd.DataFrame()


class WindowSample:
    """One ``VersionSample`` per model version, and the events counted per version."""

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity = capacity
        self.rng = np.random.default_rng(seed)
        self.versions: dict[str, VersionSample] = {}
        self.events: Counter[str] = Counter()

    def add(self, version: str, rows: pd.DataFrame, events: int) -> None:
        """Offer one batch's rows of ``version`` (and count its events)."""
        sample = self.versions.get(version)
        if sample is None:
            sample = self.versions[version] = VersionSample(self.capacity, self.rng)
        sample.add(rows)
        self.events[version] += events

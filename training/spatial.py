"""Spatially blocked cross-validation: each fold predicts regions it never saw.

A random K-fold gives every validation district close training neighbours, so it cannot show how
the model does where the training data is thin (a new development, a sparsely covered county).
Here the districts are grouped into ``CLUSTERS`` k-means clusters of their planar coordinates and
``GroupKFold`` keeps each cluster whole, so a validation fold is a set of regions ~50-150 km
across with no training district inside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.model_selection import GroupKFold

from model.features import LATITUDE, LONGITUDE
from model.geography import planar_km

CLUSTERS = 25
FOLDS = 5


def regions(frame: pd.DataFrame, *, clusters: int = CLUSTERS, seed: int = 42) -> np.ndarray:
    """The k-means cluster (0..clusters-1) of every row's location, deterministic for a seed.

    Args:
        frame: rows with the latitude and longitude columns.
        clusters: how many regions.
        seed: seed of the k-means initialisation.

    Returns:
        An int array of len(frame).
    """
    xy = planar_km(frame[LATITUDE].to_numpy(np.float64), frame[LONGITUDE].to_numpy(np.float64))
    labels: np.ndarray = KMeans(clusters, n_init=10, random_state=seed).fit_predict(xy)
    return labels


def spatial_folds(
    frame: pd.DataFrame, *, folds: int = FOLDS, clusters: int = CLUSTERS, seed: int = 42
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, validation rows) positional indices of each spatially blocked fold.

    Args:
        frame: the rows to split (the training part of the hold-out split).
        folds: number of folds; each holds whole regions.
        clusters: number of k-means regions.
        seed: seed of the k-means initialisation.

    Returns:
        ``folds`` pairs of int arrays.
    """
    groups = regions(frame, clusters=clusters, seed=seed)
    return list(GroupKFold(folds).split(frame, groups=groups))


def describe(*, folds: int = FOLDS, clusters: int = CLUSTERS, seed: int = 42) -> str:
    """The protocol in words, for manifests and reports."""
    return f"spatial {folds}-fold GroupKFold over {clusters} k-means regions seed {seed}"

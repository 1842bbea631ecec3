"""training.spatial: the spatially blocked CV protocol keeps every region whole."""

import numpy as np
import pandas as pd
import pytest

from model.features import LATITUDE, LONGITUDE
from training.spatial import CLUSTERS, regions, spatial_folds


def places(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {LATITUDE: rng.uniform(32.5, 42.0, n), LONGITUDE: rng.uniform(-124.3, -114.3, n)}
    )


def test_regions_are_the_configured_number_of_kmeans_clusters_and_repeat_for_a_seed():
    frame = places()

    labels = regions(frame, seed=3)

    assert len(np.unique(labels)) == CLUSTERS
    np.testing.assert_array_equal(labels, regions(frame, seed=3))


def test_spatial_folds_never_split_a_region_between_fit_and_validation():
    frame = places()
    labels = regions(frame, seed=42)

    folds = spatial_folds(frame, folds=5, seed=42)

    assert len(folds) == 5
    validated = np.concatenate([val for _, val in folds])
    assert sorted(validated) == list(range(len(frame)))  # every row validated exactly once
    for fit_rows, val_rows in folds:
        assert not set(labels[fit_rows]) & set(labels[val_rows])
        assert len(set(labels[val_rows])) == pytest.approx(CLUSTERS / 5, abs=1)

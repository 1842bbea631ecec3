"""Integration: the real training job on the whole real file, as `make demo` and the Job run it."""

import pytest

from model.bundle import load_bundle
from support import train_bundle

SEED_HOLDOUT_RMSE = 45_532  # the seed project's production model on the same split
HOLDOUT_TARGET, CV_TARGET = 39_000, 40_000  # issue 14's quality targets


@pytest.fixture(scope="module")
def bundle(housing_csv, tmp_path_factory):
    return load_bundle(train_bundle(housing_csv, tmp_path_factory.mktemp("full")))


@pytest.mark.slow
def test_full_training_beats_the_seed_and_meets_the_quality_targets(bundle):
    m = bundle.manifest
    assert (m.data.rows, m.data.train_rows, m.data.test_rows) == (20640, 16512, 4128)
    assert m.data.split == "holdout 20% seed 42" and m.data.cv == "5-fold shuffle seed 42"
    assert m.metrics["cv"]["rmse_mean"] <= CV_TARGET
    assert m.metrics["holdout"]["rmse"] <= HOLDOUT_TARGET < SEED_HOLDOUT_RMSE
    assert m.metrics["holdout"]["r2"] > 0.85
    assert 0.90 <= m.interval["coverage"] <= 0.95  # conformal: close to the nominal 90 %
    assert m.interval["mean_width"] <= 115_000  # 107,478 USD (docs/model.md): still informative
    assert m.metrics["baseline"]["holdout"]["rmse"] > HOLDOUT_TARGET
    assert set(m.metrics["segments_rmse"]) == {
        "<1H OCEAN",
        "INLAND",
        "ISLAND",
        "NEAR BAY",
        "NEAR OCEAN",
    }


@pytest.mark.slow
def test_full_training_is_no_worse_than_the_seed_baseline_in_regions_it_never_saw(bundle):
    spatial, base = bundle.manifest.metrics["spatial_cv"], bundle.manifest.metrics["baseline"]
    assert spatial["scheme"] == "spatial 5-fold GroupKFold over 25 k-means regions seed 42"
    assert len(spatial["folds"]) == len(base["spatial_cv"]["folds"]) == 5
    assert spatial["rmse_mean"] <= base["spatial_cv"]["rmse_mean"]
    # 90 % intervals keep their promise in every spatial fold (~3,300 rows: one fold's standard
    # error is 0.5 points; measured 92.2-96.6 %, docs/model.md), not only on the hold-out.
    assert min(spatial["coverage"]) >= 0.90
    assert len(spatial["mean_width"]) == 5

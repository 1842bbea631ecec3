"""Integration: the real training job on the whole real file, as `make demo` and the Job run it."""

import pytest

from model.bundle import load_bundle
from support import train_bundle

SEED_HOLDOUT_RMSE = 45_532  # the seed project's production model on the same split
HOLDOUT_TARGET, CV_TARGET = 39_000, 41_000  # the foundation issue's quality targets


@pytest.mark.slow
def test_full_training_beats_the_seed_and_meets_the_quality_targets(housing_csv, tmp_path):
    bundle = load_bundle(train_bundle(housing_csv, tmp_path))
    m = bundle.manifest
    assert (m.data.rows, m.data.train_rows, m.data.test_rows) == (20640, 16512, 4128)
    assert m.data.split == "holdout 20% seed 42" and m.data.cv == "5-fold shuffle seed 42"
    assert m.metrics["cv"]["rmse_mean"] <= CV_TARGET
    assert m.metrics["holdout"]["rmse"] <= HOLDOUT_TARGET < SEED_HOLDOUT_RMSE
    assert m.metrics["holdout"]["r2"] > 0.85
    assert 0.88 <= m.interval["coverage"] <= 0.95  # conformal: close to the nominal 90 %
    assert set(m.metrics["segments_rmse"]) == {
        "<1H OCEAN",
        "INLAND",
        "ISLAND",
        "NEAR BAY",
        "NEAR OCEAN",
    }

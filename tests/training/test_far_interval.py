"""training.far_interval: the plain model's interval keeps its coverage in every unseen region."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from model.features import DISTANCE_FEATURE, build_pipeline, feature_names
from training.far_interval import MIN_ROWS, fold_evidence, out_of_fold, ratio_bands, ratios


def inside(ratio: np.ndarray, band: tuple[float, float, float]) -> float:
    return float(np.mean((ratio >= band[1]) & (ratio <= band[2])))


def test_bounds_keep_the_nominal_coverage_in_the_worst_group_where_pooled_quantiles_miss_it():
    rng = np.random.default_rng(0)
    steady, volatile = rng.uniform(0.9, 1.1, 800), rng.uniform(0.4, 1.6, 200)
    ratio = np.concatenate([steady, volatile])
    groups = np.repeat([0, 1], [800, 200])

    (band,) = ratio_bands(ratio, groups, np.zeros(1000), [0.0], 0.9)

    pooled = (np.quantile(ratio, 0.05), np.quantile(ratio, 0.95))
    assert inside(volatile, (0.0, *pooled)) < 0.85  # pooled: the volatile region misses
    assert inside(volatile, band) >= 0.9 and inside(steady, band) >= 0.9


def test_farther_bands_are_wider_and_never_narrower_than_nearer_ones():
    rng = np.random.default_rng(1)
    evidence = np.repeat([2.0, 20.0, 60.0], 600)
    spread = np.repeat([0.1, 0.4, 0.05], 600)  # the farthest band happens to be the tightest
    ratio = 1.0 + spread * rng.uniform(-1.0, 1.0, 1800)
    groups = np.tile([0, 1, 2], 600)

    near, mid, far = ratio_bands(ratio, groups, evidence, [0.0, 12.0, 48.0], 0.9)

    assert (near[0], mid[0], far[0]) == (0.0, 12.0, 48.0)
    assert mid[1] < near[1] - 0.2 and mid[2] > near[2] + 0.2
    assert (far[1], far[2]) == (mid[1], mid[2])


def test_a_band_counts_a_group_only_with_enough_rows_there():
    near = np.ones(3 * MIN_ROWS)  # a ratio of exactly 1 everywhere near
    groups = np.repeat([0, 1, 2], MIN_ROWS)
    # Far rows: group 0 has MIN_ROWS wide ones, group 1 one row fewer, wider still.
    far_ratio = np.concatenate([np.linspace(0.5, 1.5, MIN_ROWS), np.full(MIN_ROWS - 1, 0.1)])
    ratio = np.concatenate([near, far_ratio])
    all_groups = np.concatenate([groups, np.zeros(MIN_ROWS), np.ones(MIN_ROWS - 1)])
    evidence = np.concatenate([np.zeros(3 * MIN_ROWS), np.full(2 * MIN_ROWS - 1, 30.0)])

    _, far = ratio_bands(ratio, all_groups, evidence, [0.0, 12.0], 0.9)

    assert 0.5 <= far[1] < 0.6  # group 0's 5 % quantile; group 1's 0.1 did not count


def test_a_band_no_group_fills_inherits_the_band_below():
    ratio = np.linspace(0.5, 1.5, 400)

    near, far = ratio_bands(ratio, np.tile([0, 1], 200), np.zeros(400), [0.0, 12.0], 0.9)

    assert (far[1], far[2]) == (near[1], near[2])


@pytest.mark.parametrize("starts", [[], [1.0, 12.0], [0.0, 24.0, 12.0]])
def test_band_starts_must_ascend_from_zero(starts):
    with pytest.raises(ValueError, match="ascend from 0"):
        ratio_bands(np.ones(10), np.zeros(10), np.zeros(10), starts, 0.9)


def test_out_of_fold_predictions_never_see_their_own_folds_targets():
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(300, 3))
    y = matrix @ [1.0, 2.0, 3.0]
    folds = [(np.arange(100, 300), np.arange(100)), (np.arange(100), np.arange(100, 300))]
    changed = y.copy()
    changed[:100] *= -5.0

    before, after = (
        out_of_fold(LinearRegression, matrix, y, folds),
        out_of_fold(LinearRegression, matrix, changed, folds),
    )

    np.testing.assert_array_equal(before[:100], after[:100])  # fold 0 calibrates nothing of its own
    assert not np.allclose(before[100:], after[100:])


def test_evidence_of_a_region_is_measured_from_outside_it(sample_frame):
    frame = sample_frame.reset_index(drop=True)
    x, y = frame.drop(columns="median_house_value"), frame["median_house_value"].to_numpy(float)
    south = frame["latitude"].to_numpy() < 35.0
    folds = [(np.flatnonzero(~south), np.flatnonzero(south))]
    folds.append((np.flatnonzero(south), np.flatnonzero(~south)))
    features = Pipeline(build_pipeline(LinearRegression()).steps[:-1])
    column = feature_names().index(DISTANCE_FEATURE)

    groups, evidence = fold_evidence(features, x, y, folds, column)

    in_sample = np.asarray(features.fit_transform(x, y))[:, column]
    np.testing.assert_array_equal(groups, np.where(south, 0, 1))
    assert np.median(evidence) > 10 * max(np.median(in_sample), 0.1)


def test_ratios_refuse_a_prediction_that_is_not_positive():
    np.testing.assert_allclose(
        ratios(np.array([50.0, 300.0]), np.array([100.0, 200.0])), [0.5, 1.5]
    )
    with pytest.raises(ValueError, match="positive predictions, got min 0"):
        ratios(np.array([50.0, 300.0]), np.array([100.0, 0.0]))

"""model.features: ratios, imputation, leakage-free neighbour statistics and names on synthetic
districts (row-order and single-row invariance: tests/behaviour, on a trained bundle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.features import (
    AGE,
    BEDROOMS,
    DISTANCE_FEATURE,
    HOUSEHOLDS,
    INCOME,
    LATITUDE,
    LONGITUDE,
    POPULATION,
    RATIO_FEATURES,
    ROOMS,
    HousingFeatures,
    add_ratios,
    feature_names,
)
from model.schema import CATEGORICAL, CATEGORIES, NUMERIC, RAW_COLUMNS, validate_raw


def synthetic(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Plausible raw rows inside California and a target that depends on income and place."""
    rng = np.random.default_rng(seed)
    households = rng.integers(50, 1500, n).astype(float)
    rooms = households * rng.uniform(3.0, 7.0, n)
    raw = {
        LONGITUDE: rng.uniform(-123.0, -117.0, n),
        LATITUDE: rng.uniform(33.0, 39.0, n),
        AGE: rng.integers(1, 52, n).astype(float),
        ROOMS: rooms,
        BEDROOMS: rooms * rng.uniform(0.15, 0.3, n),
        POPULATION: households * rng.uniform(1.5, 4.0, n),
        HOUSEHOLDS: households,
        INCOME: rng.uniform(0.5, 15.0, n),
        CATEGORICAL: rng.choice(CATEGORIES[CATEGORICAL], n),
    }
    frame = validate_raw(pd.DataFrame(raw))
    y = 40_000 * frame[INCOME].to_numpy() + 5_000 * (frame[LATITUDE].to_numpy() - 33.0)
    return frame, y + rng.normal(0, 10_000, n) + 60_000


def test_add_ratios_adds_expected_values_without_touching_input() -> None:
    frame, _ = synthetic(3)
    frame[ROOMS] = [10.0, 20.0, 30.0]
    frame[BEDROOMS] = [2.0, 5.0, np.nan]
    frame[POPULATION] = [6.0, 8.0, 9.0]
    frame[HOUSEHOLDS] = [2.0, 4.0, 3.0]
    before = frame.copy()

    out = add_ratios(frame)

    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == [*RAW_COLUMNS, *RATIO_FEATURES]
    np.testing.assert_allclose(out["rooms_per_household"], [5.0, 5.0, 10.0])
    np.testing.assert_allclose(out["bedrooms_per_room"], [0.2, 0.25, np.nan])
    np.testing.assert_allclose(out["population_per_household"], [3.0, 2.0, 3.0])


@pytest.mark.parametrize("engineered", [True, False])
def test_transform_returns_finite_features_when_total_bedrooms_missing(engineered: bool) -> None:
    frame, y = synthetic()
    features = HousingFeatures(engineered=engineered).fit(frame, y)
    query = frame.head(5).copy()
    query[BEDROOMS] = np.nan

    matrix = features.transform(query)

    assert np.isfinite(matrix).all()
    imputed = matrix[:, feature_names(engineered=engineered).index(BEDROOMS)]
    np.testing.assert_allclose(imputed, query[ROOMS] * features.bedrooms_per_room_)


def target_based_columns() -> list[int]:
    target_based = ("nbr_", "cell_", "kernel_")
    return [i for i, name in enumerate(feature_names()) if name.startswith(target_based)]


def test_feature_names_include_neighbour_kernel_and_grid_statistics() -> None:
    names = feature_names(neighbourhoods=(8, 16), grid_degrees=(0.05, 0.25))

    assert "nbr_log_value_fit_at_own_income_k16" in names
    assert "cell_log_value_0.25deg" in names
    assert "kernel_value_at_own_rooms_k16" in names
    # raw + ratios + one-hot, cities + rotations, 6 per k, local fit, 3 per grid size, kernel
    # and evidence distance
    assert len(names) == len(set(names)) == 16 + 11 + 2 * 6 + 3 + 2 * 3 + 7


def own_target_features(frame: pd.DataFrame, y: np.ndarray, row: int = 7) -> np.ndarray:
    """Row ``row``'s target-based training features before and after its target is x10."""
    changed = y.copy()
    changed[row] = 10 * y[row]
    target_based = target_based_columns()
    return np.stack(
        [
            HousingFeatures().fit_transform(frame, target)[row, target_based]
            for target in (y, changed)
        ]
    )


def test_fit_transform_ignores_own_target_when_computing_neighbour_features() -> None:
    before, after = own_target_features(*synthetic())

    np.testing.assert_array_equal(before, after)


def test_fit_transform_ignores_own_target_when_cell_is_shared() -> None:
    frame, y = synthetic()
    frame[LATITUDE], frame[LONGITUDE] = 36.01, -120.01  # every row in the same grid cells

    before, after = own_target_features(frame, y)

    np.testing.assert_array_equal(before, after)


def test_transform_gives_prior_when_grid_cell_unseen_in_training() -> None:
    frame, y = synthetic()
    features = HousingFeatures().fit(frame, y)
    far = frame.head(1).copy()
    far[LATITUDE], far[LONGITUDE] = 42.4, -114.1  # no synthetic row up there
    names = feature_names()

    row = features.transform(far)[0]

    assert row[names.index("cell_rows_0.05deg")] == 0.0
    assert row[names.index("cell_log_value_0.05deg")] == pytest.approx(np.log(y).mean())


def test_transform_uses_all_training_rows_when_fitted() -> None:
    frame, y = synthetic()
    features = HousingFeatures()

    leave_self_out = features.fit_transform(frame, y)
    full = features.transform(frame)

    # Row 0 is its own nearest neighbour in transform, never in fit_transform.
    assert not np.array_equal(leave_self_out, full)


def test_transform_is_deterministic_when_called_twice() -> None:
    frame, y = synthetic()
    features = HousingFeatures().fit(frame, y)

    np.testing.assert_array_equal(features.transform(frame), features.transform(frame))


@pytest.mark.parametrize("engineered", [True, False])
def test_feature_names_match_matrix_width(engineered: bool) -> None:
    frame, y = synthetic()
    features = HousingFeatures(engineered=engineered)

    matrix = features.fit_transform(frame, y)

    names = features.get_feature_names_out()
    assert matrix.shape == (len(frame), len(names))
    assert matrix.dtype == np.float64
    assert len(set(names)) == len(names)


def test_fit_raises_when_engineered_without_target() -> None:
    frame, _ = synthetic()

    with pytest.raises(ValueError, match="target"):
        HousingFeatures().fit(frame)


def test_column_constants_name_schema_columns_not_positions() -> None:
    named = (LONGITUDE, LATITUDE, AGE, ROOMS, BEDROOMS, POPULATION, HOUSEHOLDS, INCOME)

    assert sorted(named) == sorted(NUMERIC)


def evidence_km(frame: pd.DataFrame, y: np.ndarray, query: pd.DataFrame) -> np.ndarray:
    features = HousingFeatures().fit(frame, y)
    return features.transform(query)[:, feature_names().index(DISTANCE_FEATURE)]


def test_evidence_distance_is_zero_when_training_districts_surround_the_row() -> None:
    frame, y = synthetic()
    ring = np.linspace(0, 2 * np.pi, 17)[:-1]  # 16 districts evenly around (36 N, -120 E)
    frame = frame.head(16).copy()
    frame[LATITUDE] = 36.0 + 0.2 * np.sin(ring)
    frame[LONGITUDE] = -120.0 + 0.2 * np.cos(ring) / np.cos(np.radians(36.0))
    frame = pd.concat([frame, frame.assign(**{LATITUDE: frame[LATITUDE] + 5})])  # > k rows

    centre = frame.head(1).assign(**{LATITUDE: 36.0, LONGITUDE: -120.0})

    assert evidence_km(frame, y[: len(frame)], centre)[0] == pytest.approx(0.0, abs=1e-6)


def test_evidence_distance_is_the_nearest_distance_when_all_neighbours_lie_on_one_side() -> None:
    frame, y = synthetic(40)
    frame[LATITUDE], frame[LONGITUDE] = 36.0, -120.0  # every training district in one place
    east = frame.head(1).assign(**{LONGITUDE: -119.0})  # one degree east: ~90 km

    got = evidence_km(frame, y, east)[0]

    assert got == pytest.approx(111.32 * np.cos(np.radians(36.0)), rel=1e-6)

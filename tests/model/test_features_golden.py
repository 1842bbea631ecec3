"""model.features on a few hand-made districts: every expected number is worked out by hand below,
never by the code under test (fast, in-process: mutmut's measure for model/features.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from model.features import (
    DISTANCE_FEATURE,
    RATIO_FEATURES,
    HousingFeatures,
    add_ratios,
    build_pipeline,
    feature_names,
)
from model.schema import validate_raw

# Twenty training districts in one place (36 N, 120 W), each worth $200,000 at income 4.0 with
# 5 rooms per household: every neighbour and cell statistic is then a sum a person can do.
VALUE, TRAIN_INCOME, TRAIN_ROOMS_PER_HOUSEHOLD = 200_000.0, 4.0, 5.0
LAT, LON = 36.0, -120.0
KM_PER_DEG_LAT, KM_PER_DEG_LON = 110.57, 111.32 * math.cos(math.radians(36.0))

RAW = (
    "longitude",
    "latitude",
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
)
ONE_HOT = tuple(
    f"ocean_proximity={c}" for c in ("<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY", "NEAR OCEAN")
)
RATIOS = ("rooms_per_household", "bedrooms_per_room", "population_per_household")
GEOGRAPHY = (
    "km_to_san_francisco",
    "km_to_los_angeles",
    "km_to_san_diego",
    "km_to_san_jose",
    "km_to_sacramento",
    "km_to_nearest_city",
    "rotated_15deg",
    "rotated_30deg",
    "rotated_45deg",
    "rotated_60deg",
    "rotated_75deg",
)
NEIGHBOURS_K16 = (
    "nbr_log_value_mean_k16",
    "nbr_log_value_std_k16",
    "nbr_value_at_own_income_k16",
    "nbr_income_mean_k16",
    "income_vs_nbr_k16",
    "nbr_distance_km_k16",
    "nbr_log_value_fit_at_own_income_k16",
    "nbr_income_elasticity_k16",
    "nbr_log_value_fit_residual_k16",
)
CELLS = tuple(
    f"{stat}_{d}deg"
    for d in ("0.05", "0.25")
    for stat in ("cell_log_value", "cell_value_at_own_income", "cell_rows")
)
KERNEL_K16 = (
    "kernel_log_value_k16",
    "kernel_log_value_std_k16",
    "kernel_value_at_own_income_k16",
    "kernel_log_income_vs_own_k16",
    "kernel_value_at_own_rooms_k16",
    "kernel_weight_k16",
    "evidence_km_k16",
)
BASELINE_NAMES = (*RAW, *RATIOS, *ONE_HOT)
ENGINEERED_NAMES = (*BASELINE_NAMES, *GEOGRAPHY, *NEIGHBOURS_K16, *CELLS, *KERNEL_K16)


def districts(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Validated raw rows from hand-written dicts (missing keys take the training values)."""
    base = {
        "longitude": LON,
        "latitude": LAT,
        "housing_median_age": 20.0,
        "total_rooms": 1000.0,
        "total_bedrooms": 200.0,
        "population": 500.0,
        "households": 200.0,
        "median_income": TRAIN_INCOME,
        "ocean_proximity": "INLAND",
    }
    return validate_raw(pd.DataFrame([{**base, **row} for row in rows]))


def training(n: int = 20) -> tuple[pd.DataFrame, np.ndarray]:
    return districts([{}] * n), np.full(n, VALUE)


def named(features: HousingFeatures, matrix: np.ndarray) -> dict[str, float]:
    """One row of a matrix by column name."""
    [row] = matrix
    return dict(zip(features.get_feature_names_out(), row.tolist(), strict=True))


def test_feature_names_are_the_documented_columns_in_order_by_default() -> None:
    assert feature_names() == ENGINEERED_NAMES
    assert feature_names(engineered=False) == BASELINE_NAMES
    out = HousingFeatures().get_feature_names_out()
    assert out.tolist() == list(ENGINEERED_NAMES)
    assert out.dtype == object  # sklearn's get_feature_names_out contract: an array of str objects
    assert RATIO_FEATURES == RATIOS
    assert DISTANCE_FEATURE == "evidence_km_k16"


def test_feature_names_follow_the_neighbourhoods_and_grid_sizes_given() -> None:
    features = HousingFeatures(neighbourhoods=(4, 8), grid_degrees=(0.1,))

    names = features.get_feature_names_out().tolist()

    k4 = [n.replace("_k16", "_k4") for n in NEIGHBOURS_K16[:6]]
    k8 = [n.replace("_k16", "_k8") for n in NEIGHBOURS_K16]
    cells = ["cell_log_value_0.1deg", "cell_value_at_own_income_0.1deg", "cell_rows_0.1deg"]
    kernel = [n.replace("_k16", "_k8") for n in KERNEL_K16]
    assert names == [*BASELINE_NAMES, *GEOGRAPHY, *k4, *k8, *cells, *kernel]
    matrix = features.fit(*training()).transform(districts([{}]))
    assert matrix.shape == (1, len(names))


def test_add_ratios_divides_rooms_and_people_by_households_and_bedrooms_by_rooms() -> None:
    frame = districts(
        [
            {"total_rooms": 600.0, "total_bedrooms": 150.0, "population": 250.0, "households": 100},
            {"total_rooms": 7.0, "total_bedrooms": None, "population": 3.0, "households": 2.0},
        ]
    )

    out = add_ratios(frame)

    np.testing.assert_array_equal(out["rooms_per_household"], [6.0, 3.5])
    np.testing.assert_array_equal(out["bedrooms_per_room"], [0.25, np.nan])
    np.testing.assert_array_equal(out["population_per_household"], [2.5, 1.5])


def test_transform_gives_hand_computed_raw_ratio_and_one_hot_columns() -> None:
    features = HousingFeatures(engineered=False).fit(*training())
    query = districts(
        [
            {
                "longitude": -121.5,
                "latitude": 37.25,
                "housing_median_age": 10.0,
                "total_rooms": 600.0,
                "total_bedrooms": 150.0,
                "population": 250.0,
                "households": 100.0,
                "median_income": 2.0,
                "ocean_proximity": "NEAR BAY",
            }
        ]
    )

    got = features.transform(query)

    expected = [-121.5, 37.25, 10.0, 600.0, 150.0, 250.0, 100.0, 2.0]
    expected += [6.0, 0.25, 2.5, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [expected])


@pytest.mark.parametrize(
    ("category", "hot"),
    [("<1H OCEAN", 0), ("INLAND", 1), ("ISLAND", 2), ("NEAR BAY", 3), ("NEAR OCEAN", 4)],
)
def test_one_hot_sets_exactly_the_column_of_the_category(category: str, hot: int) -> None:
    features = HousingFeatures(engineered=False).fit(*training())

    row = features.transform(districts([{"ocean_proximity": category}]))[0, -5:]

    np.testing.assert_array_equal(row, np.eye(5)[hot])


def test_missing_bedrooms_are_imputed_with_the_median_bedrooms_per_room_of_training() -> None:
    # Bedrooms per room 0.1, 0.25, 0.25, 0.3, 0.9 (and one unknown): the median is 0.25 (the mean
    # would be 0.36; with no known bedrooms the fallback would be 0.2), so 600 rooms get 150.
    frame = districts(
        [
            {"total_rooms": 1000.0, "total_bedrooms": b}
            for b in (100.0, 250.0, 250.0, 300.0, 900.0, None)
        ]
    )
    features = HousingFeatures(engineered=False).fit(frame)
    query = districts([{"total_rooms": 600.0, "total_bedrooms": None, "households": 100.0}])

    row = named(features, features.transform(query))

    assert features.bedrooms_per_room_ == 0.25
    assert (row["total_bedrooms"], row["bedrooms_per_room"]) == (150.0, 0.25)


def test_missing_bedrooms_are_a_fifth_of_the_rooms_when_training_knew_none() -> None:
    frame = districts([{"total_bedrooms": None}] * 3)
    features = HousingFeatures(engineered=False).fit(frame)

    row = named(features, features.transform(districts([{"total_bedrooms": None}])))

    assert row["total_bedrooms"] == 1000.0 * 0.2


def test_known_bedrooms_are_kept_when_the_training_ratio_differs() -> None:
    features = HousingFeatures(engineered=False).fit(districts([{"total_bedrooms": 300.0}] * 3))

    row = named(features, features.transform(districts([{"total_bedrooms": 150.0}])))

    assert row["total_bedrooms"] == 150.0


def test_fit_records_the_raw_input_columns() -> None:
    features = HousingFeatures(engineered=False).fit(*training())

    assert features.feature_names_in_.tolist() == [*RAW, "ocean_proximity"]
    assert features.feature_names_in_.dtype == object  # as sklearn's estimators store them
    assert features.n_features_in_ == 9


def test_transform_raises_not_fitted_when_called_before_fit() -> None:
    with pytest.raises(NotFittedError):
        HousingFeatures().transform(districts([{}]))


def test_engineered_features_of_a_district_among_identical_training_districts() -> None:
    features = HousingFeatures().fit(*training())
    query = districts(
        [{"total_rooms": 600.0, "households": 100.0, "population": 250.0, "median_income": 2.0}]
    )

    row = named(features, features.transform(query))

    log_value = math.log(VALUE)
    per_income = VALUE / TRAIN_INCOME  # each neighbour's value per income unit: 50,000
    per_rooms = VALUE / TRAIN_ROOMS_PER_HOUSEHOLD  # per room per household: 40,000
    x, y = LON * KM_PER_DEG_LON, LAT * KM_PER_DEG_LAT
    san_francisco = math.hypot(x - -122.4194 * KM_PER_DEG_LON, y - 37.7749 * KM_PER_DEG_LAT)
    expected = {
        "km_to_san_francisco": san_francisco,
        "rotated_45deg": (x + y) / math.sqrt(2),
        # The 16 nearest are all at distance 0 with one value and income 4.
        "nbr_log_value_mean_k16": log_value,
        "nbr_log_value_std_k16": 0.0,
        "nbr_value_at_own_income_k16": per_income * 2.0,
        "nbr_income_mean_k16": 4.0,
        "income_vs_nbr_k16": 0.5,
        "nbr_distance_km_k16": 0.0,
        # No spread of incomes: the slope is the prior elasticity 0.8.
        "nbr_log_value_fit_at_own_income_k16": log_value + 0.8 * (math.log(2.0) - math.log(4.0)),
        "nbr_income_elasticity_k16": 0.8,
        "nbr_log_value_fit_residual_k16": 0.0,
        # One cell of 20 rows at both sizes, smoothed towards a prior equal to it.
        "cell_log_value_0.05deg": log_value,
        "cell_value_at_own_income_0.05deg": per_income * 2.0,
        "cell_rows_0.05deg": 20.0,
        "cell_log_value_0.25deg": log_value,
        "cell_value_at_own_income_0.25deg": per_income * 2.0,
        "cell_rows_0.25deg": 20.0,
        # Kernel weight 1 for each of the 16 (distance 0).
        "kernel_log_value_k16": log_value,
        "kernel_value_at_own_income_k16": per_income * 2.0,
        "kernel_log_income_vs_own_k16": math.log(2.0) - math.log(4.0),
        "kernel_value_at_own_rooms_k16": per_rooms * 6.0,
        "kernel_weight_k16": math.log(17.0),
        "evidence_km_k16": 0.0,
    }
    assert {k: row[k] for k in expected} == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert row["kernel_log_value_std_k16"] == pytest.approx(0.0, abs=1e-3)
    assert (row["median_income"], row["rooms_per_household"]) == (2.0, 6.0)


def test_cell_value_at_own_income_uses_the_income_floor_of_half_a_unit() -> None:
    features = HousingFeatures().fit(*training())

    row = named(features, features.transform(districts([{"median_income": 0.2}])))

    assert row["cell_value_at_own_income_0.05deg"] == pytest.approx(VALUE / TRAIN_INCOME * 0.5)
    assert row["cell_value_at_own_income_0.25deg"] == pytest.approx(VALUE / TRAIN_INCOME * 0.5)


def test_a_district_far_from_training_gets_the_state_wide_cell_prior_and_no_rows() -> None:
    frame, y = training()
    y = y.copy()
    y[:10] = 100_000.0  # the state-wide mean of log value is then the mean of two logs
    features = HousingFeatures().fit(frame, y)

    row = named(features, features.transform(districts([{"latitude": 40.0, "longitude": -123}])))

    prior = (math.log(100_000.0) + math.log(200_000.0)) / 2
    for degrees in ("0.05", "0.25"):
        assert row[f"cell_log_value_{degrees}deg"] == pytest.approx(prior)
        assert row[f"cell_rows_{degrees}deg"] == 0.0
        assert row[f"cell_value_at_own_income_{degrees}deg"] == pytest.approx(
            (25_000.0 + 50_000.0) / 2 * 4.0
        )


def test_fit_transform_gives_each_training_row_the_other_rows_statistics() -> None:
    frame, y = training()

    matrix = HousingFeatures().fit_transform(frame, y)

    rows = pd.DataFrame(matrix, columns=list(ENGINEERED_NAMES))
    np.testing.assert_allclose(rows["nbr_log_value_mean_k16"], math.log(VALUE))
    np.testing.assert_allclose(rows["nbr_value_at_own_income_k16"], VALUE)  # per income x 4
    # Out of fold: each row's cells hold the 16 rows of the other four folds, not 20.
    np.testing.assert_array_equal(rows["cell_rows_0.05deg"], 16.0)
    np.testing.assert_allclose(rows["kernel_value_at_own_rooms_k16"], VALUE)  # per room x 5


@pytest.mark.parametrize(
    ("neighbourhoods", "n", "fits"), [((16,), 16, False), ((16,), 17, True), ((4, 8), 8, False)]
)
def test_fit_needs_more_rows_than_the_widest_neighbourhood(
    neighbourhoods: tuple[int, ...], n: int, fits: bool
) -> None:
    frame, y = training(n)
    features = HousingFeatures(neighbourhoods=neighbourhoods)

    if fits:
        assert features.fit_transform(frame, y).shape == (n, len(ENGINEERED_NAMES))
    else:
        with pytest.raises(ValueError) as refused:
            features.fit(frame, y)
        assert str(refused.value) == f"need more rows than neighbourhoods={neighbourhoods}: {n}"


def test_fit_without_target_names_the_missing_target_when_engineered() -> None:
    with pytest.raises(ValueError) as refused:
        HousingFeatures().fit(training()[0])

    assert str(refused.value) == "HousingFeatures(engineered=True) needs the target y to fit"


def test_baseline_features_fit_on_few_rows_and_without_a_target() -> None:
    features = HousingFeatures(engineered=False).fit(districts([{}]))

    assert features.transform(districts([{}])).shape == (1, len(BASELINE_NAMES))


@pytest.mark.parametrize(
    ("regressor", "scaled"),
    [
        (Ridge(), True),
        (TransformedTargetRegressor(regressor=Ridge()), True),
        (HistGradientBoostingRegressor(), False),
        (TransformedTargetRegressor(regressor=HistGradientBoostingRegressor()), False),
    ],
)
def test_build_pipeline_scales_linear_models_only_by_default(regressor, scaled: bool) -> None:
    pipeline = build_pipeline(regressor)

    names = [name for name, _ in pipeline.steps]
    assert names == (["features", "scale", "regressor"] if scaled else ["features", "regressor"])
    assert pipeline.named_steps["features"].engineered is True
    assert pipeline.named_steps["regressor"] is regressor
    if scaled:
        assert isinstance(pipeline.named_steps["scale"], StandardScaler)


@pytest.mark.parametrize(
    ("regressor", "scale"), [(Ridge(), False), (HistGradientBoostingRegressor(), True)]
)
def test_build_pipeline_follows_an_explicit_scale_and_engineered_flag(regressor, scale) -> None:
    pipeline = build_pipeline(regressor, engineered=False, scale=scale)

    assert ("scale" in pipeline.named_steps) is scale
    assert pipeline.named_steps["features"].engineered is False


def test_transform_refuses_grid_sizes_changed_after_fit_instead_of_dropping_columns() -> None:
    features = HousingFeatures().fit(*training())
    features.set_params(grid_degrees=(0.05, 0.25, 1.0))  # names now promise three grid sizes

    with pytest.raises(ValueError):
        features.transform(districts([{}]))


def test_features_do_not_depend_on_the_order_of_the_input_columns() -> None:
    features = HousingFeatures().fit(*training())
    query = districts(
        [{"total_rooms": 600.0, "households": 100.0, "median_income": 2.0, "latitude": 36.5}]
    )
    shuffled = query[list(reversed(query.columns))]

    assert features.transform(shuffled).tobytes() == features.transform(query).tobytes()
    row = named(features, features.transform(shuffled))
    assert (row["latitude"], row["total_rooms"], row["median_income"]) == (36.5, 600.0, 2.0)

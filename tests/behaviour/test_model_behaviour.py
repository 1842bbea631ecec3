"""What a user of the model would notice: direction, invariance, range (on the tiny bundle)."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from model.bundle import PREDICTION, load_bundle
from model.intervals import ConformalInterval
from model.predict import PRICE_CAP, predict
from model.schema import validate_raw


@pytest.fixture(scope="module")
def bundle(tiny_bundle):
    return load_bundle(tiny_bundle)


@pytest.fixture(scope="module")
def rows(sample_frame):
    return validate_raw(sample_frame)


def test_prediction_rises_when_median_income_rises_and_others_fixed(bundle, rows):
    base = rows.iloc[:50].reset_index(drop=True)
    low = predict(bundle, base.assign(median_income=2.0))[PREDICTION]
    high = predict(bundle, base.assign(median_income=8.0))[PREDICTION]
    assert (high > low).mean() >= 0.95
    assert np.median(high - low) > 50_000


def test_predictions_fall_in_plausible_range(bundle, rows):
    pred = predict(bundle, rows)[PREDICTION]
    assert pred.min() >= 1e4 and pred.max() <= 1e6


# Where a row's results must not depend on the other rows of its request: the feature matrix (the
# neighbour statistics are the batch-sensitive part), the point prediction, and the interval.
PLACES = {
    "features": lambda bundle, frame: {"features": bundle.pipeline[:-1].transform(frame)},
    "prediction": lambda bundle, frame: predict(bundle, frame),
    "interval": lambda bundle, frame: predict(bundle, frame, interval=True),
}


@pytest.mark.parametrize("place", PLACES)
def test_results_follow_their_rows_bit_for_bit_when_row_order_changes(bundle, rows, place):
    order = np.random.default_rng(1).permutation(len(rows))
    straight = PLACES[place](bundle, rows)
    shuffled = PLACES[place](bundle, rows.iloc[order].reset_index(drop=True))
    for name, values in straight.items():
        assert values[order].tobytes() == shuffled[name].tobytes(), name


@pytest.mark.parametrize("place", PLACES)
def test_a_row_alone_gets_its_batch_results_bit_for_bit(bundle, rows, place):
    batch = PLACES[place](bundle, rows)
    for i in range(10):
        alone = PLACES[place](bundle, rows.iloc[[i]])
        for name, values in batch.items():
            assert alone[name].tobytes() == values[i : i + 1].tobytes(), (name, i)


def test_missing_total_bedrooms_is_imputed_when_null(bundle, rows):
    holes = rows.iloc[:20].assign(total_bedrooms=np.nan)
    pred = predict(bundle, holes)[PREDICTION]
    assert np.isfinite(pred).all()


def test_interval_brackets_the_prediction(bundle, rows):
    out = predict(bundle, rows, interval=True)
    assert (out["median_house_value_lower"] <= out[PREDICTION]).all()
    assert (out[PREDICTION] <= out["median_house_value_upper"]).all()
    assert (out["median_house_value_upper"] - out["median_house_value_lower"]).mean() > 10_000


class _Constant:
    """A fitted 'regressor' predicting one value for every row."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, features):
        return np.full(len(features), self.value)


CAP = PRICE_CAP


@pytest.mark.parametrize(
    ("point", "low", "high", "expected"),
    [
        (CAP + 1, CAP + 1, CAP + 2, (CAP, CAP, CAP)),  # one past the cap: clipped
        (CAP, CAP - 10, CAP + 10, (CAP, CAP - 10, CAP)),  # at the cap
        (CAP - 1, CAP - 2, CAP - 1, (CAP - 1, CAP - 2, CAP - 1)),  # below: untouched
    ],
)
def test_prediction_and_bounds_never_exceed_the_census_cap(rows, point, low, high, expected):
    constant = SimpleNamespace(
        pipeline=Pipeline(
            [
                ("features", FunctionTransformer(lambda x: np.zeros((len(x), 1)))),
                ("regressor", _Constant(point)),
            ]
        ),
        interval=ConformalInterval(_Constant(low), _Constant(high), margin=0.0, coverage=0.9),
        version="v",
    )
    out = predict(constant, rows.head(3), interval=True)
    got = (out[PREDICTION], out["median_house_value_lower"], out["median_house_value_upper"])
    for values, want in zip(got, expected, strict=True):
        np.testing.assert_array_equal(values, want)


def test_tiny_bundle_never_predicts_above_the_cap_for_rich_coastal_districts(bundle, rows):
    rich = rows.assign(median_income=15.0, longitude=-122.25, latitude=37.85)
    out = predict(bundle, rich, interval=True)
    assert out[PREDICTION].max() <= PRICE_CAP
    assert out["median_house_value_upper"].max() <= PRICE_CAP

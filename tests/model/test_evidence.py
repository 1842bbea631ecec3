"""model.evidence: the champion hands over to the plain model as evidence gets far."""

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from model.bundle import LOWER, PREDICTION, UPPER
from model.evidence import EvidenceBlend
from model.intervals import ConformalInterval
from model.predict import predict


class Constant:
    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.full(len(features), self.value)


class Refuses:
    def predict(self, features: np.ndarray) -> np.ndarray:
        raise AssertionError("the plain model ran for rows with near evidence")


def blend(far: object = None) -> EvidenceBlend:
    return EvidenceBlend(
        near=Constant(100.0),
        far=far or Constant(200.0),
        near_columns=1,
        plain_columns=1,
        distance_column=1,
        near_km=4.0,
        far_km=12.0,
        far_residuals=(-50.0, 70.0),
    )


def rows(*km: float) -> np.ndarray:
    return np.column_stack([np.zeros(len(km)), km])


@pytest.mark.parametrize(
    ("km", "expected"),
    [(0.0, 100.0), (4.0, 100.0), (8.0, 150.0), (12.0, 200.0), (12.001, 200.0), (500.0, 200.0)],
)
def test_prediction_moves_from_champion_to_plain_model_as_evidence_gets_far(km, expected):
    assert blend().predict(rows(km))[0] == pytest.approx(expected)


def test_plain_model_never_runs_when_every_row_has_near_evidence():
    np.testing.assert_array_equal(blend(Refuses()).predict(rows(0.0, 3.9, 4.0)), [100.0] * 3)


def test_bounds_use_the_plain_models_residual_quantiles_where_evidence_is_far():
    model = blend()
    plain = model.plain(rows(2.0, 8.0, 20.0))

    np.testing.assert_allclose(plain.mix(np.full(3, 90.0), -50.0), [90.0, 120.0, 150.0])
    np.testing.assert_allclose(plain.mix(np.full(3, 110.0), 70.0), [110.0, 190.0, 270.0])


def test_single_row_predictions_equal_batch_predictions():
    model = blend()
    batch = rows(1.0, 6.0, 30.0)

    single = [model.predict(batch[[i]])[0] for i in range(3)]

    np.testing.assert_array_equal(single, model.predict(batch))


def banded() -> EvidenceBlend:
    model = blend()
    model.far_bands = ((0.0, 0.8, 1.2), (12.0, 0.5, 1.6), (24.0, 0.25, 2.0))
    return model


def test_plain_models_interval_widens_as_evidence_thins():
    model = banded()
    features = rows(2.0, 8.0, 12.0, 23.9, 24.0, 500.0)
    plain = model.plain(features)

    low, high = model.far_offsets(features, plain)

    # Only rows with a plain share: 8 km (band from 0), 12 and 23.9 (from 12), 24 and 500 (from 24).
    np.testing.assert_allclose(200.0 + low, [160.0, 100.0, 100.0, 50.0, 50.0])
    np.testing.assert_allclose(200.0 + high, [240.0, 320.0, 320.0, 400.0, 400.0])


def test_bundles_pickled_before_the_bands_keep_the_residual_offsets():
    state = blend().__getstate__()
    del state["far_bands"]  # what a format-2.0 bundle's pickle holds
    old = EvidenceBlend.__new__(EvidenceBlend)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    features = rows(8.0, 500.0)

    low, high = old.far_offsets(features, old.plain(features))

    np.testing.assert_array_equal(low, [-50.0, -50.0])
    np.testing.assert_array_equal(high, [70.0, 70.0])


def test_served_bounds_widen_with_evidence_and_keep_the_point_prediction():
    bundle = SimpleNamespace(
        pipeline=Pipeline([("features", FunctionTransformer()), ("blend", banded())]),
        interval=ConformalInterval(Constant(90.0), Constant(110.0), margin=0.0, coverage=0.9),
        version="v",
    )
    features = rows(1.0, 20.0, 100.0)

    out = predict(bundle, features, interval=True)  # type: ignore[arg-type]

    np.testing.assert_allclose(out[PREDICTION], [100.0, 200.0, 200.0])
    np.testing.assert_allclose(out[LOWER], [90.0, 100.0, 50.0])
    np.testing.assert_allclose(out[UPPER], [110.0, 320.0, 400.0])

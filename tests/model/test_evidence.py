"""model.evidence: the champion hands over to the plain model as evidence gets far."""

import numpy as np
import pytest

from model.evidence import EvidenceBlend


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

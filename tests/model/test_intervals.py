"""model.intervals: the conformal interval around the quantile models."""

import numpy as np

from model.intervals import ConformalInterval


class Column:
    """A 'quantile model' returning one feature column as its prediction."""

    def __init__(self, column: int) -> None:
        self.column = column

    def predict(self, features: np.ndarray) -> np.ndarray:
        return features[:, self.column]


def test_interval_widens_both_quantiles_by_the_margin():
    features = np.array([[0.0, 10.0], [0.0, 100.0]])
    interval = ConformalInterval(Column(0), Column(1), margin=5.0, coverage=0.9)

    low, high = interval.bounds(features)

    np.testing.assert_allclose(low, [-5.0, -5.0])
    np.testing.assert_allclose(high, [15.0, 105.0])


def test_quantile_models_read_only_the_leading_columns_when_limited():
    features = np.array([[1.0, 2.0, 99.0]])
    interval = ConformalInterval(Column(0), Column(-1), margin=0.0, coverage=0.9, columns=2)

    low, high = interval.bounds(features)

    assert (low[0], high[0]) == (1.0, 2.0)  # column -1 of the first two is column 1, not 99

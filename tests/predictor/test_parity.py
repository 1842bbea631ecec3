"""HTTP predictions equal the batch path (model.predict on the same rows) bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from predictor_helpers import output, v2_request

from model.bundle import LOWER, PREDICTION, UPPER, load_bundle
from model.predict import predict
from model.schema import validate_raw


@pytest.fixture(scope="module")
def bundle(tiny_bundle: Path):
    return load_bundle(tiny_bundle)


def test_infer_equals_batch_path_bit_for_bit_when_same_rows(server, bundle, rows):
    response = server.infer(v2_request(rows, outputs=[PREDICTION, LOWER, UPPER]))
    assert response.status_code == 200
    expected = predict(bundle, validate_raw(rows), interval=True)
    for name in (PREDICTION, LOWER, UPPER):
        got = np.asarray(output(response, name), dtype=np.float64)
        assert got.tobytes() == expected[name].tobytes(), name


def test_infer_equals_batch_path_bit_for_bit_when_single_rows(server, bundle, rows):
    for i in range(5):
        row = rows.iloc[[i]]
        got = output(server.infer(v2_request(row)), PREDICTION)
        assert (
            np.float64(got[0]).tobytes() == predict(bundle, validate_raw(row))[PREDICTION].tobytes()
        )


def test_infer_equals_batch_path_bit_for_bit_when_bedrooms_missing(server, bundle, rows):
    holes = rows.head(10).copy()
    holes.loc[holes.index[::2], "total_bedrooms"] = np.nan
    got = np.asarray(output(server.infer(v2_request(holes)), PREDICTION))
    assert got.tobytes() == predict(bundle, validate_raw(holes))[PREDICTION].tobytes()

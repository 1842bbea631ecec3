"""housing-batch: same validation and pipeline as training; bad rows reported, good rows kept."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from model.bundle import load_bundle
from model.data import load
from model.schema import RAW_COLUMNS, TARGET, find_problems
from predictor.batch import predict_chunk
from support import REPO
from training.pipeline import xy


@pytest.fixture(scope="module")
def bundle(tiny_bundle):
    return load_bundle(tiny_bundle)


def run_batch(*args):
    return subprocess.run(
        [sys.executable, "-m", "predictor.batch", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_training_path_and_batch_path_give_identical_feature_arrays(bundle, housing_csv, tmp_path):
    training_x, _ = xy(load(housing_csv).frame.iloc[:300])
    sample = tmp_path / "in.csv"
    pd.read_csv(housing_csv).iloc[:300].drop(columns=[TARGET]).to_csv(sample, index=False)
    batch_x, problems = find_problems(pd.read_csv(sample))
    assert problems == []
    features = bundle.pipeline[:-1]
    assert np.array_equal(
        features.transform(training_x), features.transform(batch_x), equal_nan=True
    )


def test_batch_keeps_good_rows_and_reports_bad_ones_when_mixed(
    tiny_bundle, bundle, housing_csv, tmp_path
):
    raw = pd.read_csv(housing_csv).iloc[:6].drop(columns=[TARGET])
    raw.insert(0, "district", [f"d{i}" for i in range(6)])
    raw["ocean_proximity"] = raw["ocean_proximity"].astype(object)
    raw.loc[1, "ocean_proximity"] = "LAKE"
    raw.loc[4, "households"] = -3
    src, out, err = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "err.csv"
    raw.to_csv(src, index=False)
    result = run_batch(
        "--bundle",
        tiny_bundle,
        "--input",
        src,
        "--output",
        out,
        "--errors",
        err,
        "--id-column",
        "district",
    )
    assert result.returncode == 2
    assert "2 rows rejected" in result.stderr
    preds = pd.read_csv(out)
    assert list(preds["district"]) == ["d0", "d2", "d3", "d5"]
    errors = pd.read_csv(err)
    assert errors.to_dict("records") == [
        {"line": 6, "column": "households", "problem": "households[4]: -3.0 outside [1, 1e+06]"},
        {
            "line": 3,
            "column": "ocean_proximity",
            "problem": "ocean_proximity[1]: 'LAKE' not in "
            "['<1H OCEAN', 'INLAND', 'ISLAND', 'NEAR BAY', 'NEAR OCEAN']",
        },
    ]
    good = raw.drop(index=[1, 4]).reset_index(drop=True)
    direct = bundle.pipeline.predict(good[list(RAW_COLUMNS)])
    assert np.allclose(preds["median_house_value"].to_numpy(), direct, rtol=0, atol=1e-6)


def test_batch_writes_interval_and_line_numbers_when_no_id(tiny_bundle, housing_csv, tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.read_csv(housing_csv).iloc[:5].to_csv(src, index=False)  # target column is ignored
    result = run_batch("--bundle", tiny_bundle, "--input", src, "--output", out, "--interval")
    assert result.returncode == 0, result.stderr
    preds = pd.read_csv(out)
    assert list(preds.columns) == [
        "line",
        "median_house_value",
        "median_house_value_lower",
        "median_house_value_upper",
    ]
    assert list(preds["line"]) == [2, 3, 4, 5, 6]


def test_batch_fails_naming_the_column_when_a_column_is_missing(tiny_bundle, housing_csv, tmp_path):
    src = tmp_path / "in.csv"
    pd.read_csv(housing_csv).iloc[:5].drop(columns=["median_income"]).to_csv(src, index=False)
    result = run_batch("--bundle", tiny_bundle, "--input", src, "--output", tmp_path / "o.csv")
    assert result.returncode == 2
    assert "median_income: missing column" in result.stderr


def test_predict_chunk_counts_lines_across_chunks(bundle, housing_csv):
    raw = pd.read_csv(housing_csv).iloc[:3]
    raw.loc[2, "median_income"] = np.nan
    out, errors = predict_chunk(bundle, raw, first_line=1002, id_column=None, interval=False)
    assert list(out["line"]) == [1002, 1003]
    assert list(errors["line"]) == [1004]

"""housing-batch: same validation and pipeline as training; bad rows reported, good rows kept."""

import csv
import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from model.bundle import MANIFEST, REFERENCE, file_digest, load_bundle
from model.data import load
from model.schema import RAW_COLUMNS, TARGET, find_problems
from predictor.batch import predict_chunk
from predictor.csv_records import read_chunks
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
    _, chunks = read_chunks(sample, chunk_rows=1000)
    batch_x, problems = find_problems(next(chunks).frame)
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


def test_predict_chunk_counts_lines_across_chunks(bundle, housing_csv, tmp_path):
    raw = pd.read_csv(housing_csv).iloc[:1003]
    raw.loc[1002, "median_income"] = np.nan
    src = tmp_path / "in.csv"
    raw.to_csv(src, index=False)
    _, chunks = read_chunks(src, chunk_rows=1000)
    next(chunks)
    out, errors = predict_chunk(bundle, next(chunks), id_column=None, interval=False)
    assert list(out["line"]) == [1002, 1003]
    assert list(errors["line"]) == [1004]


def _rows_csv(housing_csv, n, ids=None):
    raw = pd.read_csv(housing_csv).iloc[:n].drop(columns=[TARGET])
    if ids is not None:
        raw.insert(0, "district", ids)
    return raw


def _batch(tiny_bundle, tmp_path, content, *extra):
    src, out, err = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "err.csv"
    src.write_bytes(content)
    result = run_batch(
        "--bundle", tiny_bundle, "--input", src, "--output", out, "--errors", err, *extra
    )
    return result, out, err


def _records(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _assert_one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_batch_exits_2_with_one_line_when_input_is_latin1(tiny_bundle, housing_csv, tmp_path):
    raw = _rows_csv(housing_csv, 3, ids=["Bézier", "Ørsted", "plain"])
    content = raw.to_csv(index=False).encode("latin-1")
    result, _, _ = _batch(tiny_bundle, tmp_path, content, "--id-column", "district")
    _assert_one_line_error(result, "line 2 is not UTF-8", "0xe9")


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 4,  # arbitrary binary
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",  # an image header
        b"longitude,latitude\n1,\x002\n",  # a NUL byte in otherwise valid UTF-8 text
    ],
    ids=["bytes", "png", "nul"],
)
def test_batch_exits_2_with_one_line_when_input_is_binary(tiny_bundle, tmp_path, content):
    result, _, _ = _batch(tiny_bundle, tmp_path, content)
    _assert_one_line_error(result, "in.csv")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_batch_exits_2_with_one_line_when_input_is_empty(tiny_bundle, tmp_path, content):
    result, _, _ = _batch(tiny_bundle, tmp_path, content)
    _assert_one_line_error(result, "empty")


def test_batch_writes_empty_outputs_when_input_has_only_a_header(tiny_bundle, tmp_path):
    result, out, err = _batch(tiny_bundle, tmp_path, (",".join(RAW_COLUMNS) + "\n").encode())
    assert result.returncode == 0, result.stderr
    assert _records(out) == [] and _records(err) == []
    assert "0 rows predicted" in result.stdout


NA_LIKE_IDS = ["NA", "null", "None", "nan", "N/A", "NaN", "", "#N/A", "NULL"]


def test_batch_copies_na_like_ids_verbatim(tiny_bundle, housing_csv, tmp_path):
    raw = _rows_csv(housing_csv, len(NA_LIKE_IDS), ids=NA_LIKE_IDS)
    result, out, _ = _batch(
        tiny_bundle, tmp_path, raw.to_csv(index=False).encode(), "--id-column", "district"
    )
    assert result.returncode == 0, result.stderr
    assert [r["district"] for r in _records(out)] == NA_LIKE_IDS


def test_batch_still_treats_na_strings_as_missing_in_schema_columns(
    tiny_bundle, housing_csv, tmp_path
):
    raw = _rows_csv(housing_csv, 2, ids=["a", "b"]).astype(object)
    raw.loc[0, "total_bedrooms"] = "NA"  # a legal gap, imputed by the pipeline
    raw.loc[1, "median_income"] = "null"  # required: rejected
    result, out, err = _batch(
        tiny_bundle, tmp_path, raw.to_csv(index=False).encode(), "--id-column", "district"
    )
    assert result.returncode == 2
    assert [r["district"] for r in _records(out)] == ["a"]
    assert [(r["line"], r["column"]) for r in _records(err)] == [("3", "median_income")]


def test_batch_reports_the_right_line_after_quoted_newlines(tiny_bundle, housing_csv, tmp_path):
    ids = ["one\nline two", "plain", "three\nfour\nfive", "bad"]
    raw = _rows_csv(housing_csv, 4, ids=ids)
    raw["households"] = raw["households"].astype(float)
    raw.loc[3, "households"] = -1.0
    text = raw.to_csv(index=False)
    result, out, err = _batch(tiny_bundle, tmp_path, text.encode(), "--id-column", "district")
    assert result.returncode == 2
    # header 1; row 0 on lines 2-3; row 1 on 4; row 2 on 5-7; row 3 on 8
    assert [(r["line"], r["column"]) for r in _records(err)] == [("8", "households")]
    assert text.splitlines()[7].startswith("bad,")
    assert [r["district"] for r in _records(out)] == ids[:3]


def test_batch_numbers_output_rows_by_their_first_line_when_no_id(
    tiny_bundle, housing_csv, tmp_path
):
    raw = _rows_csv(housing_csv, 3).astype(object)
    raw.loc[0, "ocean_proximity"] = "NEAR BAY"
    text = raw.to_csv(index=False).replace("NEAR BAY", '"NEAR\nBAY"', 1)
    result, out, err = _batch(tiny_bundle, tmp_path, text.encode())
    assert result.returncode == 2
    assert [r["line"] for r in _records(err)] == ["2"]
    assert [r["line"] for r in _records(out)] == ["4", "5"]


def test_batch_rejects_only_the_row_with_too_many_or_too_few_fields(
    tiny_bundle, housing_csv, tmp_path
):
    raw = _rows_csv(housing_csv, 5, ids=[f"d{i}" for i in range(5)])
    lines = raw.to_csv(index=False).splitlines()
    lines[2] += ",extra"  # row d1
    lines[4] = lines[4].rsplit(",", 1)[0]  # row d3
    result, out, err = _batch(
        tiny_bundle, tmp_path, ("\n".join(lines) + "\n").encode(), "--id-column", "district"
    )
    assert result.returncode == 2
    assert [r["district"] for r in _records(out)] == ["d0", "d2", "d4"]
    assert [(r["line"], r["problem"]) for r in _records(err)] == [
        ("3", "row has 11 fields, the header has 10"),
        ("5", "row has 9 fields, the header has 10"),
    ]
    assert "2 rows rejected" in result.stderr


def test_batch_accounts_for_every_input_row_across_chunks(tiny_bundle, housing_csv, tmp_path):
    """Every data row ends in the predictions or in errors.csv, whatever is wrong with it."""
    raw = _rows_csv(housing_csv, 40, ids=[f"d{i}" for i in range(40)]).astype(object)
    raw.loc[3, "district"] = "NA"
    raw.loc[5, "median_income"] = "abc"
    raw.loc[7, "district"] = "x\ny"
    raw.loc[11, "ocean_proximity"] = "LAKE"
    lines = io.StringIO(raw.to_csv(index=False)).read().split("\n")
    lines[20] += ",1,2"  # too many fields
    content = "\n".join(lines).encode()
    src, out, err = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "err.csv"
    src.write_bytes(content)
    from predictor.batch import run

    code = run(tiny_bundle, src, out, err, "district", False, chunk_rows=7)
    assert code == 2
    predicted = [r["district"] for r in _records(out)]
    rejected = {r["line"] for r in _records(err)}
    assert len(predicted) + len(rejected) == 40
    assert "NA" in predicted and "x\ny" in predicted
    assert len(set(predicted)) == len(predicted)


def test_batch_exits_2_naming_the_file_when_reference_is_corrupt(
    tiny_bundle, housing_csv, tmp_path
):
    bundle = shutil.copytree(tiny_bundle, tmp_path / tiny_bundle.name)
    (bundle / REFERENCE).write_bytes(b"PAR1 not parquet PAR1")
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["files"][REFERENCE] = file_digest(bundle / REFERENCE)  # sha matches the bad file
    (bundle / MANIFEST).write_text(json.dumps(manifest))
    src = tmp_path / "in.csv"
    _rows_csv(housing_csv, 2).to_csv(src, index=False)
    result = run_batch("--bundle", bundle, "--input", src, "--output", tmp_path / "o.csv")
    _assert_one_line_error(result, "reference.parquet: not a readable Parquet file")

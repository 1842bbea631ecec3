"""The calibration's null distances: equal to the multiplier bootstrap by definition, and cached."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitoring import calibration
from monitoring.calibration import cached_calibration, calibrate, null_scores

COLUMNS, NUMERIC = ["a", "b", "c", "d"], ["a", "b", "d"]
SETUP: dict[str, Any] = {
    "columns": COLUMNS,
    "numeric": NUMERIC,
    "gated": ["a", "c"],
    "alpha": 0.05,
    "replicates": 3000,
    "seed": 3,
}


def _reference(rows: int = 1500, seed: int = 7) -> pd.DataFrame:
    """Ties (rounded values, 52 ages), missing numbers and missing categories."""
    rng = np.random.default_rng(seed)
    a = np.round(rng.lognormal(size=rows), 2)
    b = a + rng.normal(size=rows)
    b[rng.random(rows) < 0.1] = np.nan
    c = rng.choice(np.array(["p", "q", "r"], dtype=object), rows, p=[0.6, 0.3, 0.1])
    c[rng.random(rows) < 0.05] = None
    d = rng.integers(1, 53, rows).astype(float)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d})


def _by_definition(reference: pd.DataFrame, xi: np.ndarray) -> np.ndarray:
    """Standardized distances for +-1 weights ``xi`` (replicates x rows), float64, no shortcut."""
    out = []
    for column in COLUMNS:
        values = reference[column]
        present = values.notna().to_numpy()
        w = xi[:, present] / math.sqrt(present.sum())
        if column in NUMERIC:
            v = values.to_numpy(np.float64)[present]
            distinct = np.unique(v)
            below = (v[:, None] <= distinct[None, :-1]).astype(np.float64)  # rows x values
            bridge = w @ below - below.mean(axis=0) * w.sum(axis=1, keepdims=True)
            out.append(np.abs(bridge) @ (np.diff(distinct) / max(float(np.std(v)), 0.001)))
        else:
            v = values.to_numpy(object)[present]
            onehot = (v[:, None] == np.unique(v)[None, :]).astype(np.float64)
            shares = onehot.mean(axis=0)
            z = w @ (onehot - shares)
            out.append(np.sqrt((z * z) @ (1 / (8 * shares))))
    return np.column_stack(out)


def _signs(seed: int, replicates: int, rows: int, batch: int) -> np.ndarray:
    """The +-1 weights ``null_scores`` draws: the same generator, in the same batches."""
    rng = np.random.default_rng(seed)
    parts = [
        rng.integers(0, 2, size=(min(batch, replicates - s), rows), dtype=np.int8)
        for s in range(0, replicates, batch)
    ]
    return np.concatenate(parts).astype(np.float64) * 2 - 1


def test_null_scores_equal_the_multiplier_bootstrap_by_definition_when_batches_are_odd(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = _reference(rows=600)
    # Batches of 7 replicates: 7 is no multiple of the 4 counters packed per 64-bit word.
    monkeypatch.setattr(calibration, "_BATCH_CELLS", 7 * len(reference))
    scores = null_scores(reference, COLUMNS, NUMERIC, replicates=30, seed=5)
    expected = _by_definition(reference, _signs(5, 30, len(reference), 7))
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_null_scores_count_exactly_when_reference_outgrows_16_bit_counters() -> None:
    # 50,000 rows: 32-bit counters, and m * count beyond int32 (64-bit bridge).
    rng = np.random.default_rng(2)
    rows = 50_000
    reference = pd.DataFrame(
        {
            "a": rng.integers(0, 4, rows).astype(float),
            "b": np.where(rng.random(rows) < 0.01, np.nan, rng.integers(0, 3, rows)),
            "c": rng.choice(np.array(["p", "q"], dtype=object), rows),
            "d": np.ones(rows),  # one value: no bridge at all, distance 0
        }
    )
    scores = null_scores(reference, COLUMNS, NUMERIC, replicates=6, seed=1)
    expected = _by_definition(reference, _signs(1, 6, rows, calibration._BATCH_CELLS // rows))
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert not scores[:, 3].any()


def test_calibration_keeps_format_2_thresholds_when_seed_is_fixed() -> None:
    # Format 2 summed the weights in float32; its thresholds for this reference and seed (taken
    # from that code) differ from the exact ones only in float32's rounding.
    cal = calibrate(_reference(), **SETUP)
    assert cal.column_level == 0.025333333333333333
    format_2 = {"a": 2.3627448082, "b": 2.4116065502, "c": 0.9558069110, "d": 2.2573626041}
    assert cal.standardized == pytest.approx(format_2, rel=2e-6)


def _count_calibrations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = calibration.calibrate

    def counted(*args: Any, **kwargs: Any) -> calibration.Calibration:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calibration, "calibrate", counted)
    return calls


def test_cached_calibration_reads_the_file_and_does_not_recompute_when_called_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calibrations(monkeypatch)
    reference = _reference(rows=400)
    setup = {**SETUP, "replicates": 200}
    first = cached_calibration(tmp_path, "v1", reference, **setup)
    [file] = (tmp_path / "v1").glob("*.json")
    assert json.loads(file.read_text())["standardized"] == first.standardized
    again = cached_calibration(tmp_path, "v1", reference, **setup)
    assert (again, len(calls)) == (first, 1)
    cached_calibration(tmp_path, "v2", reference, **setup)  # another bundle: its own entry
    assert len(calls) == 2


def test_cached_calibration_recomputes_when_the_cache_has_another_format_or_is_torn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calibrations(monkeypatch)
    reference = _reference(rows=400)
    setup = {**SETUP, "replicates": 200}
    current_format = calibration.CALIBRATION_FORMAT
    monkeypatch.setattr(calibration, "CALIBRATION_FORMAT", current_format - 1)
    cached_calibration(tmp_path, "v1", reference, **setup)
    monkeypatch.setattr(calibration, "CALIBRATION_FORMAT", current_format)
    current = cached_calibration(tmp_path, "v1", reference, **setup)
    assert len(calls) == 2  # the older format's file was not read
    files = sorted((tmp_path / "v1").glob("*.json"))
    assert len(files) == 2
    for file in files:
        file.write_text('{"alpha": 0.0')  # torn
    assert cached_calibration(tmp_path, "v1", reference, **setup) == current
    assert len(calls) == 3

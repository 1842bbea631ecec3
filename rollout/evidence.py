"""Offline evidence: both bundles predict the same labelled rows; metrics, segments, data quality.

The default rows are the hold-out set: the rows neither bundle was trained on. Each bundle's split
is reproduced from its manifest (data sha256, sample size, test rows and seed), exactly as
``model.split.holdout`` made it in training, and the two hold-outs are intersected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from model import data
from model.bundle import Bundle, Manifest
from model.errors import BundleError, DataError
from model.predict import predict
from model.schema import CATEGORICAL, CATEGORIES, INCOME, RAW_COLUMNS, TARGET, validate_raw
from model.split import holdout
from rollout.stats import Interval, PairedResult, paired_bootstrap

# Bands of median income (tens of thousands of USD): roughly the quintiles of the 1990 census.
INCOME_EDGES: tuple[float, ...] = (0.0, 2.0, 3.0, 4.0, 5.5, np.inf)
PLAUSIBLE = (1e4, 1e6)  # predictions outside this range are data-quality failures (tests/behaviour)


@dataclass(frozen=True)
class EvalData:
    """The labelled rows both models are scored on, and where they came from."""

    frame: pd.DataFrame
    source: str


def _holdout_index(ds: data.Dataset, manifest: Manifest) -> pd.Index:
    info = manifest.data
    if info.sha256 != ds.sha256:
        raise DataError(
            f"bundle {manifest.model_version} was trained on data sha256 "
            f"{info.sha256[:12]}…, not {ds.path} ({ds.sha256[:12]}…); its hold-out "
            "cannot be rebuilt: pass --data with labelled rows instead"
        )
    test = holdout(
        ds.frame, test_size=info.test_size, seed=info.seed, sample_rows=info.sample_rows
    ).test
    index: pd.Index = test.index
    return index


def evaluation_data(
    champion: Bundle,
    challenger: Bundle,
    *,
    labelled: Path | None,
    dataset_path: Path | None,
    cache_dir: Path | None,
) -> EvalData:
    """Rows to compare on: ``labelled`` (a CSV of newly labelled rows) or the common hold-out.

    Raises:
        SchemaError: the labelled CSV violates the schema. DataError: dataset missing or not the
            one the bundles were trained on.
    """
    if labelled is not None:
        if not labelled.is_file():
            raise DataError(f"{labelled}: no such file (--data)")
        frame = validate_raw(pd.read_csv(labelled), require_target=True)
        return EvalData(frame.reset_index(drop=True), f"{labelled} ({len(frame)} labelled rows)")
    ds = data.load(dataset_path, cache_dir)
    a, b = _holdout_index(ds, champion.manifest), _holdout_index(ds, challenger.manifest)
    common = a.intersection(b, sort=False)
    frame = ds.frame.loc[common]
    same = a.equals(b)
    source = (
        f"hold-out of {ds.path.name} ({champion.manifest.data.split}, {len(frame)} rows)"
        if same
        else f"rows held out by both bundles ({len(frame)} of {len(a)} and {len(b)})"
    )
    return EvalData(frame.reset_index(drop=True), source)


def segments(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row masks of every ocean_proximity value and income band, by display name."""
    out = {
        f"{CATEGORICAL}={c}": (frame[CATEGORICAL] == c).to_numpy() for c in CATEGORIES[CATEGORICAL]
    }
    income = frame[INCOME].to_numpy(dtype=np.float64)
    for low, high in pairwise(INCOME_EDGES):
        label = f"{INCOME} ≥ {low:g}" if np.isinf(high) else f"{INCOME} {low:g}-{high:g}"
        out[label] = (income >= low) & (income < high)
    return out


@dataclass(frozen=True)
class SegmentResult:
    """One segment: rows, both RMSEs and the paired difference."""

    name: str
    n: int
    champion_rmse: float
    challenger_rmse: float
    rmse_diff: Interval | None  # None: too few rows to bootstrap

    @property
    def relative(self) -> float:
        """(challenger - champion) / champion RMSE; positive means the challenger is worse."""
        return (
            (self.challenger_rmse - self.champion_rmse) / self.champion_rmse
            if self.champion_rmse
            else float("nan")
        )


@dataclass(frozen=True)
class Quality:
    """Data-quality failures of one model's predictions on the evaluation rows."""

    non_finite: int
    implausible: int
    contract: list[str] = field(default_factory=list)


def quality(
    pred: np.ndarray,
    *,
    contract: list[str] | None = None,
    plausible: tuple[float, float] = PLAUSIBLE,
) -> Quality:
    """Count non-finite predictions and predictions outside ``plausible``."""
    finite = np.isfinite(pred)
    with np.errstate(invalid="ignore"):
        outside = finite & ((pred < plausible[0]) | (pred > plausible[1]))
    return Quality(int((~finite).sum()), int(outside.sum()), list(contract or []))


def contract_problems(champion: Manifest, challenger: Manifest) -> list[str]:
    """What clients of the champion would lose if the challenger served them."""
    problems = []
    if challenger.inputs != champion.inputs:
        problems.append("V2 inputs differ from the champion's (clients send other tensors)")
    missing = {o.name for o in champion.outputs} - {o.name for o in challenger.outputs}
    if missing:
        problems.append(f"outputs missing that the champion serves: {sorted(missing)}")
    return problems


@dataclass
class Offline:
    """Everything measured on the labelled rows."""

    source: str
    y: np.ndarray
    champion_pred: np.ndarray
    challenger_pred: np.ndarray
    overall: PairedResult
    segments: list[SegmentResult]
    champion_quality: Quality
    challenger_quality: Quality


def measure(
    source: str,
    frame: pd.DataFrame,
    y: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    contract: list[str],
    n_boot: int,
    seed: int,
    confidence: float,
    min_segment_rows: int,
) -> Offline:
    """Metrics, paired bootstrap, segments and quality of two prediction vectors on the same rows.

    Args:
        source: where the rows came from (printed). frame: the rows (segments are read from it).
        y: true values. champion, challenger: each model's predictions of ``frame``.
        contract: the challenger's V2 contract problems (``contract_problems``).
        n_boot, seed, confidence: the bootstrap. min_segment_rows: smaller segments get no interval.
    """
    ok = np.isfinite(champion) & np.isfinite(challenger)  # non-finite ones count under quality
    overall = paired_bootstrap(
        y[ok], champion[ok], challenger[ok], n_boot=n_boot, seed=seed, confidence=confidence
    )
    results = []
    for k, (name, mask) in enumerate(segments(frame).items()):
        m = mask & ok
        if not m.any():
            continue
        r = (
            paired_bootstrap(
                y[m],
                champion[m],
                challenger[m],
                n_boot=n_boot,
                seed=(seed, k),
                confidence=confidence,
            )
            if m.sum() >= min_segment_rows
            else None
        )
        ea, eb = y[m] - champion[m], y[m] - challenger[m]
        results.append(
            SegmentResult(
                name,
                int(m.sum()),
                float(np.sqrt(np.mean(ea**2))),
                float(np.sqrt(np.mean(eb**2))),
                r.rmse_diff if r else None,
            )
        )
    return Offline(
        source,
        y,
        champion,
        challenger,
        overall,
        results,
        quality(champion),
        quality(challenger, contract=contract),
    )


def _predict(bundle: Bundle, x: pd.DataFrame) -> np.ndarray:
    try:
        return predict(bundle, x)[TARGET]
    except Exception as e:  # a pickle from other code (e.g. a renamed feature param) fails anyhow
        raise BundleError(
            f"{bundle.path}: model {bundle.version} cannot predict with this code "
            f"({type(e).__name__}: {e}); retrain it with the current code"
        ) from e


def offline(
    champion: Bundle,
    challenger: Bundle,
    rows: EvalData,
    *,
    n_boot: int,
    seed: int,
    confidence: float,
    min_segment_rows: int,
) -> Offline:
    """Predict with both bundles (``model.predict``, the serving path) and ``measure``."""
    x, y = rows.frame.loc[:, list(RAW_COLUMNS)], rows.frame[TARGET].to_numpy(dtype=np.float64)
    a, b = _predict(champion, x), _predict(challenger, x)
    return measure(
        rows.source,
        rows.frame,
        y,
        a,
        b,
        contract=contract_problems(champion.manifest, challenger.manifest),
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        min_segment_rows=min_segment_rows,
    )

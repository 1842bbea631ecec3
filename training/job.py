"""``housing-train`` end to end: data -> CV -> fit -> evaluate -> bundle -> publish."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin

from model import data
from model.bundle import (
    LOWER,
    PREDICTION,
    REFERENCE_PREDICTION,
    UPPER,
    DataInfo,
    Manifest,
    code_info,
    default_inputs,
    default_outputs,
    new_model_version,
    write_bundle,
)
from model.predict import predict
from model.signing import BundleKeys
from model.split import Split, holdout
from training import candidates, compare, evaluate
from training.pipeline import (
    Fitted,
    candidate_factory,
    covered,
    cross_validate,
    fit,
    metrics,
    xy,
)
from training.publish import latest_manifest, publish
from training.settings import TrainSettings

logger = logging.getLogger(__name__)


def git_sha(configured: str) -> str:
    """The configured sha, else git's (with ``-dirty`` for uncommitted changes), else 'nogit'."""
    if configured:
        return configured
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "nogit"
    return f"{sha}-dirty" if dirty else sha


def _lineage(
    settings: TrainSettings, ds: data.Dataset, parts: Split, candidate: str, sha: str
) -> dict[str, Any]:
    cv = f"{settings.cv_folds}-fold shuffle seed {settings.seed}" if settings.cv_folds else "none"
    return {
        "candidate": candidate,
        "code": code_info(sha),
        "data": DataInfo(
            source=str(ds.path),
            sha256=ds.sha256,
            rows=len(ds.frame),
            train_rows=len(parts.train),
            test_rows=len(parts.test),
            split=parts.description,
            test_size=settings.test_size,
            seed=settings.seed,
            sample_rows=settings.sample_rows
            if settings.sample_rows and settings.sample_rows < len(ds.frame)
            else None,
            cv=cv,
        ),
    }


def _up_to_date(settings: TrainSettings, lineage: dict[str, Any]) -> Manifest | None:
    """The published latest bundle if it came from the same data, code and settings and, when a
    signing key is set, carries that key's valid signature (an unsigned one is refused by every
    pod that verifies)."""
    signing = BundleKeys.from_settings().signing
    latest = latest_manifest(
        settings.publish_uri,
        endpoint_url=settings.s3_endpoint_url,
        signed_by=None if signing is None else signing.public_key(),
    )
    code = lineage["code"]
    if (
        latest is None
        or settings.force
        or code.git_sha in ("nogit", "")
        or code.git_sha.endswith("-dirty")
    ):
        return None
    same = (
        latest.data == lineage["data"]
        and latest.candidate == lineage["candidate"]
        and latest.code.git_sha == code.git_sha
        and latest.code.sklearn == code.sklearn
        and (latest.interval is not None) == settings.intervals
    )
    return latest if same else None


def _cross_validations(
    make: Callable[[], RegressorMixin],
    train: pd.DataFrame,
    settings: TrainSettings,
    *,
    engineered: bool,
    evidence: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Random and spatially blocked CV (with interval coverage per spatial fold); none if 0."""
    if settings.cv_folds < 2:
        return {"cv": None, "spatial_cv": None}
    folds, seed = settings.cv_folds, settings.seed
    return {
        "cv": cross_validate(make, train, folds, seed, engineered=engineered, evidence=evidence),
        "spatial_cv": cross_validate(
            make,
            train,
            folds,
            seed,
            engineered=engineered,
            spatial=True,
            intervals=settings.intervals and engineered,
            evidence=evidence,
        ),
    }


def _baseline(parts: Split, settings: TrainSettings) -> dict[str, Any]:
    """The seed's stand-in model scored on the same split and folds as the champion."""
    make = candidate_factory(candidates.BASELINE)
    engineered = candidates.BASELINE_ENGINEERED
    fitted = fit(make, parts.train, intervals=False, seed=settings.seed, engineered=engineered)
    x_test, y_test = xy(parts.test)
    return {
        "candidate": candidates.BASELINE,
        "engineered": engineered,
        "holdout": metrics(y_test, predict(fitted, x_test)[PREDICTION]),
        **_cross_validations(make, parts.train, settings, engineered=engineered),
    }


def _interval(model: Fitted, x: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """Nominal and measured hold-out coverage of the calibrated interval."""
    assert model.interval is not None
    out = predict(model, x, interval=True)
    lower, upper = out[LOWER], out[UPPER]
    return {
        "nominal": model.interval.coverage,
        "margin": round(model.interval.margin, 1),
        "coverage": round(covered(y, lower, upper), 4),
        "mean_width": round(float(np.mean(upper - lower)), 1),
    }


def run(settings: TrainSettings) -> int:
    """Train, evaluate and publish one bundle; returns the process exit code."""
    ds = data.load(settings.data_path, settings.data_cache)
    parts = holdout(
        ds.frame, test_size=settings.test_size, seed=settings.seed, sample_rows=settings.sample_rows
    )
    name = settings.candidate or candidates.CHAMPION
    make = candidate_factory(name)
    sha = git_sha(settings.git_sha)
    lineage = _lineage(settings, ds, parts, name, sha)
    if settings.compare:
        compare.run(parts, settings.cv_folds or 5, settings.seed, settings.report_dir)
    if (current := _up_to_date(settings, lineage)) is not None:
        logger.info("training_skipped_up_to_date", extra={"model_version": current.model_version})
        print(f"up to date: {current.model_version} already came from this data, code and settings")
        return 0
    blend = candidates.evidence(name)
    cv = _cross_validations(make, parts.train, settings, engineered=True, evidence=blend)
    fitted = fit(
        make, parts.train, intervals=settings.intervals, seed=settings.seed, evidence=blend
    )
    baseline = _baseline(parts, settings)
    version = new_model_version(sha)
    x_test, y_test = xy(parts.test)
    model = replace(fitted, version=version)
    pred = predict(model, x_test)[PREDICTION]
    importance = evaluate.raw_importance(fitted.pipeline, x_test, y_test, settings.seed)
    fields: dict[str, Any] = {
        **lineage,
        "model_version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "inputs": default_inputs(),
        "outputs": default_outputs(bool(fitted.interval)),
        "feature_names": [str(n) for n in fitted.pipeline[:-1].get_feature_names_out()],
        "metrics": {
            "holdout": metrics(y_test, pred),
            **cv,
            "baseline": baseline,
            "fit_seconds": fitted.fit_seconds,
            "segments_rmse": evaluate.segment_rmse(x_test, y_test, pred),
            "importance": importance,
        },
        "interval": _interval(model, x_test, y_test) if fitted.interval else None,
    }
    view = {**fields, "code": fields["code"].model_dump(), "data": fields["data"].model_dump()}
    report_files = evaluate.report(view, x_test, y_test, pred, importance)
    reference = _reference(model, parts.train, settings.reference_rows, settings.seed)

    def write(root: Path) -> Manifest:
        return write_bundle(
            root,
            manifest_fields=fields,
            pipeline=fitted.pipeline,
            interval=fitted.interval,
            reference=reference,
            extra_files=report_files,
        )

    uri, manifest = publish(settings.publish_uri, write, endpoint_url=settings.s3_endpoint_url)
    logger.info(
        "bundle_published",
        extra={"model_version": version, "uri": uri, **manifest.metrics["holdout"]},
    )
    _summary(uri, manifest)
    return 0


def _reference(model: Fitted, train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """A sample of training rows with their predictions: the drift baseline."""
    sample = train.sample(min(rows, len(train)), random_state=seed).reset_index(drop=True)
    x, _ = xy(sample)
    return sample.assign(**{REFERENCE_PREDICTION: predict(model, x)[PREDICTION]})


def _summary(uri: str, manifest: Manifest) -> None:
    m = manifest.metrics
    scores = [f"hold-out RMSE {m['holdout']['rmse']:,.0f}", f"MAE {m['holdout']['mae']:,.0f}"]
    for key, label in (("cv", "CV"), ("spatial_cv", "spatial CV")):
        if m.get(key):
            scores.append(f"{label} RMSE {m[key]['rmse_mean']:,.0f} ± {m[key]['rmse_std']:,.0f}")
    base = m.get("baseline") or {}
    if base.get("spatial_cv"):
        scores.append(f"seed baseline spatial CV {base['spatial_cv']['rmse_mean']:,.0f}")
    print(
        f"model {manifest.model_version} ({manifest.candidate}): {', '.join(scores)}; "
        f"fit {m['fit_seconds']} s"
    )
    print(f"bundle: {uri}")
    print(f"report: {uri}/report/evaluation.md")

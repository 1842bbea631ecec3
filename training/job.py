"""``housing-train`` end to end: data -> CV -> fit -> evaluate -> bundle -> publish."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import data
from model.bundle import (
    LOWER,
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
from model.intervals import ConformalInterval
from model.predict import predict
from model.schema import TARGET
from model.split import Split, holdout
from training import candidates, compare, evaluate
from training.pipeline import candidate_factory, cross_validate, fit, metrics, xy
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
    """The published latest bundle if it came from the same data, code and settings."""
    latest = latest_manifest(settings.publish_uri, endpoint_url=settings.s3_endpoint_url)
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


@dataclass(frozen=True)
class _Unpublished:
    """The fitted models as ``model.predict`` sees a bundle, before the bundle is written."""

    pipeline: Any
    interval: ConformalInterval | None
    version: str


def _interval(model: _Unpublished, x: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """Nominal and measured hold-out coverage of the calibrated interval."""
    assert model.interval is not None
    out = predict(model, x, interval=True)
    lower, upper = out[LOWER], out[UPPER]
    return {
        "nominal": model.interval.coverage,
        "margin": round(model.interval.margin, 1),
        "coverage": round(float(np.mean((y >= lower) & (y <= upper))), 4),
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
    cv = (
        cross_validate(make, parts.train, settings.cv_folds, settings.seed)
        if settings.cv_folds > 1
        else None
    )
    fitted = fit(make, parts.train, intervals=settings.intervals, seed=settings.seed)
    version = new_model_version(sha)
    x_test, y_test = xy(parts.test)
    model = _Unpublished(fitted.pipeline, fitted.interval, version)
    pred = predict(model, x_test)[TARGET]
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
            "cv": cv,
            "fit_seconds": fitted.fit_seconds,
            "segments_rmse": evaluate.segment_rmse(x_test, y_test, pred),
            "importance": importance,
        },
        "interval": _interval(model, x_test, y_test) if fitted.interval else None,
    }
    view = {**fields, "code": fields["code"].model_dump(), "data": fields["data"].model_dump()}
    report_files = evaluate.report(view, x_test, y_test, pred, importance)
    reference = _reference(fitted.pipeline, parts.train, settings.reference_rows, settings.seed)

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


def _reference(pipeline: Any, train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """A sample of training rows with their predictions: the drift baseline."""
    sample = train.sample(min(rows, len(train)), random_state=seed).reset_index(drop=True)
    x, _ = xy(sample)
    return sample.assign(**{REFERENCE_PREDICTION: pipeline.predict(x)})


def _summary(uri: str, manifest: Manifest) -> None:
    m, cv = manifest.metrics["holdout"], manifest.metrics.get("cv")
    cv_text = f", CV RMSE {cv['rmse_mean']:,.0f} ± {cv['rmse_std']:,.0f}" if cv else ""
    print(
        f"model {manifest.model_version} ({manifest.candidate}): hold-out RMSE {m['rmse']:,.0f}, "
        f"MAE {m['mae']:,.0f}, R² {m['r2']:.3f}{cv_text}; fit {manifest.metrics['fit_seconds']} s"
    )
    print(f"bundle: {uri}")
    print(f"report: {uri}/report/evaluation.md")

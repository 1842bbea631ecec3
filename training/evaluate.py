"""The evaluation report stored in every bundle: metrics, plots and raw-column importance."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: Jobs and CI have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import StrMethodFormatter
from sklearn.inspection import permutation_importance
from sklearn.metrics import root_mean_squared_error

from model.predict import PRICE_CAP
from model.schema import CATEGORICAL, RAW_COLUMNS

# A segment with fewer hold-out rows than this gets no verdict: its RMSE is noise (ISLAND has one).
MIN_SEGMENT_ROWS = 30
_THOUSANDS = StrMethodFormatter("{x:,.0f}")


def raw_importance(
    pipeline: Any, x: pd.DataFrame, y: np.ndarray, seed: int, max_rows: int = 2000
) -> dict[str, float]:
    """Permutation importance per raw input column (RMSE increase), on hold-out rows.

    Raw columns rather than engineered ones: they are what callers send and what monitoring
    watches, so the drift job can gate on the columns the model leans on most.
    """
    sample = x.sample(min(max_rows, len(x)), random_state=seed)
    result = permutation_importance(
        pipeline,
        sample,
        y[x.index.get_indexer(sample.index)],
        scoring="neg_root_mean_squared_error",
        n_repeats=3,
        random_state=seed,
        n_jobs=1,
    )
    order = np.argsort(-result.importances_mean)
    return {RAW_COLUMNS[i]: round(float(result.importances_mean[i]), 1) for i in order}


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _predicted_vs_actual(y: np.ndarray, pred: np.ndarray) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(y, pred, s=4, alpha=0.3)
    lim = [0, max(float(y.max()), float(pred.max())) * 1.04]
    ax.plot(lim, lim, color="black", linewidth=1, label="perfect")
    for line in (ax.axvline, ax.axhline):
        line(PRICE_CAP, color="tab:red", linestyle="--", linewidth=1)
    ax.annotate(
        f"census top-code {PRICE_CAP:,.0f}: predictions are clipped to it",
        (lim[1] * 0.02, PRICE_CAP),
        xytext=(0, -11),
        textcoords="offset points",
        fontsize=7,
        color="tab:red",
    )
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.set(
        xlim=lim,
        ylim=lim,
        xlabel="actual median_house_value (USD)",
        ylabel="predicted (USD)",
        title="Hold-out: predicted vs actual",
    )
    ax.legend(loc="lower right")
    return _png(fig)


def _residuals_by_segment(x: pd.DataFrame, residuals: np.ndarray) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = sorted(x[CATEGORICAL].unique())
    ax.boxplot([residuals[(x[CATEGORICAL] == g).to_numpy()] for g in groups], showfliers=False)
    ax.set_xticks(range(1, len(groups) + 1), groups)
    ax.axhline(0, color="black", linewidth=1)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.set(ylabel="actual - predicted (USD)", title=f"Hold-out residuals by {CATEGORICAL}")
    return _png(fig)


def _importance(importance: dict[str, float]) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(importance)[::-1]
    ax.barh(names, [importance[n] for n in names])
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set(
        xlabel="RMSE increase when the column is shuffled (USD)",
        title="Permutation importance of the raw inputs (hold-out)",
    )
    return _png(fig)


def segment_rmse(x: pd.DataFrame, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Hold-out RMSE per ocean_proximity value."""
    out = {}
    for value in sorted(x[CATEGORICAL].unique()):
        mask = (x[CATEGORICAL] == value).to_numpy()
        out[value] = round(float(root_mean_squared_error(y[mask], pred[mask])), 1)
    return out


def report(
    manifest_view: dict[str, Any],
    x: pd.DataFrame,
    y: np.ndarray,
    pred: np.ndarray,
    importance: dict[str, float],
) -> dict[str, bytes]:
    """The report files, by path inside the bundle: ``report/evaluation.md`` and its PNGs."""
    residuals = y - pred
    files = {
        "report/predicted_vs_actual.png": _predicted_vs_actual(y, pred),
        "report/residuals_by_ocean_proximity.png": _residuals_by_segment(x, residuals),
        "report/feature_importance.png": _importance(importance),
    }
    files["report/evaluation.md"] = _markdown(manifest_view, x, y, pred, importance).encode()
    return files


def _markdown(
    view: dict[str, Any],
    x: pd.DataFrame,
    y: np.ndarray,
    pred: np.ndarray,
    importance: dict[str, float],
) -> str:
    metrics = view["metrics"]
    base = metrics.get("baseline") or {}
    lines = [
        f"# Evaluation of model {view['model_version']} ({view['candidate']})",
        "",
        f"Data sha256 `{view['data']['sha256']}`, {view['data']['rows']} rows, "
        f"{view['data']['split']}; code `{view['code']['git_sha']}`.",
        "",
        *_scores(metrics, base),
        "",
        *_spatial_folds(metrics.get("spatial_cv"), base.get("spatial_cv")),
        *_cap(y, pred),
    ]
    if view.get("interval"):
        iv = view["interval"]
        lines += [
            "",
            f"{iv['nominal']:.0%} prediction interval: hold-out coverage {iv['coverage']:.1%}, "
            f"mean width {iv['mean_width']:,.0f} USD.",
        ]
    lines += ["", f"| {CATEGORICAL} | rows | RMSE |", "|---|---:|---:|"]
    counts = x[CATEGORICAL].value_counts()
    for k, v in segment_rmse(x, y, pred).items():
        judged = (
            f"{v:,.0f}" if counts[k] >= MIN_SEGMENT_ROWS else f"({v:,.0f}: too few rows to judge)"
        )
        lines.append(f"| {k} | {counts[k]:,} | {judged} |")
    lines += [
        "",
        f"Segments with fewer than {MIN_SEGMENT_ROWS} hold-out rows are shown but not judged.",
        "",
        "| raw input | permutation importance (RMSE +USD) |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:,.0f} |" for k, v in importance.items()]
    lines += [
        "",
        "![predicted vs actual](predicted_vs_actual.png)",
        "![residuals](residuals_by_ocean_proximity.png)",
        "![importance](feature_importance.png)",
        "",
    ]
    return "\n".join(lines)


def _scores(metrics: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """Hold-out, CV and spatial CV of the model beside the seed's baseline on the same split."""
    name = base.get("candidate", "baseline")
    m, b = metrics["holdout"], base.get("holdout") or {}
    lines = [
        f"| metric | this model | seed baseline ({name}) |",
        "|---|---:|---:|",
        f"| hold-out RMSE | {m['rmse']:,.0f} | {_num(b.get('rmse'))} |",
        f"| hold-out MAE | {m['mae']:,.0f} | {_num(b.get('mae'))} |",
        f"| hold-out R² | {m['r2']:.4f} | {_num(b.get('r2'), '.4f')} |",
    ]
    for key, label in (("cv", "CV RMSE"), ("spatial_cv", "spatial CV RMSE")):
        ours, theirs = metrics.get(key), base.get(key)
        if ours:
            lines.append(
                f"| {label} ({ours['scheme']}) | {ours['rmse_mean']:,.0f} "
                f"± {ours['rmse_std']:,.0f} | {_num((theirs or {}).get('rmse_mean'))} |"
            )
    return lines


def _spatial_folds(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> list[str]:
    """Per spatial fold: rows, RMSE of both models, the interval's coverage and mean width."""
    if not ours:
        return []
    missing = [None] * len(ours["folds"])
    coverage = ours.get("coverage") or missing
    width = ours.get("mean_width") or missing
    base = (theirs or {}).get("folds") or missing
    lines = [
        "Spatially blocked CV: every fold predicts whole regions without a training district.",
        "",
        "| spatial fold | rows | RMSE | seed baseline RMSE | interval coverage | mean width |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for i, (rows, rmse, b, c, w) in enumerate(
        zip(ours["rows"], ours["folds"], base, coverage, width, strict=True), start=1
    ):
        shown = "—" if c is None else f"{c:.1%}"
        lines.append(f"| {i} | {rows:,} | {rmse:,.0f} | {_num(b)} | {shown} | {_num(w)} |")
    return [*lines, ""]


def _cap(y: np.ndarray, pred: np.ndarray) -> list[str]:
    at_cap = int(np.sum(y >= PRICE_CAP))
    return [
        f"The target is top-coded by the census at {PRICE_CAP:,.0f} USD ({at_cap:,} of {len(y):,} "
        f"hold-out rows sit at it; their true value may be higher). Predictions and interval "
        f"bounds are clipped to it (highest hold-out prediction: {float(pred.max()):,.0f}).",
    ]


def _num(value: float | None, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)

"""The evaluation report stored in every bundle: metrics, plots and raw-column importance."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: Jobs and CI have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import root_mean_squared_error

from model.schema import CATEGORICAL, RAW_COLUMNS


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
    lim = [0, max(float(y.max()), float(pred.max())) * 1.02]
    ax.plot(lim, lim, color="black", linewidth=1, label="perfect")
    ax.set(
        xlim=lim,
        ylim=lim,
        xlabel="actual median_house_value (USD)",
        ylabel="predicted (USD)",
        title="Hold-out: predicted vs actual",
    )
    ax.legend(loc="upper left")
    return _png(fig)


def _residuals_by_segment(x: pd.DataFrame, residuals: np.ndarray) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = sorted(x[CATEGORICAL].unique())
    ax.boxplot([residuals[(x[CATEGORICAL] == g).to_numpy()] for g in groups], showfliers=False)
    ax.set_xticks(range(1, len(groups) + 1), groups)
    ax.axhline(0, color="black", linewidth=1)
    ax.set(ylabel="actual - predicted (USD)", title=f"Hold-out residuals by {CATEGORICAL}")
    return _png(fig)


def _importance(importance: dict[str, float]) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(importance)[::-1]
    ax.barh(names, [importance[n] for n in names])
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
    m, cv = view["metrics"]["holdout"], view["metrics"].get("cv")
    lines = [
        f"# Evaluation of model {view['model_version']} ({view['candidate']})",
        "",
        f"Data sha256 `{view['data']['sha256']}`, {view['data']['rows']} rows, "
        f"{view['data']['split']}; code `{view['code']['git_sha']}`.",
        "",
        "| metric | hold-out |",
        "|---|---|",
        f"| RMSE | {m['rmse']:,.0f} |",
        f"| MAE | {m['mae']:,.0f} |",
        f"| R² | {m['r2']:.4f} |",
    ]
    if cv:
        lines += [
            "",
            f"Cross-validation ({cv['scheme']}) RMSE {cv['rmse_mean']:,.0f} "
            f"± {cv['rmse_std']:,.0f}; folds: {', '.join(f'{f:,.0f}' for f in cv['folds'])}.",
        ]
    if view.get("interval"):
        iv = view["interval"]
        lines += [
            "",
            f"90 % prediction interval: hold-out coverage {iv['coverage']:.1%}, "
            f"mean width {iv['mean_width']:,.0f} USD.",
        ]
    lines += ["", "| ocean_proximity | rows | RMSE |", "|---|---|---|"]
    seg = segment_rmse(x, y, pred)
    counts = x[CATEGORICAL].value_counts()
    lines += [f"| {k} | {counts[k]} | {v:,.0f} |" for k, v in seg.items()]
    lines += ["", "| raw input | permutation importance (RMSE +USD) |", "|---|---|"]
    lines += [f"| {k} | {v:,.0f} |" for k, v in importance.items()]
    lines += [
        "",
        "![predicted vs actual](predicted_vs_actual.png)",
        "![residuals](residuals_by_ocean_proximity.png)",
        "![importance](feature_importance.png)",
        "",
    ]
    return "\n".join(lines)

"""``housing-train --compare``: the evidence ladder on one split, as a table.

Every candidate of ``training.candidates.ladder()`` is scored with and without the engineered
features: hold-out RMSE, shuffled K-fold and spatially blocked CV RMSE on the training part (the
latter: how the model does in regions it never saw, ``training.spatial``), and the fit time.
"""

from __future__ import annotations

from pathlib import Path

from sklearn.metrics import root_mean_squared_error

from model.bundle import PREDICTION
from model.predict import predict
from model.split import Split
from training import candidates
from training.pipeline import cross_validate, fit, xy
from training.spatial import describe as describe_spatial


def ladder_rows(parts: Split, folds: int, seed: int) -> list[dict[str, object]]:
    """One row per (candidate, feature set), best CV RMSE first."""
    x_test, y_test = xy(parts.test)
    rows = []
    for name, make in candidates.ladder().items():
        for engineered in (False, True):
            blend = candidates.evidence(name) if engineered else None
            kw = {"engineered": engineered, "evidence": blend}
            cv = cross_validate(make, parts.train, folds, seed, **kw)
            blocked = cross_validate(make, parts.train, folds, seed, spatial=True, **kw)
            fitted = fit(make, parts.train, intervals=False, seed=seed, **kw)
            test = root_mean_squared_error(y_test, predict(fitted, x_test)[PREDICTION])
            baseline = name == candidates.BASELINE and engineered == candidates.BASELINE_ENGINEERED
            rows.append(
                {
                    "candidate": name
                    + (" (seed baseline)" if baseline else "")
                    + (" + evidence blend" if blend else ""),
                    "features": "engineered" if engineered else "raw",
                    "test_rmse": round(float(test), 1),
                    "cv_rmse": cv["rmse_mean"],
                    "cv_std": cv["rmse_std"],
                    "spatial_rmse": blocked["rmse_mean"],
                    "spatial_folds": blocked["folds"],
                    "fit_s": fitted.fit_seconds,
                }
            )
    return sorted(rows, key=lambda r: float(r["cv_rmse"]))  # type: ignore[arg-type]


def table(rows: list[dict[str, object]]) -> str:
    """A markdown table of ``ladder_rows``."""
    out = [
        "| candidate | features | hold-out RMSE | CV RMSE | CV std | spatial CV RMSE "
        "| spatial folds | fit (s) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    out += [
        f"| {r['candidate']} | {r['features']} | {r['test_rmse']:,.0f} | {r['cv_rmse']:,.0f} | "
        f"{r['cv_std']:,.0f} | {r['spatial_rmse']:,.0f} | "
        f"{' / '.join(f'{f:,.0f}' for f in r['spatial_folds'])} | {r['fit_s']} |"  # type: ignore[attr-defined]
        for r in rows
    ]
    return "\n".join(out)


def run(parts: Split, folds: int, seed: int, report_dir: Path) -> Path:
    """Score the ladder, print the table and write it to ``report_dir/compare.md``."""
    text = (
        f"# Model comparison ({parts.description}; {folds}-fold CV seed {seed}; "
        f"{describe_spatial(folds=folds, seed=seed)})\n\n"
        f"{table(ladder_rows(parts, folds, seed))}\n"
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    out = report_dir / "compare.md"
    out.write_text(text)
    print(text)
    print(f"comparison table: {out}")
    return out

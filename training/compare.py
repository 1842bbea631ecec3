"""``housing-train --compare``: the evidence ladder on one split, as a table.

Every candidate of ``training.candidates.ladder()`` is scored with and without the engineered
features: cross-validated RMSE on the training part, hold-out RMSE, and the fit time.
"""

from __future__ import annotations

import time
from pathlib import Path

from sklearn.metrics import root_mean_squared_error

from model.features import build_pipeline
from model.split import Split
from training import candidates
from training.pipeline import cross_validate, xy


def ladder_rows(parts: Split, folds: int, seed: int) -> list[dict[str, object]]:
    """One row per (candidate, feature set), best CV RMSE first."""
    x_train, y_train = xy(parts.train)
    x_test, y_test = xy(parts.test)
    rows = []
    for name, make in candidates.ladder().items():
        for engineered in (False, True):
            cv = cross_validate(make, parts.train, folds, seed, engineered=engineered)
            start = time.perf_counter()
            pipe = build_pipeline(make(), engineered=engineered).fit(x_train, y_train)
            fit_s = time.perf_counter() - start
            test = float(root_mean_squared_error(y_test, pipe.predict(x_test)))
            rows.append(
                {
                    "candidate": name,
                    "features": "engineered" if engineered else "raw",
                    "cv_rmse": cv["rmse_mean"],
                    "cv_std": cv["rmse_std"],
                    "test_rmse": round(test, 1),
                    "fit_s": round(fit_s, 2),
                }
            )
    return sorted(rows, key=lambda r: float(r["cv_rmse"]))  # type: ignore[arg-type]


def table(rows: list[dict[str, object]]) -> str:
    """A markdown table of ``ladder_rows``."""
    out = [
        "| candidate | features | CV RMSE | CV std | hold-out RMSE | fit (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    out += [
        f"| {r['candidate']} | {r['features']} | {r['cv_rmse']:,.0f} | {r['cv_std']:,.0f} | "
        f"{r['test_rmse']:,.0f} | {r['fit_s']} |"
        for r in rows
    ]
    return "\n".join(out)


def run(parts: Split, folds: int, seed: int, report_dir: Path) -> Path:
    """Score the ladder, print the table and write it to ``report_dir/compare.md``."""
    text = (
        f"# Model comparison ({parts.description}, {folds}-fold CV seed {seed})\n\n"
        f"{table(ladder_rows(parts, folds, seed))}\n"
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    out = report_dir / "compare.md"
    out.write_text(text)
    print(text)
    print(f"comparison table: {out}")
    return out

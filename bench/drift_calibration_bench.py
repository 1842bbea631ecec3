"""False-alarm rate and power of the drift gate by window size, on the real hold-out rows.

    .venv/bin/python bench/drift_calibration_bench.py --bundle <bundles root or bundle dir> \\
        --data /work/shared/datasets/housing.csv [--windows 200] [--seed 0]

The bundle is one trained by ``housing-train --data ... --publish-uri <root>``. The windows are
drawn from the seed's hold-out split (20 % seed 42: rows the model never saw, so they follow the
reference's distribution) and served through the bundle (``model.predict``), as the predictor
would answer them. Per window size (100, 300, 1,000, 5,000 rows; the hold-out has 4,128 rows, so
5,000-row windows are drawn with replacement) and scenario:

- ``none``: unshifted rows: any gated column flagged is a false alarm;
- ``income x1.1`` / ``income x1.3``: ``median_income`` scaled, then predicted again;
- ``20 % INLAND``: a random 20 % of the rows get ``ocean_proximity = INLAND``, predicted again.

A window is "flagged" when the gate fires: any gated column's Evidently score reaches its
calibrated threshold (the same thresholds and scores as ``housing-drift``; ``--evidently N``
runs N windows per size and scenario through the real Evidently report and counts agreement).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model.bundle import PREDICTION, load_bundle  # noqa: E402
from model.predict import predict  # noqa: E402
from model.schema import CATEGORICAL, RAW_COLUMNS, validate_raw  # noqa: E402
from model.split import holdout  # noqa: E402
from monitoring.calibration import Calibration, calibrate, jensenshannon, wasserstein_norm  # noqa: E402
from monitoring.drift import COLUMNS, NUMERIC_SCORED, gated_columns, prepare  # noqa: E402
from monitoring.references import reference_frame  # noqa: E402
from monitoring.settings import DriftSettings  # noqa: E402

INCOME = "median_income"
SIZES = (100, 300, 1000, 5000)
TARGETS = {  # (scenario, size) -> (bound, "<=" false alarms or ">=" power), from issue 12
    ("none", 300): (0.05, "<="),
    ("none", 1000): (0.02, "<="),
    ("none", 5000): (0.02, "<="),
    ("income x1.1", 1000): (0.95, ">="),
    ("income x1.3", 300): (0.95, ">="),
    ("20 % INLAND", 1000): (0.95, ">="),
}


def _served(bundle, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(RAW_COLUMNS)].reset_index(drop=True)
    return frame.assign(prediction=predict(bundle, validate_raw(frame))[PREDICTION])


class _Scorer:
    """Evidently's scores of the gated columns, with the reference prepared once."""

    def __init__(self, ref: pd.DataFrame, gated: list[str]) -> None:
        self.gated = gated
        self.numeric = {c: ref[c].dropna().to_numpy() for c in gated if c in NUMERIC_SCORED}
        self.categorical = {c: ref[c].dropna() for c in gated if c not in NUMERIC_SCORED}

    def flagged(self, window: pd.DataFrame, cal: Calibration) -> list[str]:
        out = []
        for c in self.gated:
            cur = window[c].dropna()
            if c in self.numeric:
                score = wasserstein_norm(self.numeric[c], cur.to_numpy())
            else:
                score = jensenshannon(self.categorical[c], cur)
            if score >= cal.threshold(c, len(cur)):
                out.append(c)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--bundle", type=Path, required=True, help="bundle dir or bundles root (uses latest)"
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="the housing.csv the bundle was trained on"
    )
    parser.add_argument("--windows", type=int, default=200, help="windows per size and scenario")
    parser.add_argument("--seed", type=int, default=0, help="seed of the window draws")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="window sizes")
    parser.add_argument(
        "--evidently", type=int, default=0, help="windows per cell also run through Evidently"
    )
    args = parser.parse_args()

    path = args.bundle if (args.bundle / "manifest.json").is_file() else args.bundle / "latest"
    bundle = load_bundle(path)
    settings = DriftSettings()
    gated = gated_columns(settings)
    ref = prepare(reference_frame(bundle), bundle.version)
    t0 = time.perf_counter()
    cal = calibrate(
        ref,
        columns=COLUMNS,
        numeric=NUMERIC_SCORED,
        gated=gated,
        alpha=settings.drift_alpha,
        replicates=settings.calibration_replicates,
        seed=settings.calibration_seed,
    )
    calib_s = time.perf_counter() - t0
    test = holdout(pd.read_csv(args.data), test_size=0.2, seed=42).test
    base = _served(bundle, test)
    scenarios = {
        "none": base,
        "income x1.1": _served(bundle, base.assign(**{INCOME: base[INCOME] * 1.1})),
        "income x1.3": _served(bundle, base.assign(**{INCOME: base[INCOME] * 1.3})),
    }
    inland = _served(bundle, base.assign(**{CATEGORICAL: "INLAND"}))
    print(
        f"bundle {bundle.version}; reference {len(ref)} rows; hold-out {len(base)} rows; "
        f"gated {gated}; alpha {cal.alpha} family-wise, per-column level {cal.column_level:.4f}; "
        f"{cal.replicates} replicates calibrated in {calib_s:.1f} s"
    )
    rng = np.random.default_rng(args.seed)
    scorer = _Scorer(ref, gated)
    rows: list[tuple[str, int, float, str]] = []
    agree = total = 0
    for name in ("none", "income x1.1", "income x1.3", "20 % INLAND"):
        for n in args.sizes:
            hits: dict[str, int] = dict.fromkeys(gated, 0)
            flagged = 0
            for w in range(args.windows):
                idx = rng.choice(len(base), n, replace=n > len(base))
                if name == "20 % INLAND":
                    moved = rng.random(n) < 0.2
                    window = pd.concat(
                        [base.iloc[idx[~moved]], inland.iloc[idx[moved]]], ignore_index=True
                    )
                else:
                    window = scenarios[name].iloc[idx].reset_index(drop=True)
                cols = scorer.flagged(window, cal)
                flagged += bool(cols)
                for c in cols:
                    hits[c] += 1
                if w < args.evidently:
                    agree += _evidently_agrees(window, bundle.version, ref, cal, settings, cols)
                    total += 1
            rate = flagged / args.windows
            detail = ", ".join(f"{c} {k}" for c, k in hits.items() if k)
            rows.append((name, n, rate, detail))
            print(f"{name}, {n} rows: {rate:.1%} flagged ({detail or '-'})", flush=True)
    print()
    print("| scenario | window rows | windows | flagged | target | per gated column (windows) |")
    print("|---|---:|---:|---:|---|---|")
    for name, n, rate, detail in rows:
        target = TARGETS.get((name, n))
        mark = ""
        if target:
            bound, op = target
            ok = rate <= bound if op == "<=" else rate >= bound
            mark = f"{op} {bound:.0%} {'met' if ok else 'MISSED'}"
        print(f"| {name} | {n:,} | {args.windows} | {rate:.1%} | {mark} | {detail or '-'} |")
    if total:
        print(f"\nEvidently report agrees with the fast scoring on {agree} of {total} windows")


def _evidently_agrees(
    window: pd.DataFrame,
    version: str,
    ref: pd.DataFrame,
    cal: Calibration,
    settings: DriftSettings,
    flagged: list[str],
) -> bool:
    from datetime import datetime

    from monitoring.drift import run_report

    _, result = run_report(
        window,
        ref,
        version=version,
        events=len(window),
        window_rows=len(window),
        calibration=cal,
        settings=settings,
        timestamp=datetime(2026, 1, 1),
    )
    return result.drifted_gated == flagged


if __name__ == "__main__":
    main()

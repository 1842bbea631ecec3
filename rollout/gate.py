"""The promotion gate: documented rules over the evidence -> promote / keep canary / roll back.

Every rule yields a ``Check`` with its reason, pass or fail. A failed rule names the outcome it
forces: any failed "roll back" rule wins, then any failed "keep canary" rule; only when every rule
passes (or is skipped for want of the data it needs) is the challenger promoted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Literal

from rollout.evidence import Offline
from rollout.online import Online


class Outcome(StrEnum):
    """The gate's decision; the value is what is printed."""

    PROMOTE = "promote"
    KEEP = "keep canary"
    ROLLBACK = "roll back"

    @property
    def exit_code(self) -> int:
        """contracts.md: 0 promote, 10 keep canary, 11 roll back."""
        return {"promote": 0, "keep canary": 10, "roll back": 11}[self.value]


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the rules; each is a ``housing-rollout compare`` flag."""

    min_rows: int = 500
    """Fewer labelled rows than this: keep the canary running (too little evidence)."""
    min_improvement: float = 0.01
    """The challenger's RMSE must be lower by at least this share of the champion's RMSE."""
    max_segment_regression: float = 0.05
    """No segment's RMSE may be worse than the champion's by more than this share."""
    min_segment_rows: int = 100
    """Segments with fewer rows are reported but not gated (ISLAND has 5 rows in all)."""
    max_implausible_increase: float = 0.001
    """Share of implausible predictions may exceed the champion's by at most this (absolute)."""
    max_error_rate_increase: float = 0.005
    """Online: the challenger's error rate may exceed the champion's by at most this (absolute)."""
    min_requests: int = 200
    """Online: requests each version must have served before online rules are trusted."""
    max_latency_ratio: float = 1.5
    """Online: the challenger's p95 latency may be at most this multiple of the champion's."""
    max_prediction_psi: float | None = None
    """Online: keep the canary while the prediction PSI exceeds this (None: report only)."""
    require_online: bool = False
    """Keep the canary until online evidence (events of both versions) exists."""


@dataclass(frozen=True)
class Check:
    """One rule's verdict and the reason, always printed."""

    rule: str
    status: Literal["pass", "fail", "skip"]
    on_fail: Outcome
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "on_fail": self.on_fail.value}


@dataclass(frozen=True)
class Decision:
    """The outcome and every check that led to it."""

    outcome: Outcome
    checks: list[Check]


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _offline_checks(off: Offline, cfg: GateConfig) -> list[Check]:
    o, n = off.overall, off.overall.n
    if n < cfg.min_rows:
        return [
            Check(
                "min_rows",
                "fail",
                Outcome.KEEP,
                f"only {n} labelled rows, the gate needs at least {cfg.min_rows}: "
                "keep collecting before deciding on RMSE",
            )
        ]
    d, base = o.rmse_diff, o.champion["rmse"].value
    ci = f"{_money(d.value)} (95% CI {_money(d.low)} to {_money(d.high)})"
    checks = [Check("min_rows", "pass", Outcome.KEEP, f"{n} labelled rows ≥ {cfg.min_rows}")]
    if d.low > 0:
        checks.append(
            Check(
                "no_significant_loss",
                "fail",
                Outcome.ROLLBACK,
                f"challenger RMSE is worse by {ci}: the interval lies above zero",
            )
        )
    else:
        checks.append(
            Check(
                "no_significant_loss",
                "pass",
                Outcome.ROLLBACK,
                f"RMSE difference {ci} is not significantly worse",
            )
        )
    needed = cfg.min_improvement * base
    win = d.value <= -needed and d.high < 0
    checks.append(
        Check(
            "significant_win",
            "pass" if win else "fail",
            Outcome.KEEP,
            f"challenger RMSE {'better' if d.value < 0 else 'worse'} by {_money(abs(d.value))} "
            f"({abs(o.rmse_diff_relative):.1%}); needs ≥ {_money(needed)} "
            f"({cfg.min_improvement:.1%}) with the interval below zero: {ci}",
        )
    )
    return checks + _segment_checks(off, cfg)


def _segment_checks(off: Offline, cfg: GateConfig) -> list[Check]:
    gated = [s for s in off.segments if s.n >= cfg.min_segment_rows]
    small = [f"{s.name} ({s.n})" for s in off.segments if s.n < cfg.min_segment_rows]
    checks = []
    for s in gated:
        if s.relative <= cfg.max_segment_regression:
            continue
        significant = s.rmse_diff is not None and s.rmse_diff.low > 0
        checks.append(
            Check(
                f"segment:{s.name}",
                "fail",
                Outcome.ROLLBACK if significant else Outcome.KEEP,
                f"challenger RMSE {_money(s.challenger_rmse)} vs {_money(s.champion_rmse)} is "
                f"{s.relative:+.1%} (limit {cfg.max_segment_regression:.0%}) on {s.n} rows; "
                + (
                    "the paired interval lies above zero"
                    if significant
                    else "not significant yet, keep collecting"
                ),
            )
        )
    if not checks:
        note = f"; not gated (< {cfg.min_segment_rows} rows): {', '.join(small)}" if small else ""
        checks.append(
            Check(
                "segments",
                "pass",
                Outcome.ROLLBACK,
                f"no segment worse by more than {cfg.max_segment_regression:.0%} "
                f"({len(gated)} segments checked{note})",
            )
        )
    return checks


def _quality_check(off: Offline, cfg: GateConfig) -> Check:
    a, b, n = off.champion_quality, off.challenger_quality, max(len(off.y), 1)
    new = [
        f"{b.non_finite} non-finite predictions (champion {a.non_finite})"
        if b.non_finite > a.non_finite
        else "",
        f"{b.implausible} predictions outside the plausible range (champion {a.implausible}, "
        f"limit +{cfg.max_implausible_increase:.1%} of {n} rows)"
        if (b.implausible - a.implausible) / n > cfg.max_implausible_increase
        else "",
        *b.contract,
    ]
    new = [p for p in new if p]
    if new:
        return Check("data_quality", "fail", Outcome.ROLLBACK, "new failures: " + "; ".join(new))
    return Check(
        "data_quality",
        "pass",
        Outcome.ROLLBACK,
        f"no new failures (non-finite {b.non_finite}, implausible {b.implausible} vs "
        f"champion {a.implausible}, V2 contract kept)",
    )


def _online_checks(on: Online | None, cfg: GateConfig) -> list[Check]:
    if on is None:
        status: Literal["fail", "skip"] = "fail" if cfg.require_online else "skip"
        return [Check("online", status, Outcome.KEEP, "no prediction events given (--events)")]
    a, b = on.champion, on.challenger
    if min(a.requests, b.requests) < cfg.min_requests:
        return [
            Check(
                "online_min_requests",
                "fail",
                Outcome.KEEP,
                f"champion served {a.requests}, challenger {b.requests} requests; "
                f"online rules need ≥ {cfg.min_requests} each",
            )
        ]
    limit = a.error_rate + cfg.max_error_rate_increase
    checks = [
        Check(
            "error_rate",
            "pass" if b.error_rate <= limit else "fail",
            Outcome.ROLLBACK,
            f"challenger error rate {b.error_rate:.2%} ({b.errors}/{b.requests}) vs "
            f"champion {a.error_rate:.2%}; limit {limit:.2%}",
        )
    ]
    pa, pb = a.latency(0.95), b.latency(0.95)
    if pa is None or pb is None:
        checks.append(Check("latency", "skip", Outcome.ROLLBACK, "latency not recorded"))
    else:
        ok = pb <= cfg.max_latency_ratio * pa
        checks.append(
            Check(
                "latency",
                "pass" if ok else "fail",
                Outcome.ROLLBACK,
                f"p95 {pb:.1f} ms vs champion {pa:.1f} ms (limit {cfg.max_latency_ratio:g}x)",
            )
        )
    shift = (
        f"prediction shift KS {on.ks:.3f}, PSI {on.psi:.3f}"
        if on.psi is not None
        else "no predictions to compare"
    )
    if cfg.max_prediction_psi is None or on.psi is None:
        checks.append(Check("prediction_shift", "skip", Outcome.KEEP, f"{shift} (reported only)"))
    else:
        ok = on.psi <= cfg.max_prediction_psi
        checks.append(
            Check(
                "prediction_shift",
                "pass" if ok else "fail",
                Outcome.KEEP,
                f"{shift}; limit PSI {cfg.max_prediction_psi:g}",
            )
        )
    return checks


def decide(off: Offline, on: Online | None, cfg: GateConfig) -> Decision:
    """Apply every rule and combine them: roll back > keep canary > promote."""
    checks = [*_offline_checks(off, cfg), _quality_check(off, cfg), *_online_checks(on, cfg)]
    failed = {c.on_fail for c in checks if c.status == "fail"}
    outcome = (
        Outcome.ROLLBACK
        if Outcome.ROLLBACK in failed
        else Outcome.KEEP
        if Outcome.KEEP in failed
        else Outcome.PROMOTE
    )
    return Decision(outcome, checks)

"""The promotion gate on constructed evidence: each outcome, and every reason printed."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from model.schema import CATEGORICAL, CATEGORIES, INCOME
from rollout.evidence import measure
from rollout.gate import GateConfig, Outcome, decide
from rollout.online import Online, VersionStats

INLAND = "INLAND"


def evidence(
    n: int,
    champion_sd: float,
    challenger_sd: float,
    *,
    inland_sd: float | None = None,
    nan_rows: int = 0,
    seed: int = 0,
):
    """Rows with known error sizes: errors N(0, sd), correlated 0.9 between the models (as two
    models of the same data are); the challenger's INLAND error may differ."""
    rng = np.random.default_rng(seed)
    ocean = rng.choice(
        [c for c in CATEGORIES[CATEGORICAL] if c != "ISLAND"], size=n, p=[0.4, 0.3, 0.1, 0.2]
    )
    frame = pd.DataFrame({CATEGORICAL: ocean, INCOME: rng.uniform(0.5, 12, size=n)})
    y = rng.uniform(5e4, 5e5, size=n)
    shared, own = rng.normal(0, 1, size=n), rng.normal(0, 1, size=n)
    a = y + champion_sd * shared
    sd = np.where(ocean == INLAND, inland_sd, challenger_sd) if inland_sd else challenger_sd
    b = y + sd * (0.9 * shared + np.sqrt(1 - 0.81) * own)
    b[:nan_rows] = np.nan
    return measure(
        "constructed",
        frame,
        y,
        a,
        b,
        contract=[],
        n_boot=400,
        seed=42,
        confidence=0.95,
        min_segment_rows=100,
    )


def rules(decision, status="fail"):
    return {c.rule: c for c in decision.checks if c.status == status}


def test_gate_promotes_when_challenger_wins_clearly():
    d = decide(evidence(3000, 60_000, 45_000), None, GateConfig())
    assert d.outcome is Outcome.PROMOTE and d.outcome.exit_code == 0
    assert not rules(d)
    assert "significant_win" in rules(d, "pass")
    assert rules(d, "skip")["online"].reason.startswith("no prediction events")


def test_gate_rolls_back_when_challenger_loses_clearly():
    d = decide(evidence(3000, 45_000, 60_000), None, GateConfig())
    assert d.outcome is Outcome.ROLLBACK and d.outcome.exit_code == 11
    assert "interval lies above zero" in rules(d)["no_significant_loss"].reason


def test_gate_rolls_back_naming_segment_when_challenger_wins_on_average_but_loses_inland():
    off = evidence(3000, 60_000, 40_000, inland_sd=80_000)
    assert off.overall.rmse_diff.high < 0  # a real win on average
    d = decide(off, None, GateConfig())
    failed = rules(d)
    assert d.outcome is Outcome.ROLLBACK
    assert set(failed) == {f"segment:{CATEGORICAL}={INLAND}"}
    assert "paired interval lies above zero" in failed[f"segment:{CATEGORICAL}={INLAND}"].reason


def test_gate_keeps_canary_when_too_few_rows():
    d = decide(evidence(120, 60_000, 45_000), None, GateConfig())
    assert d.outcome is Outcome.KEEP and d.outcome.exit_code == 10
    assert "only 120 labelled rows" in rules(d)["min_rows"].reason


def test_gate_keeps_canary_when_difference_is_not_significant():
    d = decide(evidence(3000, 50_000, 50_000), None, GateConfig())
    assert d.outcome is Outcome.KEEP
    assert set(rules(d)) == {"significant_win"}


def test_gate_rolls_back_when_challenger_predicts_nan():
    d = decide(evidence(3000, 60_000, 45_000, nan_rows=3), None, GateConfig())
    assert d.outcome is Outcome.ROLLBACK
    assert "3 non-finite predictions" in rules(d)["data_quality"].reason


def test_gate_margin_is_configurable():
    off = evidence(3000, 50_000, 48_000)  # ~4 % better
    assert decide(off, None, GateConfig(min_improvement=0.01)).outcome is Outcome.PROMOTE
    assert decide(off, None, GateConfig(min_improvement=0.10)).outcome is Outcome.KEEP


def _online(champion: VersionStats, challenger: VersionStats) -> Online:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    return Online("events", now, now, champion, challenger, {}, 0, 0.05, 0.01)


def _served(version: str, requests: int, errors: int, latency: float) -> VersionStats:
    return VersionStats(
        version,
        requests=requests,
        rows=requests,
        errors=errors,
        predictions=[2e5] * requests,
        latencies_ms=[latency] * requests,
    )


@pytest.mark.parametrize(
    ("challenger", "outcome", "rule"),
    [
        (_served("b", 900, 40, 5.0), Outcome.ROLLBACK, "error_rate"),
        (_served("b", 900, 0, 50.0), Outcome.ROLLBACK, "latency"),
        (_served("b", 50, 0, 5.0), Outcome.KEEP, "online_min_requests"),
    ],
)
def test_gate_applies_online_rules_when_events_exist(challenger, outcome, rule):
    on = _online(_served("a", 9000, 9, 5.0), challenger)
    d = decide(evidence(3000, 60_000, 45_000), on, GateConfig())
    assert d.outcome is outcome
    assert rule in rules(d)


def test_gate_promotes_with_healthy_online_evidence():
    on = _online(_served("a", 9000, 9, 5.0), _served("b", 1000, 1, 5.5))
    d = decide(evidence(3000, 60_000, 45_000), on, GateConfig())
    assert d.outcome is Outcome.PROMOTE
    assert {"error_rate", "latency"} <= set(rules(d, "pass"))


def test_gate_keeps_canary_without_events_when_online_evidence_is_required():
    d = decide(evidence(3000, 60_000, 45_000), None, GateConfig(require_online=True))
    assert d.outcome is Outcome.KEEP


def test_gate_flags_set_to_zero_are_applied_not_dropped():
    from rollout.cli import gate_config, parser

    zeros = ["--min-improvement", "--max-segment-regression", "--min-rows", "--max-prediction-psi"]
    argv = ["compare", "--champion", "a", "--challenger", "b"]
    args = parser().parse_args([*argv, *(x for flag in zeros for x in (flag, "0"))])
    gate = gate_config(args)
    assert (gate.min_improvement, gate.max_segment_regression) == (0, 0)
    assert (gate.min_rows, gate.max_prediction_psi) == (0, 0)
    assert gate_config(parser().parse_args(argv)) == GateConfig()

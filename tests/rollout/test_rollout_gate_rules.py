"""Each gate rule at its limits, on hand-built evidence, with the exact reason a user reads.

The reasons are the product here: ``housing-rollout compare`` prints them as the justification of
a promotion or a rollback, so every number in them is computed by hand below from the inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from rollout.evidence import Offline, Quality, SegmentResult
from rollout.gate import Check, GateConfig, Outcome, decide
from rollout.online import Online, VersionStats
from rollout.stats import Interval, PairedResult

CHAMPION_RMSE = 50_000.0
CLEAR_WIN = Interval(-2_000, -3_000, -1_000)
CLEAN = Quality(0, 0)


def offline(
    n: int = 1000,
    diff: Interval = CLEAR_WIN,
    segments: list[SegmentResult] | None = None,
    champion_quality: Quality = CLEAN,
    challenger_quality: Quality = CLEAN,
    labelled: int | None = None,
) -> Offline:
    rmse = {"rmse": Interval(CHAMPION_RMSE, CHAMPION_RMSE - 1, CHAMPION_RMSE + 1)}
    challenger = {"rmse": Interval(CHAMPION_RMSE + diff.value, 0, 0)}
    y = np.zeros(n if labelled is None else labelled)
    return Offline(
        "hand-built",
        y,
        y,
        y,
        PairedResult(n, rmse, challenger, diff),
        segments or [],
        champion_quality,
        challenger_quality,
    )


def by_rule(checks: list[Check]) -> dict[str, Check]:
    return {c.rule: c for c in checks}


def served(version: str, requests: int, errors: int = 0, latency: float | None = 5.0):
    return VersionStats(
        version,
        requests=requests,
        rows=requests,
        errors=errors,
        latencies_ms=[] if latency is None else [latency] * requests,
    )


def online(a: VersionStats, b: VersionStats, psi: float | None = 0.02) -> Online:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    return Online("events", now, now, a, b, {}, 0, 0.05 if psi is not None else None, psi)


def test_min_rows_at_the_limit_passes_and_one_below_keeps_the_canary():
    at = by_rule(decide(offline(n=500), None, GateConfig(min_rows=500)).checks)
    assert at["min_rows"] == Check("min_rows", "pass", Outcome.KEEP, "500 labelled rows ≥ 500")
    below = decide(offline(n=499), None, GateConfig(min_rows=500))
    assert below.outcome is Outcome.KEEP
    assert by_rule(below.checks)["min_rows"] == Check(
        "min_rows",
        "fail",
        Outcome.KEEP,
        "only 499 labelled rows, the gate needs at least 500: "
        "keep collecting before deciding on RMSE",
    )
    # Too few rows: no RMSE rule is judged at all.
    assert "significant_win" not in by_rule(below.checks)


def test_significant_loss_reason_and_its_boundary_at_zero():
    lost = by_rule(decide(offline(diff=Interval(3_000, 1, 5_000)), None, GateConfig()).checks)
    assert lost["no_significant_loss"] == Check(
        "no_significant_loss",
        "fail",
        Outcome.ROLLBACK,
        "challenger RMSE is worse by 3,000 (95% CI 1 to 5,000): the interval lies above zero",
    )
    touching = decide(offline(diff=Interval(2_000, 0, 4_000)), None, GateConfig())
    assert by_rule(touching.checks)["no_significant_loss"] == Check(
        "no_significant_loss",
        "pass",
        Outcome.ROLLBACK,
        "RMSE difference 2,000 (95% CI 0 to 4,000) is not significantly worse",
    )
    assert touching.outcome is Outcome.KEEP  # not worse, but no win either


def test_significant_win_needs_the_margin_and_the_whole_interval_below_zero():
    cfg = GateConfig(min_improvement=0.02)  # 2 % of 50,000 = 1,000
    win = by_rule(decide(offline(diff=Interval(-1_000, -1_500, -1)), None, cfg).checks)
    assert win["significant_win"] == Check(
        "significant_win",
        "pass",
        Outcome.KEEP,
        "challenger RMSE better by 1,000 (2.0%); needs ≥ 1,000 (2.0%) with the interval below "
        "zero: -1,000 (95% CI -1,500 to -1)",
    )
    short = decide(offline(diff=Interval(-999, -1_500, -1)), None, cfg)
    assert by_rule(short.checks)["significant_win"].status == "fail"
    assert short.outcome is Outcome.KEEP
    touching = decide(offline(diff=Interval(-1_000, -1_500, 0)), None, cfg)
    assert by_rule(touching.checks)["significant_win"].status == "fail"
    worse = by_rule(decide(offline(diff=Interval(500, -100, 900)), None, cfg).checks)
    assert worse["significant_win"].reason.startswith("challenger RMSE worse by 500 (1.0%)")


def segment(name: str, n: int, champion: float, challenger: float, diff: Interval | None):
    return SegmentResult(name, n, champion, challenger, diff)


def test_segment_regression_at_the_limit_passes_and_small_segments_are_named_not_gated():
    cfg = GateConfig(max_segment_regression=0.05, min_segment_rows=100)
    segs = [
        segment("ocean_proximity=INLAND", 100, 40_000, 42_000, Interval(2_000, 1, 3_000)),
        segment("ocean_proximity=ISLAND", 99, 40_000, 90_000, Interval(50_000, 1, 9e4)),
        segment("income=top", 5, 40_000, 90_000, None),
    ]
    checks = by_rule(decide(offline(segments=segs), None, cfg).checks)
    assert checks["segments"] == Check(
        "segments",
        "pass",
        Outcome.ROLLBACK,
        "no segment worse by more than 5% (1 segments checked; not gated (< 100 rows): "
        "ocean_proximity=ISLAND (99), income=top (5))",
    )
    plain = by_rule(decide(offline(segments=segs[:1]), None, cfg).checks)
    assert plain["segments"].reason == "no segment worse by more than 5% (1 segments checked)"


@pytest.mark.parametrize(
    ("diff", "outcome", "tail"),
    [
        (Interval(2_001, 1, 3_000), Outcome.ROLLBACK, "the paired interval lies above zero"),
        (Interval(2_001, 0, 3_000), Outcome.KEEP, "not significant yet, keep collecting"),
        (None, Outcome.KEEP, "not significant yet, keep collecting"),
    ],
)
def test_segment_regression_past_the_limit_fails_by_significance(diff, outcome, tail):
    seg = segment("ocean_proximity=INLAND", 100, 40_000, 42_001, diff)
    d = decide(offline(segments=[seg]), None, GateConfig(max_segment_regression=0.05))
    assert d.outcome is outcome
    assert by_rule(d.checks)["segment:ocean_proximity=INLAND"] == Check(
        "segment:ocean_proximity=INLAND",
        "fail",
        outcome,
        f"challenger RMSE 42,001 vs 40,000 is +5.0% (limit 5%) on 100 rows; {tail}",
    )
    assert "segments" not in by_rule(d.checks)


def test_data_quality_names_each_new_failure_and_allows_the_configured_increase():
    cfg = GateConfig(max_implausible_increase=0.001)
    # 1 more implausible prediction in 1000 rows is exactly +0.1 %: allowed.
    ok = decide(
        offline(champion_quality=Quality(0, 2), challenger_quality=Quality(0, 3)), None, cfg
    )
    assert by_rule(ok.checks)["data_quality"] == Check(
        "data_quality",
        "pass",
        Outcome.ROLLBACK,
        "no new failures (non-finite 0, implausible 3 vs champion 2, V2 contract kept)",
    )
    bad = decide(
        offline(
            champion_quality=Quality(1, 2),
            challenger_quality=Quality(2, 4, ["outputs missing that the champion serves: ['x']"]),
        ),
        None,
        cfg,
    )
    assert bad.outcome is Outcome.ROLLBACK
    assert by_rule(bad.checks)["data_quality"].reason == (
        "new failures: 2 non-finite predictions (champion 1); 4 predictions outside the "
        "plausible range (champion 2, limit +0.1% of 1000 rows); "
        "outputs missing that the champion serves: ['x']"
    )
    same_nan = decide(
        offline(champion_quality=Quality(2, 0), challenger_quality=Quality(2, 0)), None, cfg
    )
    assert by_rule(same_nan.checks)["data_quality"].status == "pass"


def test_data_quality_with_no_labelled_rows_divides_by_one_row():
    off = offline(champion_quality=Quality(0, 0), challenger_quality=Quality(0, 1), labelled=0)
    assert (
        "limit +0.1% of 1 rows"
        in by_rule(decide(off, None, GateConfig()).checks)["data_quality"].reason
    )


def test_online_needs_the_minimum_requests_from_each_version():
    cfg = GateConfig(min_requests=200)
    at = by_rule(decide(offline(), online(served("a", 200), served("b", 200)), cfg).checks)
    assert "online_min_requests" not in at and at["error_rate"].status == "pass"
    below = decide(offline(), online(served("a", 5000), served("b", 199)), cfg)
    assert below.outcome is Outcome.KEEP
    assert by_rule(below.checks)["online_min_requests"] == Check(
        "online_min_requests",
        "fail",
        Outcome.KEEP,
        "champion served 5000, challenger 199 requests; online rules need ≥ 200 each",
    )
    other_side = decide(offline(), online(served("a", 199), served("b", 5000)), cfg)
    assert "online_min_requests" in by_rule(other_side.checks)


def test_error_rate_at_the_limit_passes_and_past_it_rolls_back():
    cfg = GateConfig(max_error_rate_increase=0.005)
    a = served("a", 1000, errors=10)  # 1 %: the limit is 1.5 %
    at = by_rule(decide(offline(), online(a, served("b", 1000, errors=15)), cfg).checks)
    assert at["error_rate"] == Check(
        "error_rate",
        "pass",
        Outcome.ROLLBACK,
        "challenger error rate 1.50% (15/1000) vs champion 1.00%; limit 1.50%",
    )
    past = decide(offline(), online(a, served("b", 1000, errors=16)), cfg)
    assert past.outcome is Outcome.ROLLBACK
    assert by_rule(past.checks)["error_rate"].status == "fail"


def test_latency_at_the_ratio_passes_past_it_rolls_back_and_missing_is_skipped():
    cfg = GateConfig(max_latency_ratio=1.5)
    a = served("a", 500, latency=10.0)
    at = by_rule(decide(offline(), online(a, served("b", 500, latency=15.0)), cfg).checks)
    assert at["latency"] == Check(
        "latency", "pass", Outcome.ROLLBACK, "p95 15.0 ms vs champion 10.0 ms (limit 1.5x)"
    )
    past = decide(offline(), online(a, served("b", 500, latency=15.1)), cfg)
    assert past.outcome is Outcome.ROLLBACK and by_rule(past.checks)["latency"].status == "fail"
    for b in (served("b", 500, latency=None),):
        for champion in (a, served("a", 500, latency=None)):
            checks = by_rule(decide(offline(), online(champion, b), cfg).checks)
            assert checks["latency"] == Check(
                "latency", "skip", Outcome.ROLLBACK, "latency not recorded"
            )
    no_champion_latency = online(served("a", 500, latency=None), served("b", 500, latency=9.0))
    assert by_rule(decide(offline(), no_champion_latency, cfg).checks)["latency"].status == "skip"


def test_prediction_shift_is_reported_only_until_a_limit_is_set():
    on = online(served("a", 500), served("b", 500), psi=0.2)
    reported = by_rule(decide(offline(), on, GateConfig()).checks)
    assert reported["prediction_shift"] == Check(
        "prediction_shift",
        "skip",
        Outcome.KEEP,
        "prediction shift KS 0.050, PSI 0.200 (reported only)",
    )
    at = by_rule(decide(offline(), on, GateConfig(max_prediction_psi=0.2)).checks)
    assert at["prediction_shift"] == Check(
        "prediction_shift",
        "pass",
        Outcome.KEEP,
        "prediction shift KS 0.050, PSI 0.200; limit PSI 0.2",
    )
    past = decide(offline(), on, GateConfig(max_prediction_psi=0.199))
    assert past.outcome is Outcome.KEEP
    assert by_rule(past.checks)["prediction_shift"].status == "fail"
    empty = online(served("a", 500), served("b", 500), psi=None)
    assert by_rule(decide(offline(), empty, GateConfig(max_prediction_psi=0.1)).checks)[
        "prediction_shift"
    ] == Check(
        "prediction_shift", "skip", Outcome.KEEP, "no predictions to compare (reported only)"
    )


def test_without_events_online_is_skipped_unless_required():
    skipped = by_rule(decide(offline(), None, GateConfig()).checks)["online"]
    assert skipped == Check("online", "skip", Outcome.KEEP, "no prediction events given (--events)")
    required = decide(offline(), None, GateConfig(require_online=True))
    assert required.outcome is Outcome.KEEP
    assert by_rule(required.checks)["online"].status == "fail"


def test_rollback_wins_over_keep_and_keep_over_promote():
    keep_and_rollback = decide(
        offline(n=100, challenger_quality=Quality(5, 0)), None, GateConfig(min_rows=500)
    )
    assert keep_and_rollback.outcome is Outcome.ROLLBACK
    assert {c.on_fail for c in keep_and_rollback.checks if c.status == "fail"} == {
        Outcome.KEEP,
        Outcome.ROLLBACK,
    }
    assert decide(offline(), None, GateConfig()).outcome is Outcome.PROMOTE
    assert [o.exit_code for o in Outcome] == [0, 10, 11]


def test_check_as_dict_prints_the_outcome_text():
    check = Check("min_rows", "fail", Outcome.KEEP, "why")
    assert check.as_dict() == {
        "rule": "min_rows",
        "status": "fail",
        "on_fail": "keep canary",
        "reason": "why",
    }

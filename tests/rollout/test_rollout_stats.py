"""Bootstrap intervals are seeded (reproducible) and paired; KS and PSI behave as documented."""

from __future__ import annotations

import numpy as np

from rollout.stats import ks_statistic, paired_bootstrap, psi


def _data(n=2000, seed=1):
    rng = np.random.default_rng(seed)
    y, shared = rng.uniform(5e4, 5e5, n), rng.normal(0, 1, n)
    # Two models of the same data make correlated errors; that is what pairing exploits.
    return y, y + 50_000 * shared, y + 40_000 * (0.9 * shared + 0.436 * rng.normal(0, 1, n))


def test_bootstrap_returns_identical_intervals_when_seed_is_the_same():
    y, a, b = _data()
    first = paired_bootstrap(y, a, b, n_boot=300, seed=42)
    again = paired_bootstrap(y, a, b, n_boot=300, seed=42)
    other = paired_bootstrap(y, a, b, n_boot=300, seed=43)
    assert first == again
    assert first.rmse_diff != other.rmse_diff


def test_bootstrap_interval_contains_point_estimate_and_difference_is_paired():
    y, a, b = _data()
    r = paired_bootstrap(y, a, b, n_boot=500, seed=0)
    for side in (r.champion, r.challenger):
        for metric in side.values():
            assert metric.low <= metric.value <= metric.high
    assert r.rmse_diff.value == r.challenger["rmse"].value - r.champion["rmse"].value
    # Pairing removes the row-sampling noise both models share: the difference's interval is
    # narrower than either model's own RMSE interval.
    width = r.rmse_diff.high - r.rmse_diff.low
    assert width < r.champion["rmse"].high - r.champion["rmse"].low
    assert r.rmse_diff.high < 0


def test_ks_and_psi_are_zero_for_identical_and_large_for_shifted_distributions():
    rng = np.random.default_rng(0)
    x = rng.normal(2e5, 5e4, 5000)
    assert ks_statistic(x, x) == 0.0
    assert psi(x, x) < 1e-9
    shifted = x + 5e4
    assert ks_statistic(x, shifted) > 0.3
    assert psi(x, shifted) > 0.2

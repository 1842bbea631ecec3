"""model.kernels: the compiled neighbour statistics equal the NumPy formulation bit for bit.

``reference_neighbour_stats`` is ``model.neighbours.neighbour_stats`` as it was written in NumPy
before the compiled kernel (commit f6577b9): bundles trained with it must see the same features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KDTree

from model import neighbours as nb
from model.geography import planar_km


def reference_neighbour_stats(
    tree: KDTree,
    table: np.ndarray,
    prior: np.ndarray,
    xy: np.ndarray,
    income: np.ndarray,
    rooms_per_household: np.ndarray,
    neighbourhoods: tuple[int, ...],
    *,
    leave_self_out: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy formulation, verbatim but for the module prefixes."""
    widest = max(neighbourhoods)
    # Every statistic is a sum over a row's neighbours, so their order matters only to take the
    # k nearest of a wider query or to drop the farthest; skipping the sort saves ~10 % of it.
    ordered = leave_self_out or len(neighbourhoods) > 1
    dist, idx = tree.query(xy, k=widest + 1 if leave_self_out else widest, sort_results=ordered)
    if leave_self_out:
        dist, idx = nb.drop_self(dist, idx)
    # One contiguous (rows, widest) gather per column of the table.
    log_value, per_income, nbr_income, nbr_log_income, log_value_sq, per_rooms = (
        table[:, j][idx] for j in range(table.shape[1])
    )
    income = nb.floored(income)
    log_income = np.log(income)
    stats = []
    for k in neighbourhoods:
        weight = _weights(dist[:, :k])
        income_mean = nbr_income[:, :k].mean(axis=1)
        stats += [
            (weight * log_value[:, :k]).sum(axis=1),
            log_value[:, :k].std(axis=1),
            (weight * per_income[:, :k]).sum(axis=1) * income,  # neighbours' price at this income
            income_mean,
            income / income_mean,
            dist[:, :k].mean(axis=1),
        ]
    if k != widest:
        weight = _weights(dist)
    stats += _local_fit(weight, log_value, nbr_log_income, log_income)
    kernel = np.exp(-0.5 * (dist / nb.KERNEL_KM) ** 2)
    gathered = (log_value, log_value_sq, per_income, nbr_log_income, per_rooms)
    if leave_self_out:  # a training row's prior must not contain its own target
        prior = nb._out_of_fold_prior(table)
    kernel_stats = _kernel(kernel, gathered, prior, income, log_income, rooms_per_household)
    kernel_stats.append(_evidence_km(np.asarray(tree.data), xy, dist, idx))
    return np.column_stack(stats), np.column_stack(kernel_stats)


def _evidence_km(
    train_xy: np.ndarray, xy: np.ndarray, dist: np.ndarray, idx: np.ndarray
) -> np.ndarray:
    """Nearest-neighbour distance x one-sidedness of the neighbours (``KERNEL_STATS``)."""
    # Co-located neighbours have no direction: they count as surrounding (a zero vector).
    inverse = 1.0 / np.maximum(dist, nb._SAME_PLACE_KM)
    # One (rows, k) gather per coordinate: a third of the time of a (rows, k, 2) one.
    east = ((train_xy[:, 0][idx] - xy[:, :1]) * inverse).mean(axis=1)
    north = ((train_xy[:, 1][idx] - xy[:, 1:]) * inverse).mean(axis=1)
    out: np.ndarray = dist.min(axis=1) * np.sqrt(east * east + north * north)
    return out


def _kernel(
    kernel: np.ndarray,
    gathered: tuple[np.ndarray, ...],
    prior: np.ndarray,
    income: np.ndarray,
    log_income: np.ndarray,
    rooms_per_household: np.ndarray,
) -> list[np.ndarray]:
    """Kernel-weighted means shrunk towards the prior, turned into ``KERNEL_STATS``."""
    total = kernel.sum(axis=1)
    denominator = total + nb._KERNEL_PRIOR
    log_value, log_value_sq, per_income, nbr_log_income, per_rooms = (
        ((kernel * values).sum(axis=1) + nb._KERNEL_PRIOR * p) / denominator
        for values, p in zip(gathered, prior.T, strict=True)  # prior: one row, or one per row
    )
    return [
        log_value,
        np.sqrt(np.maximum(log_value_sq - log_value * log_value, 0.0)),
        per_income * income,
        log_income - nbr_log_income,
        per_rooms * rooms_per_household,
        np.log1p(total),
    ]


def _weights(dist: np.ndarray) -> np.ndarray:
    """Inverse-distance weights summing to 1 over each row's neighbours."""
    weight: np.ndarray = 1.0 / (dist + nb._WEIGHT_OFFSET_KM)
    weight /= weight.sum(axis=1, keepdims=True)
    return weight


def _local_fit(
    weight: np.ndarray, log_value: np.ndarray, log_income: np.ndarray, own: np.ndarray
) -> list[np.ndarray]:
    """Weighted shrunk fit log value ~ log income: value at own income, slope, rmse."""
    value_mean = (weight * log_value).sum(axis=1)
    income_mean = (weight * log_income).sum(axis=1)
    dv, di = log_value - value_mean[:, None], log_income - income_mean[:, None]
    slope = ((weight * dv * di).sum(axis=1) + nb._ELASTICITY_SHRINK * nb._ELASTICITY_PRIOR) / (
        (weight * di * di).sum(axis=1) + nb._ELASTICITY_SHRINK
    )
    residual = dv - slope[:, None] * di
    rmse = np.sqrt((weight * residual * residual).sum(axis=1))
    return [value_mean + slope * (own - income_mean), slope, rmse]


@pytest.fixture(scope="module")
def districts(housing_csv):
    df = pd.read_csv(housing_csv)
    xy = planar_km(df["latitude"].to_numpy(), df["longitude"].to_numpy())
    rooms = df["total_rooms"].to_numpy() / df["households"].to_numpy()
    return df, xy, rooms


@pytest.mark.parametrize("neighbourhoods", [(16,), (5, 16), (16, 5), (8,)], ids=str)
@pytest.mark.parametrize("leave_self_out", [False, True], ids=["serving", "training"])
def test_neighbour_stats_bit_identical_to_the_numpy_formulation(
    districts, neighbourhoods, leave_self_out
):
    df, xy, rooms = districts
    train = np.arange(len(df)) % 5 != 0
    income = df["median_income"].to_numpy()
    table = nb.target_table(df["median_house_value"].to_numpy()[train], income[train], rooms[train])
    tree = nb.kd_tree(xy[train])
    prior = nb.kernel_prior(table)
    rows = train if leave_self_out else ~train
    args = (tree, table, prior, xy[rows], income[rows], rooms[rows], neighbourhoods)
    got = nb.neighbour_stats(*args, leave_self_out=leave_self_out)
    expected = reference_neighbour_stats(*args, leave_self_out=leave_self_out)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        assert np.array_equal(g, e), np.argwhere(g != e)[:5]


def test_neighbour_stats_of_one_row_equal_its_stats_in_a_batch(districts):
    df, xy, rooms = districts
    train = np.arange(len(df)) % 5 != 0
    income = df["median_income"].to_numpy()
    table = nb.target_table(df["median_house_value"].to_numpy()[train], income[train], rooms[train])
    tree, prior = nb.kd_tree(xy[train]), nb.kernel_prior(table)
    rows = np.flatnonzero(~train)[:50]
    batch = nb.neighbour_stats(
        tree, table, prior, xy[rows], income[rows], rooms[rows], (16,), leave_self_out=False
    )
    for n, r in enumerate(rows):
        one = nb.neighbour_stats(
            tree, table, prior, xy[[r]], income[[r]], rooms[[r]], (16,), leave_self_out=False
        )
        assert np.array_equal(one[0][0], batch[0][n]) and np.array_equal(one[1][0], batch[1][n])


def test_kernels_compile_without_a_writable_cache_directory(monkeypatch):
    import numba

    from model import kernels

    real = numba.njit

    def njit_without_cache_dir(*args, **kwargs):
        if kwargs.get("cache"):  # what numba raises when no cache locator is writable
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", njit_without_cache_dir)
    kernels._jit.cache_clear()
    kernels.compiled.cache_clear()
    try:
        out = np.empty(2)
        one_leaf = (np.zeros(1, np.intp), np.array([np.inf]), np.zeros((1, 2), np.intp))
        kernels.walk_trees(
            np.zeros((1, 2)),
            *one_leaf,
            np.ones(1, bool),
            np.array([5.0]),
            np.zeros(1, np.intp),
            0,
            1.0,
            out,
        )
        assert out.tolist() == [6.0, 6.0]
        assert kernels._pairwise_sum(np.arange(20.0), 20) == np.arange(20.0).sum()
    finally:
        kernels._jit.cache_clear()
        kernels.compiled.cache_clear()

"""Target statistics of a district's surroundings, for ``model.features.HousingFeatures``.

Two kinds, both free of a row's own target when computing training features:

* k nearest training districts (KD-tree in planar km): price level, spread, the neighbours' price
  at this district's income (ratio and a local log-log fit of value on income), distance;
  leave-self-out in ``fit_transform``. The same neighbours, weighted by a Gaussian kernel of
  their distance, give a sharper local picture (price level and spread, value at this district's
  income and rooms per household, how densely priced districts surround it).
* Grid cells at several sizes: smoothed mean log value and value per income unit of the training
  rows in the same cell; out-of-fold (as sklearn's ``TargetEncoder``) in ``fit_transform``.

Every statistic is computed per row (reductions along the row's own neighbours only), so a row's
features do not depend on the other rows of its batch: single-row and batch results are identical.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold
from sklearn.neighbors import KDTree

from model.kernels import neighbour_rows

# Leaves of 10 points: the fastest k=16 query for 1000-row batches of the sizes 5-40 measured.
LEAF_SIZE = 10

# Per neighbourhood size k; names get a "_k{k}" suffix. "value" is median_house_value.
NEIGHBOUR_STATS: tuple[str, ...] = (
    "nbr_log_value_mean",
    "nbr_log_value_std",
    "nbr_value_at_own_income",
    "nbr_income_mean",
    "income_vs_nbr",
    "nbr_distance_km",
)
# Local fit of log value on log income, for the widest neighbourhood only (8 rows are too few).
LOCAL_FIT_STATS: tuple[str, ...] = (
    "nbr_log_value_fit_at_own_income",
    "nbr_income_elasticity",
    "nbr_log_value_fit_residual",
)
# Gaussian-kernel statistics over the widest neighbourhood; names get a "_k{k}" suffix.
KERNEL_STATS: tuple[str, ...] = (
    "kernel_log_value",
    "kernel_log_value_std",
    "kernel_value_at_own_income",
    "kernel_log_income_vs_own",
    "kernel_value_at_own_rooms",
    "kernel_weight",
    # How far the evidence is: the distance (km) to the nearest training district times how
    # one-sided the widest neighbourhood lies (length of the mean unit vector towards the
    # neighbours: 0 when they surround the district, 1 when all lie in one direction). A district
    # at the edge of a region without training data has its neighbours far and on one side.
    "evidence_km",
)
# Bandwidth of the kernel: 1 km scored best of 0.5-3 km in CV (docs/model.md). A district's own
# block is what prices it; the kernel lets the nearest few dominate where the k-NN mean cannot.
KERNEL_KM = 1.0
# Prior weight (in kernel units) of the state-wide means: a district with no close neighbour falls
# back to them instead of to one far district's price.
_KERNEL_PRIOR = 0.5
# Per grid size; names get a "_{degrees}deg" suffix.
GRID_STATS: tuple[str, ...] = ("cell_log_value", "cell_value_at_own_income", "cell_rows")
# Neighbours closer than this (km) count as the same place in ``_evidence_km``.
_SAME_PLACE_KM = 1e-6
# Inverse-distance weights get this offset so co-located districts do not dominate.
_WEIGHT_OFFSET_KM = 0.5
# Incomes are floored: the value is capped, so tiny incomes would explode value per income.
_INCOME_FLOOR = 0.5
# Local fit of log value on log income: the slope is shrunk towards a typical state-wide
# elasticity, so a few neighbours with similar incomes do not give a wild slope.
_ELASTICITY_PRIOR = 0.8
_ELASTICITY_SHRINK = 0.1
# Grid cells: prior weight (in rows) of the global mean, and the folds of the out-of-fold fit.
_GRID_PRIOR_ROWS = 5.0
_GRID_FOLDS = 5
# The kernel prior of a training row comes from the other folds, split once with this seed.
_PRIOR_FOLDS, _PRIOR_SEED = 5, 0


def floored(income: np.ndarray) -> np.ndarray:
    """Income floored for ratios and logs."""
    out: np.ndarray = np.maximum(income, _INCOME_FLOOR)
    return out


# What ``model.kernels.neighbour_rows`` needs of the constants above, in its order.
_KERNEL_CONSTANTS = np.array(
    [_WEIGHT_OFFSET_KM, _ELASTICITY_PRIOR, _ELASTICITY_SHRINK, _KERNEL_PRIOR, _SAME_PLACE_KM]
)

# Columns of ``target_table``.
_LOG_VALUE, _PER_INCOME, _INCOME, _LOG_INCOME, _LOG_VALUE_SQ, _PER_ROOMS = range(6)
# The columns the kernel averages (``kernel_prior``), in ``model.kernels.neighbour_rows``' order.
_KERNEL_COLUMNS = [_LOG_VALUE, _LOG_VALUE_SQ, _PER_INCOME, _LOG_INCOME, _PER_ROOMS]


def target_table(
    value: np.ndarray, income: np.ndarray, rooms_per_household: np.ndarray
) -> np.ndarray:
    """Per training row: log value, value per income unit, income, log income, squared log value
    and value per room-per-household (by column)."""
    income = floored(income)
    log_value = np.log(value)
    # Fortran order: ``neighbour_stats`` gathers one column at a time.
    return np.asfortranarray(
        np.column_stack(
            [
                log_value,
                value / income,
                income,
                np.log(income),
                log_value * log_value,
                value / rooms_per_household,
            ]
        )
    )


def kernel_prior(table: np.ndarray) -> np.ndarray:
    """The state-wide means the kernel statistics shrink towards (``_KERNEL_COLUMNS`` order)."""
    prior: np.ndarray = table[:, _KERNEL_COLUMNS].mean(axis=0)
    return prior


def kd_tree(xy: np.ndarray) -> KDTree:
    """The KD-tree every neighbour query uses."""
    return KDTree(xy, leaf_size=LEAF_SIZE)


def drop_self(dist: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from its k+1 neighbours (the last one if ties hid it)."""
    n, k1 = idx.shape
    drop = idx == np.arange(n)[:, None]
    drop[~drop.any(axis=1), k1 - 1] = True  # self not returned: >k+1 rows share its location
    keep = ~drop
    return dist[keep].reshape(n, k1 - 1), idx[keep].reshape(n, k1 - 1)


def neighbour_stats(
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
    """``NEIGHBOUR_STATS`` per k in ``neighbourhoods`` and ``LOCAL_FIT_STATS`` of the widest;
    ``KERNEL_STATS`` of the widest, from the same query.

    Args:
        tree: KD-tree of the training rows' planar coordinates.
        table: ``target_table`` of the training rows.
        prior: ``kernel_prior`` of the training rows.
        xy: planar coordinates of the rows to describe.
        income: their median income.
        rooms_per_household: their rooms per household.
        neighbourhoods: the sizes k, each giving one block of columns.
        leave_self_out: the rows are the training rows; skip each one's own entry.

    Returns:
        A ``(len(xy), len(NEIGHBOUR_STATS) * len(neighbourhoods) + len(LOCAL_FIT_STATS))``
        array and a ``(len(xy), len(KERNEL_STATS))`` array.
    """
    widest = max(neighbourhoods)
    # Every statistic is a sum over a row's neighbours, so their order matters only to take the
    # k nearest of a wider query or to drop the farthest; skipping the sort saves ~10 % of it.
    ordered = leave_self_out or len(neighbourhoods) > 1
    dist, idx = tree.query(xy, k=widest + 1 if leave_self_out else widest, sort_results=ordered)
    if leave_self_out:
        dist, idx = drop_self(dist, idx)
    income = floored(income)
    kernel = np.exp(-0.5 * (dist / KERNEL_KM) ** 2)
    if leave_self_out:  # a training row's prior must not contain its own target
        prior = _out_of_fold_prior(table)
    stats = np.empty((len(xy), len(NEIGHBOUR_STATS) * len(neighbourhoods) + len(LOCAL_FIT_STATS)))
    kernel_stats = np.empty((len(xy), len(KERNEL_STATS)))
    neighbour_rows(
        dist,
        idx,
        kernel,
        table,
        np.atleast_2d(prior),
        np.asarray(tree.data),
        np.ascontiguousarray(xy, dtype=np.float64),
        income,
        np.log(income),
        np.asarray(rooms_per_household, dtype=np.float64),
        np.asarray(neighbourhoods, dtype=np.intp),
        _KERNEL_CONSTANTS,
        stats,
        kernel_stats,
    )
    kernel_stats[:, 5] = np.log1p(kernel_stats[:, 5])  # NumPy's log1p, as before the kernel
    return stats, kernel_stats


def grid_cells(lat: np.ndarray, lon: np.ndarray, degrees: float) -> np.ndarray:
    """Integer id of the square cell of side ``degrees`` holding each point."""
    row = np.floor(lat / degrees).astype(np.int64)
    col = np.floor(lon / degrees).astype(np.int64)
    return row * 100_000 + col  # |col| < 100_000 for any degrees >= 0.005


def fit_cells(cells: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed per-cell means of log value and value per income, and row counts.

    Returns:
        ``(ids, encoding)``: sorted cell ids and a ``(len(ids) + 1, 3)`` array whose last row
        (the global means, count 0) serves cells never seen in training.
    """
    ids, inverse = np.unique(cells, return_inverse=True)
    targets = table[:, :2]
    prior = targets.mean(axis=0)
    sums = np.zeros((len(ids), 2))
    np.add.at(sums, inverse, targets)
    counts = np.bincount(inverse, minlength=len(ids)).astype(np.float64)[:, None]
    means = (sums + _GRID_PRIOR_ROWS * prior) / (counts + _GRID_PRIOR_ROWS)
    encoding = np.vstack([np.hstack([means, counts]), [*prior, 0.0]])
    return ids, encoding


def encode_cells(ids: np.ndarray, encoding: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``GRID_STATS`` of each cell (value not yet scaled by income); unseen cells get the prior."""
    pos = np.minimum(np.searchsorted(ids, cells), len(ids) - 1)
    pos[ids[pos] != cells] = len(ids)
    return encoding[pos]


def _out_of_fold_prior(table: np.ndarray) -> np.ndarray:
    """``kernel_prior`` per training row, from the folds that exclude it (exactly free of it)."""
    out = np.empty((len(table), len(_KERNEL_COLUMNS)))
    folds = KFold(_PRIOR_FOLDS, shuffle=True, random_state=_PRIOR_SEED)
    for fit_idx, own_idx in folds.split(table):
        out[own_idx] = kernel_prior(table[fit_idx])
    return out


def out_of_fold_cells(cells: np.ndarray, table: np.ndarray, seed: int) -> np.ndarray:
    """``encode_cells`` for training rows, each from the folds that exclude it."""
    out = np.empty((len(cells), 3))
    for fit_idx, own_idx in KFold(_GRID_FOLDS, shuffle=True, random_state=seed).split(cells):
        out[own_idx] = encode_cells(*fit_cells(cells[fit_idx], table[fit_idx]), cells[own_idx])
    return out

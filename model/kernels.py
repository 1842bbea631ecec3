"""Compiled loops (numba) for the parts of a prediction that NumPy cannot vectorise cheaply.

A request's cost is dominated by walking the gradient-boosted trees (every row through every
tree, one data-dependent step per level). scikit-learn does it in Cython one row at a time, and
each step waits for the previous one's memory load: ~55 ns per (row, tree) pair. The walk here
keeps one tree's nodes hot and advances every row of the batch by one level per pass, so the
steps of different rows overlap in the CPU instead of waiting on each other (docs/model.md,
"Serving cost").

Kernels are compiled on first use, not at import (importing numba alone takes ~0.5-0.8 s; the
compilation ~2 s), and cached on disk by numba (``cache=True``: beside this file, or under
``NUMBA_CACHE_DIR`` / ``$XDG_CACHE_HOME/numba`` when that directory is read-only, as in the
images, where ``/tmp`` is the pod's emptyDir). ``model.bundle.load_bundle`` predicts one row
before it returns, so a server compiles them before it reports ready, never on a request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np


def _walk_trees(
    features_by_column: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    children: np.ndarray,
    missing_left: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
    depth: int,
    baseline: float,
    out: np.ndarray,
) -> None:
    """Sum of the leaf values reached by each row (column of ``features_by_column``) in every
    tree, added to ``baseline`` tree by tree (scikit-learn's order: bit-identical sums).

    The node arrays are ``model.forest.CompiledTrees``'s (``children``: left and right child per
    node): a leaf points at itself and compares feature 0 with +inf, so ``depth`` steps from the
    root end at each row's leaf.
    """
    rows = features_by_column.shape[1]
    node = np.empty(rows, dtype=np.intp)
    for i in range(rows):
        out[i] = baseline
    for root in roots:
        for i in range(rows):
            node[i] = root
        for _ in range(depth):
            for i in range(rows):
                at = node[i]
                x = features_by_column[feature[at], i]
                # scikit-learn: a missing value follows missing_go_to_left, else x <= threshold.
                # An index, not a branch: which way a row goes is unpredictable, and a
                # mispredicted branch costs more than the whole step.
                left = (x <= threshold[at]) | ((x != x) & missing_left[at])
                node[i] = children[at, 1 - np.intp(left)]
        for i in range(rows):
            out[i] += value[node[i]]


def _pairwise_sum(values: np.ndarray, n: int) -> float:
    """The sum of ``values[:n]`` in NumPy's order (``pairwise_sum`` in its ``loops_utils.h``, for
    n <= 128): eight running partial sums, combined as a tree; below 8 values, left to right."""
    if n < 8:
        total = 0.0
        for j in range(n):
            total += values[j]
        return total
    r0, r1, r2, r3 = values[0], values[1], values[2], values[3]
    r4, r5, r6, r7 = values[4], values[5], values[6], values[7]
    j = 8
    while j < n - n % 8:
        r0 += values[j]
        r1 += values[j + 1]
        r2 += values[j + 2]
        r3 += values[j + 3]
        r4 += values[j + 4]
        r5 += values[j + 5]
        r6 += values[j + 6]
        r7 += values[j + 7]
        j += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while j < n:
        total += values[j]
        j += 1
    return float(total)


def _neighbour_rows(
    dist: np.ndarray,
    idx: np.ndarray,
    kernel: np.ndarray,
    table: np.ndarray,
    prior: np.ndarray,
    train_xy: np.ndarray,
    xy: np.ndarray,
    income: np.ndarray,
    log_income: np.ndarray,
    rooms_per_household: np.ndarray,
    neighbourhoods: np.ndarray,
    constants: np.ndarray,
    stats: np.ndarray,
    kernel_stats: np.ndarray,
) -> None:
    """``model.neighbours.neighbour_stats`` after the query, one row at a time, in one pass.

    Bit-identical to the NumPy formulation it replaced (``tests/model/test_kernels.py`` keeps it
    as the reference): every sum over a row's neighbours is NumPy's pairwise sum (eight running
    partial sums, combined as a tree), elementwise products keep NumPy's operand order, and the
    transcendental functions (``kernel`` = exp of the distances, log income) come from NumPy.
    Columns of ``table``: log value, value per income, income, log income, squared log value,
    value per room-per-household. ``constants``: weight offset (km), elasticity prior and
    shrinkage, kernel prior weight, same-place distance (km). ``prior`` has one row, or one per
    row (training rows: each without its own fold).
    """

    offset, elasticity_prior, elasticity_shrink, kernel_prior, same_place = (
        constants[0],
        constants[1],
        constants[2],
        constants[3],
        constants[4],
    )
    rows, widest = dist.shape
    one_prior = prior.shape[0] == 1
    a = np.empty(widest)
    b = np.empty(widest)
    w = np.empty(widest)
    w_widest = np.empty(widest)
    means = np.empty(5)
    for i in range(rows):
        column = 0
        for k in neighbourhoods:
            for j in range(k):
                a[j] = 1.0 / (dist[i, j] + offset)
            norm = _pairwise_sum(a, k)
            for j in range(k):
                w[j] = a[j] / norm
            if k == widest:  # the local fit below weighs the widest neighbourhood the same way
                w_widest[:] = w
            for j in range(k):
                a[j] = w[j] * table[idx[i, j], 0]
            stats[i, column] = _pairwise_sum(a, k)
            for j in range(k):
                a[j] = table[idx[i, j], 0]
            mean = _pairwise_sum(a, k) / k
            for j in range(k):
                b[j] = (a[j] - mean) * (a[j] - mean)
            stats[i, column + 1] = np.sqrt(_pairwise_sum(b, k) / k)
            for j in range(k):
                a[j] = w[j] * table[idx[i, j], 1]
            stats[i, column + 2] = _pairwise_sum(a, k) * income[i]
            for j in range(k):
                a[j] = table[idx[i, j], 2]
            income_mean = _pairwise_sum(a, k) / k
            stats[i, column + 3] = income_mean
            stats[i, column + 4] = income[i] / income_mean
            for j in range(k):
                a[j] = dist[i, j]
            stats[i, column + 5] = _pairwise_sum(a, k) / k
            column += 6
        # The local fit and the kernel use the widest neighbourhood.
        for j in range(widest):
            a[j] = w_widest[j] * table[idx[i, j], 0]
        value_mean = _pairwise_sum(a, widest)
        for j in range(widest):
            a[j] = w_widest[j] * table[idx[i, j], 3]
        income_fit_mean = _pairwise_sum(a, widest)
        for j in range(widest):
            dv = table[idx[i, j], 0] - value_mean
            di = table[idx[i, j], 3] - income_fit_mean
            a[j] = w_widest[j] * dv * di
            b[j] = w_widest[j] * di * di
        slope = (_pairwise_sum(a, widest) + elasticity_shrink * elasticity_prior) / (
            _pairwise_sum(b, widest) + elasticity_shrink
        )
        for j in range(widest):
            dv = table[idx[i, j], 0] - value_mean
            residual = dv - slope * (table[idx[i, j], 3] - income_fit_mean)
            a[j] = w_widest[j] * residual * residual
        stats[i, column] = value_mean + slope * (log_income[i] - income_fit_mean)
        stats[i, column + 1] = slope
        stats[i, column + 2] = np.sqrt(_pairwise_sum(a, widest))
        # Kernel-weighted means shrunk towards the prior.
        for j in range(widest):
            a[j] = kernel[i, j]
        total = _pairwise_sum(a, widest)
        denominator = total + kernel_prior
        at = 0 if one_prior else i
        for c, source in enumerate((0, 4, 1, 3, 5)):
            for j in range(widest):
                a[j] = kernel[i, j] * table[idx[i, j], source]
            means[c] = (_pairwise_sum(a, widest) + kernel_prior * prior[at, c]) / denominator
        kernel_stats[i, 0] = means[0]
        kernel_stats[i, 1] = np.sqrt(max(means[1] - means[0] * means[0], 0.0))
        kernel_stats[i, 2] = means[2] * income[i]
        kernel_stats[i, 3] = log_income[i] - means[3]
        kernel_stats[i, 4] = means[4] * rooms_per_household[i]
        kernel_stats[i, 5] = total  # log1p is taken by the caller (NumPy's)
        # How far the evidence is: nearest distance x one-sidedness of the neighbours.
        nearest = dist[i, 0]
        for j in range(widest):
            inverse = 1.0 / max(dist[i, j], same_place)
            a[j] = (train_xy[idx[i, j], 0] - xy[i, 0]) * inverse
            b[j] = (train_xy[idx[i, j], 1] - xy[i, 1]) * inverse
            nearest = min(nearest, dist[i, j])
        east = _pairwise_sum(a, widest) / widest
        north = _pairwise_sum(b, widest) / widest
        kernel_stats[i, 6] = nearest * np.sqrt(east * east + north * north)


# Helpers the kernels call. numba reads a kernel's callees from this module's globals when it
# compiles the kernel, so ``_jit`` replaces each with its compiled version first (still callable
# from Python, with the same results). Compiled apart, not inlined: inlining the pairwise sum at
# its ~20 call sites made the neighbour kernel take ~16 s to compile instead of ~2.
_HELPERS = ("_pairwise_sum",)


@cache
def _jit() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    import numba  # ~0.5-0.8 s: only when a kernel is first needed

    def jit(function: Callable[..., Any]) -> Callable[..., Any]:
        try:
            compiled: Callable[..., Any] = numba.njit(cache=True, nogil=True)(function)
        except RuntimeError:  # numba found no writable cache directory: compile per process
            compiled = numba.njit(nogil=True)(function)
        return compiled

    for name in _HELPERS:
        function = globals()[name]
        globals()[name] = jit(getattr(function, "py_func", function))  # idempotent
    return jit


@cache
def compiled(name: str) -> Callable[..., Any]:
    """The numba-compiled version of this module's function ``name`` (compiled once)."""
    function = globals()[name]
    kernel: Callable[..., Any] = _jit()(getattr(function, "py_func", function))
    return kernel


def walk_trees(*args: Any) -> None:
    """``_walk_trees``, compiled."""
    compiled("_walk_trees")(*args)


def neighbour_rows(*args: Any) -> None:
    """``_neighbour_rows``, compiled."""
    compiled("_neighbour_rows")(*args)

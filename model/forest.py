"""Small batches through a fitted HistGradientBoostingRegressor without its per-tree overhead.

scikit-learn's ``HistGradientBoostingRegressor.predict`` validates the input, then calls one
Cython function per tree, each opening an OpenMP region: ~6 µs per tree whatever the batch size,
so a 1-row request through the 75-tree champion costs ~0.5 ms in that loop alone (docs/model.md).
``CompiledTrees`` stores the same trees as flat NumPy arrays and walks every (row, tree) pair at
once, one tree level per step: ~0.05 ms for one row. Per row and tree it costs more than the
Cython walk, so batches above ``SMALL_BATCH`` rows still go through scikit-learn.

Both paths give bit-identical predictions (``tests/model/test_forest.py``): the same comparisons
(``x <= threshold`` goes left, a missing value follows ``missing_go_to_left``) and the same
summation order (baseline, then each tree in turn), so a row's prediction does not depend on the
size of the batch it came in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Rows up to which the NumPy walk is cheaper than scikit-learn's (measured with the 75-tree
# champion: equal at ~250 rows; below that the per-tree overhead dominates).
SMALL_BATCH = 128


class CompiledTrees:
    """A fitted single-output ``HistGradientBoostingRegressor`` with a fast small-batch path.

    Args:
        estimator: the fitted regressor (numeric features only: no categorical splits). Kept for
            large batches and for anything that inspects the model.
    """

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        if getattr(estimator, "n_trees_per_iteration_", 1) != 1:
            raise ValueError("CompiledTrees handles single-output regressors only")
        trees = [iteration[0].nodes for iteration in estimator._predictors]
        if any(t["is_categorical"].any() for t in trees):
            raise ValueError("CompiledTrees does not handle categorical splits")
        sizes = [len(t) for t in trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        nodes = np.concatenate(trees)
        own = np.arange(len(nodes), dtype=np.intp)
        shift = np.repeat(offsets, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        # A leaf points at itself and compares feature 0 against +inf, so rows that reach a leaf
        # before the deepest level stay there (NaN at a leaf goes "left": itself too).
        self.feature_ = np.where(leaf, 0, nodes["feature_idx"]).astype(np.intp)
        self.threshold_ = np.where(leaf, np.inf, nodes["num_threshold"]).astype(np.float64)
        self.left_ = np.where(leaf, own, nodes["left"].astype(np.intp) + shift)
        self.right_ = np.where(leaf, own, nodes["right"].astype(np.intp) + shift)
        self.missing_left_ = leaf | nodes["missing_go_to_left"].astype(bool)
        self.value_ = nodes["value"].astype(np.float64)
        self.roots_ = offsets
        self.depth_ = int(nodes["depth"].max())
        self.baseline_ = float(np.ravel(estimator._baseline_prediction)[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for the rows of ``X``, identical to ``estimator.predict(X)``.

        Args:
            X: float feature matrix with the columns the estimator was fitted on.

        Returns:
            A float64 array of len(X).
        """
        if len(X) > SMALL_BATCH:
            return np.asarray(self.estimator.predict(X), dtype=np.float64)
        return np.asarray(self.estimator._loss.link.inverse(self.raw(X)), dtype=np.float64)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The summed raw scores (before the loss's inverse link) of the rows of ``X``."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        rows, columns = X.shape
        flat = X.ravel()
        start = (np.arange(rows, dtype=np.intp) * columns)[:, None]
        node = np.broadcast_to(self.roots_, (rows, len(self.roots_)))
        for _ in range(self.depth_):
            x = flat[start + self.feature_[node]]
            left = (x <= self.threshold_[node]) | (np.isnan(x) & self.missing_left_[node])
            node = np.where(left, self.left_[node], self.right_[node])
        # scikit-learn adds the trees one by one to the baseline: a running sum in that order
        # gives the same float64 result.
        scores = np.concatenate([np.full((rows, 1), self.baseline_), self.value_[node]], axis=1)
        out: np.ndarray = np.add.accumulate(scores, axis=1)[:, -1]
        return out

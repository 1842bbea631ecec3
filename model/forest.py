"""A fitted HistGradientBoostingRegressor's trees as flat arrays, walked by a compiled loop.

scikit-learn's ``HistGradientBoostingRegressor.predict`` validates the input, then calls one
Cython function per tree, each opening an OpenMP region (~6 µs per tree whatever the batch size),
and walks one row at a time (~55 ns per row and tree at 1,000 rows). ``CompiledTrees`` stores the
same trees as flat NumPy arrays and walks them with ``model.kernels.walk_trees``: one row through
the 75-tree champion ~0.01 ms instead of ~0.5 ms, 1,000 rows ~1.7 ms instead of ~4 ms
(docs/model.md, "Serving cost").

Predictions are bit-identical to scikit-learn's (``tests/model/test_forest.py``): the same
comparisons (``x <= threshold`` goes left, a missing value follows ``missing_go_to_left``) and the
same summation order (baseline, then each tree in turn), at every batch size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.kernels import walk_trees


class CompiledTrees:
    """A fitted single-output ``HistGradientBoostingRegressor``, predicting through compiled code.

    Args:
        estimator: the fitted regressor (numeric features only: no categorical splits). Kept for
            its loss's link function and for anything that inspects the model.
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
        self.children_ = np.column_stack([self.left_, self.right_])
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
        return np.asarray(self.estimator._loss.link.inverse(self.raw(X)), dtype=np.float64)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The summed raw scores (before the loss's inverse link) of the rows of ``X``."""
        # One column per row: the rows at one tree level read the same few features, adjacently.
        by_column = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
        out = np.empty(by_column.shape[1])
        walk_trees(
            by_column,
            self.feature_,
            self.threshold_,
            self._children(),
            self.missing_left_,
            self.value_,
            self.roots_,
            self.depth_,
            self.baseline_,
            out,
        )
        return out

    def _children(self) -> np.ndarray:
        # Built on first use: bundles pickled before the compiled walk have left_/right_ only.
        children: np.ndarray | None = getattr(self, "children_", None)
        if children is None:
            children = self.children_ = np.column_stack([self.left_, self.right_])
        return children

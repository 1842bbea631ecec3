"""Prediction from a loaded bundle: the one code path the predictor, batch, rollout and training's
scoring share.

Sharing it is what makes an HTTP prediction bit-identical to a batch prediction for the same row.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from model.bundle import LOWER, PREDICTION, UPPER
from model.errors import SchemaError
from model.evidence import EvidenceBlend
from model.features import HousingFeatures
from model.intervals import ConformalInterval
from model.schema import Rows

# The census top-codes median_house_value at this value (docs/model.md): no target exceeds it, so a
# prediction or bound above it is always further from the truth than the cap itself.
PRICE_CAP = 500_001.0


class Predictable(Protocol):
    """What prediction needs of a bundle (``model.bundle.Bundle`` is one)."""

    @property
    def pipeline(self) -> Any: ...
    @property
    def interval(self) -> ConformalInterval | None: ...
    @property
    def version(self) -> str: ...


def predict(
    bundle: Predictable, frame: pd.DataFrame | Rows, *, interval: bool = False
) -> dict[str, np.ndarray]:
    """Predict validated rows, optionally with the bundle's calibrated prediction interval.

    The features are computed once and shared by the point model and the interval models.

    Args:
        bundle: a loaded bundle.
        frame: rows returned by ``model.schema.validate_raw`` (or ``validate_columns``).
        interval: also return the lower and upper bounds.

    Returns:
        Output name -> float64 array of len(frame).

    Raises:
        SchemaError: an interval was asked of a bundle trained without quantile models.
    """
    if interval and bundle.interval is None:
        raise SchemaError(
            [
                f"outputs: {LOWER}/{UPPER} are not available: model version "
                f"{bundle.version} was trained without interval models"
            ]
        )
    features = _features(bundle.pipeline, frame)
    final = bundle.pipeline.steps[-1][1]
    if isinstance(final, EvidenceBlend):  # the plain model's share is computed once, reused
        plain = final.plain(features)
        point = plain.mix(final.predict_near(features))
    else:
        point = np.asarray(final.predict(features), dtype=np.float64)
    out = {PREDICTION: np.minimum(point, PRICE_CAP)}
    if interval and bundle.interval is not None:
        lower, upper = bundle.interval.bounds(features)
        if isinstance(final, EvidenceBlend):  # far evidence: the plain model's interval counts
            low, high = final.far_offsets(features, plain)
            lower, upper = plain.mix(lower, low), plain.mix(upper, high)
        # Separately fitted bounds may cross each other or the point estimate: keep them ordered.
        out[LOWER] = np.minimum(np.minimum(lower, out[PREDICTION]), PRICE_CAP)
        out[UPPER] = np.minimum(np.maximum(upper, out[PREDICTION]), PRICE_CAP)
    return out


def _features(pipeline: Any, rows: pd.DataFrame | Rows) -> Any:
    """The Pipeline's transforms in turn, as ``pipeline[:-1].transform`` (which first builds a
    new Pipeline and runs scikit-learn's per-call checks: ~0.1 ms of a one-row request)."""
    out: Any = rows
    for _, step in pipeline.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if isinstance(out, Rows) and not isinstance(step, HousingFeatures):
            out = out.frame()  # a step that reads frames only (no bundle of this project)
        out = step.transform(out)
    return out

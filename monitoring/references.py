"""The drift reference of a model version: the bundle that served it, under the bundles root."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.bundle import Bundle, load_bundle
from model.bundle_store import local_bundle
from model.events import PREDICTION_COLUMN
from model.predict import predict
from model.schema import RAW_COLUMNS, validate_raw

logger = logging.getLogger(__name__)


@dataclass
class Reference:
    """A version's reference rows (raw columns + ``prediction``) and its importance ranking."""

    version: str
    frame: pd.DataFrame
    importance: dict[str, float] | None


def reference_frame(bundle: Bundle) -> pd.DataFrame:
    """Raw columns and the prediction of the bundle's reference rows."""
    ref = bundle.reference()
    if PREDICTION_COLUMN not in ref.columns:  # older bundles: predict it with the bundle itself
        ref = ref.assign(
            **{
                PREDICTION_COLUMN: predict(bundle, validate_raw(ref))[
                    bundle.manifest.outputs[0].name
                ]
            }
        )
    return ref[[*RAW_COLUMNS, PREDICTION_COLUMN]]


def load_reference(
    version: str, bundles_uri: str, cache: Path, endpoint: str | None = None
) -> Reference:
    """Find, download if needed, verify and read the bundle of ``version``.

    Raises:
        BundleError: no such bundle, or it fails verification.
        PublishError: the S3 download failed.
    """
    bundle = load_bundle(local_bundle(bundles_uri, version, cache, endpoint))
    raw = bundle.manifest.metrics.get("importance")
    importance = {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else None
    return Reference(version, reference_frame(bundle), importance)

"""The drift reference of a model version: the bundle that served it, under the bundles root."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.bundle import MANIFEST, Bundle, load_bundle
from model.bundle import load_reference as load_verified
from model.bundle_store import local_bundle
from model.errors import BundleError, PublishError
from model.events import PREDICTION_COLUMN
from model.predict import predict
from model.schema import RAW_COLUMNS, validate_raw

logger = logging.getLogger(__name__)


class NoBundle(BundleError):
    """No bundle was ever published for this version (the collector's "unknown", "None", ...)."""


@dataclass
class Reference:
    """A version's reference rows (raw columns + ``prediction``)."""

    version: str
    frame: pd.DataFrame


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
        NoBundle: no bundle of that name (or not a bundle name at all).
        BundleError: the bundle fails verification.
        PublishError: the S3 download failed.
    """
    try:
        path = local_bundle(bundles_uri, version, cache, endpoint)
    except PublishError as e:
        if str(e).endswith("no objects under this prefix"):  # model.s3.download_tree
            raise NoBundle(f"no bundle {version!r} under {bundles_uri}") from e
        raise
    except BundleError as e:  # only raised for a name that cannot be a bundle
        raise NoBundle(str(e)) from e
    if not (path / MANIFEST).exists() and not path.exists():
        raise NoBundle(f"no bundle {version!r} under {bundles_uri}")
    # Verified, not unpickled: the models are only needed for an older bundle whose reference
    # has no prediction column.
    ref = load_verified(path).reference()
    if PREDICTION_COLUMN in ref.columns:
        return Reference(version, ref[[*RAW_COLUMNS, PREDICTION_COLUMN]])
    return Reference(version, reference_frame(load_bundle(path)))

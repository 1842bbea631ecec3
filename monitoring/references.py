"""The drift reference of a model version: the bundle that served it, under the bundles root."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model import s3
from model.bundle import Bundle, load_bundle
from model.errors import BundleError
from model.predict import predict
from model.schema import RAW_COLUMNS, validate_raw
from monitoring.events_source import PREDICTION_COLUMN

logger = logging.getLogger(__name__)
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class Reference:
    """A version's reference rows (raw columns + ``prediction``) and its importance ranking."""

    version: str
    frame: pd.DataFrame
    importance: dict[str, float] | None


def _local_bundle(version: str, bundles_uri: str, cache: Path, endpoint: str | None) -> Path:
    if not _VERSION.match(version):  # it comes from event lines: never let it walk the tree
        raise BundleError(f"model_version {version!r} is not a valid bundle name")
    if not s3.is_s3(bundles_uri):
        return Path(bundles_uri) / version
    target = cache / version
    if not (target / "manifest.json").is_file():  # bundles are immutable: a cached one is final
        partial = cache / f".partial-{version}"
        s3.download_tree(s3.client(endpoint), f"{bundles_uri.rstrip('/')}/{version}", partial)
        partial.rename(target)
    return target


def reference_frame(bundle: Bundle) -> pd.DataFrame:
    """Raw columns and the prediction of the bundle's reference rows."""
    ref = bundle.reference()
    if PREDICTION_COLUMN not in ref.columns:  # older bundles: predict it with the bundle itself
        ref = ref.assign(**{PREDICTION_COLUMN: predict(bundle, validate_raw(ref))[
            bundle.manifest.outputs[0].name]})
    return ref[[*RAW_COLUMNS, PREDICTION_COLUMN]]


def load_reference(version: str, bundles_uri: str, cache: Path, endpoint: str | None = None
                   ) -> Reference:
    """Find, download if needed, verify and read the bundle of ``version``.

    Raises:
        BundleError: no such bundle, or it fails verification.
        PublishError: the S3 download failed.
    """
    bundle = load_bundle(_local_bundle(version, bundles_uri, cache, endpoint))
    raw = bundle.manifest.metrics.get("importance")
    importance = {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else None
    return Reference(version, reference_frame(bundle), importance)

"""The versioned model bundle: the only code that reads or writes one (with model/manifest.py).

A bundle is a directory named by its model version, written under a temporary name and renamed
into place, never changed afterwards. ``manifest.json`` lists the sha256 of every other file, and
``load_bundle`` verifies all of them before anything is unpickled.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pyarrow as pa
import sklearn

from model.digest import sha256_of
from model.errors import BundleError
from model.intervals import ConformalInterval

# The manifest's model and names, re-exported: consumers import everything bundle from here.
from model.manifest import FORMAT_VERSION as FORMAT_VERSION
from model.manifest import INTERVAL as INTERVAL
from model.manifest import LATEST as LATEST
from model.manifest import LOWER as LOWER
from model.manifest import MANIFEST as MANIFEST
from model.manifest import PIPELINE as PIPELINE
from model.manifest import PREDICTION as PREDICTION
from model.manifest import REFERENCE as REFERENCE
from model.manifest import REFERENCE_PREDICTION as REFERENCE_PREDICTION
from model.manifest import UPPER as UPPER
from model.manifest import CodeInfo as CodeInfo
from model.manifest import DataInfo as DataInfo
from model.manifest import Manifest as Manifest
from model.manifest import TensorSpec as TensorSpec
from model.manifest import code_info as code_info
from model.manifest import default_inputs as default_inputs
from model.manifest import default_outputs as default_outputs
from model.manifest import manifest_bytes, parse_manifest
from model.manifest import new_model_version as new_model_version
from model.manifest import read_manifest as read_manifest
from model.signing import SIGNATURE, BundleKeys, signature_file, verify


@dataclass
class Bundle:
    """A loaded, verified bundle."""

    path: Path
    manifest: Manifest
    pipeline: Any
    interval: ConformalInterval | None = None

    @property
    def version(self) -> str:
        return self.manifest.model_version

    def reference(self) -> pd.DataFrame:
        """The drift reference: training rows (raw columns, target, prediction).

        Raises:
            BundleError: the file is not readable Parquet (its sha256 can still match the
                manifest when the bundle was written broken or the manifest was edited).
        """
        try:
            return pd.read_parquet(self.path / REFERENCE)
        except (OSError, ValueError, pa.ArrowException) as e:
            raise BundleError(f"{self.path / REFERENCE}: not a readable Parquet file: {e}") from e


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file."""
    return f"sha256:{sha256_of(path)}"


def _symlinks(root: Path) -> list[Path]:
    found = []
    for parent, dirs, files in os.walk(root, followlinks=False):
        found += [Path(parent, n) for n in [*dirs, *files] if os.path.islink(Path(parent, n))]
    return sorted(found)


def _all_files(root: Path) -> list[Path]:
    own = {root / MANIFEST, root / SIGNATURE}  # the manifest cannot list itself or its signature
    return sorted(p for p in root.rglob("*") if p.is_file() and p not in own)


def write_bundle(
    root: Path,
    *,
    manifest_fields: dict[str, Any],
    pipeline: Any,
    interval: ConformalInterval | None,
    reference: pd.DataFrame,
    extra_files: Mapping[str, bytes] | None = None,
    keys: BundleKeys | None = None,
) -> Manifest:
    """Write a complete bundle to ``root/<model_version>`` atomically.

    Args:
        root: the bundles directory (created if needed).
        manifest_fields: every Manifest field except ``files`` and ``format_version``.
        pipeline: the fitted Pipeline. interval: the calibrated interval models, if any.
        reference: the drift reference frame.
        extra_files: more files by relative path (the evaluation report and its plots).
        keys: signs the manifest when it has a signing key (default: HOUSING_BUNDLE_SIGNING_KEY).

    Returns:
        The manifest written.

    Raises:
        BundleError: a bundle of that version already exists (bundles are immutable), or the
            configured signing key is unusable.
    """
    signing = (keys or BundleKeys.from_settings()).signing
    version = manifest_fields["model_version"]
    final = root / version
    if final.exists():
        raise BundleError(
            f"{final}: a bundle with this version already exists; bundles are immutable"
        )
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{version}-"))
    try:
        joblib.dump(pipeline, tmp / PIPELINE)
        if interval is not None:
            joblib.dump(interval, tmp / INTERVAL)
        reference.to_parquet(tmp / REFERENCE, index=False)
        for rel, data in (extra_files or {}).items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        files = {p.relative_to(tmp).as_posix(): file_digest(p) for p in _all_files(tmp)}
        manifest = Manifest(**manifest_fields, files=files)
        text = (manifest.model_dump_json(indent=2) + "\n").encode()
        (tmp / MANIFEST).write_bytes(text)
        if signing is not None:
            (tmp / SIGNATURE).write_bytes(signature_file(text, signing))
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)  # mkdtemp makes 0700; others must read it
        os.rename(tmp, final)  # atomic on one filesystem; fails rather than replace a bundle
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def point_latest(root: Path, version: str) -> None:
    """Swap the relative ``latest`` symlink to ``version`` in one atomic rename."""
    tmp = root / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(version)
    os.replace(tmp, root / LATEST)


def verify_files(path: Path, manifest: Manifest) -> None:
    """Check every file the manifest lists, and that nothing unlisted was added.

    Raises:
        BundleError: naming each missing, changed or unexpected file.
    """
    problems = [
        f"{link.relative_to(path).as_posix()}: a symlink (to {os.readlink(link)}); "
        "a bundle holds only regular files"
        for link in _symlinks(path)
    ]
    if problems:  # never hash or open through a link: it may point anywhere
        raise BundleError(f"{path}: bundle failed verification: " + "; ".join(problems))
    for rel, expected in manifest.files.items():
        file = path / rel
        if not file.is_file():
            problems.append(f"{rel}: missing")
        elif (actual := file_digest(file)) != expected:
            problems.append(f"{rel}: {actual} does not match the manifest's {expected}")
    problems += [
        f"{p.relative_to(path).as_posix()}: not listed in the manifest"
        for p in _all_files(path)
        if p.relative_to(path).as_posix() not in manifest.files
    ]
    for required in (PIPELINE, REFERENCE):
        if required not in manifest.files:
            problems.append(f"{required}: not listed in the manifest")
    if problems:
        raise BundleError(f"{path}: bundle failed verification: " + "; ".join(problems))


def _verified(path: Path | str, keys: BundleKeys | None) -> tuple[Path, Manifest]:
    """The bundle's resolved path and manifest, once the signature (if a key is configured) and
    every file's sha256 are checked: before anything is unpickled, since a tampered pickle can
    run code."""
    path = Path(path).resolve()
    if not path.is_dir():
        raise BundleError(f"{path}: no such bundle directory")
    key = (keys or BundleKeys.from_settings()).verify
    data = manifest_bytes(path)
    if key is not None:  # authenticate the exact bytes parsed below
        verify(path, data, key)
    manifest = parse_manifest(path, data)
    verify_files(path, manifest)
    return path, manifest


def load_reference(path: Path | str, keys: BundleKeys | None = None) -> Bundle:
    """Verify a bundle as ``load_bundle`` does, without unpickling its models.

    For readers of the drift reference only (``Bundle.reference()``): ``pipeline`` is None, so
    nothing can be predicted with it, and no scikit-learn version check is needed.

    Raises:
        BundleError: as ``load_bundle``, except the scikit-learn version and the model checks.
    """
    path, manifest = _verified(path, keys)
    return Bundle(path=path, manifest=manifest, pipeline=None)


def load_bundle(path: Path | str, keys: BundleKeys | None = None) -> Bundle:
    """Verify and load a bundle directory (a ``latest`` symlink is followed).

    Args:
        path: the bundle directory.
        keys: with a verification key, the manifest must carry its valid signature (default:
            HOUSING_BUNDLE_VERIFY_KEY from the environment).

    Raises:
        BundleError: missing, unsigned or wrongly signed (when a key is configured), tampered,
            unsupported format, or trained under another scikit-learn version (pickles are
            only safe within one version).
    """
    path, manifest = _verified(path, keys)
    if manifest.code.sklearn != sklearn.__version__:
        raise BundleError(
            f"{path}: trained with scikit-learn {manifest.code.sklearn}, this process "
            f"has {sklearn.__version__}; retrain or run the matching version"
        )
    try:
        pipeline = joblib.load(path / PIPELINE)
        interval = joblib.load(path / INTERVAL) if INTERVAL in manifest.files else None
    except Exception as e:  # an unpicklable file is a bad bundle, whatever the library raised
        raise BundleError(f"{path}: could not unpickle the model: {e}") from e
    bundle = Bundle(path=path, manifest=manifest, pipeline=pipeline, interval=interval)
    _check_runs(bundle)
    return bundle


def _check_runs(bundle: Bundle) -> None:
    """Predict one reference row, so a bundle whose pickles no longer fit this code fails now.

    A renamed or reshaped step unpickles fine and then fails on the first request: better a
    refused start than a server that answers 500.
    """
    row = bundle.reference().head(1).loc[:, [i.name for i in bundle.manifest.inputs]]
    try:
        bundle.pipeline.predict(row)
    except Exception as e:  # whatever the stale pickle raises, the bundle is unusable here
        raise BundleError(
            f"{bundle.path}: the model does not run with this code "
            f"(format {bundle.manifest.format_version}): {e!r}"
        ) from e

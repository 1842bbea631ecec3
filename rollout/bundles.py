"""Resolve a bundle name (path, model version, ``pvc://`` or ``s3://`` URI) to a local dir.

The chart names bundles as ``pvc://<claim>/<model_version>`` or ``s3://bucket/prefix/<version>``.
Outside the cluster a ``pvc://`` URI means "this model version under the bundles root"
(``--bundles`` / ``HOUSING_BUNDLES_URI``, e.g. the PVC mounted in a pod or a local copy).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from model import s3
from model.bundle import Bundle, load_bundle
from model.bundle_store import local_bundle
from model.errors import BundleError, PublishError
from model.paths import check_version

PVC = "pvc://"


def resolve(
    uri: str, *, bundles_root: str | None, s3_endpoint_url: str | None, workdir: Path | None = None
) -> Path:
    """A local directory holding the bundle ``uri`` names.

    Args:
        uri: a directory, a model version (looked up under ``bundles_root``), ``pvc://claim/version``
            or ``s3://bucket/prefix/version``.
        bundles_root: directory or ``s3://`` root of published bundles.
        s3_endpoint_url: MinIO endpoint for ``s3://`` URIs.
        workdir: where S3 bundles are downloaded (default: a new temp dir).

    Raises:
        BundleError: nothing found under that name.
    """
    if s3.is_s3(uri):
        root, version = uri.rstrip("/").rsplit("/", 1)
        cache = workdir or Path(tempfile.mkdtemp(prefix="housing-rollout-"))
        try:
            return local_bundle(root, version, cache, s3_endpoint_url)
        except PublishError as e:
            raise BundleError(f"{uri}: could not download the bundle: {e}") from e
    name = uri[len(PVC) :].rstrip("/").split("/", 1)[-1] if uri.startswith(PVC) else uri
    local = Path(name)
    if not uri.startswith(PVC) and local.is_dir():
        return local
    if bundles_root:
        if not uri.startswith(PVC) and "/" in name:  # a path, not a version: it does not exist
            raise BundleError(f"{uri}: no such bundle directory")
        check_version(name)  # joined to the bundles root below: a pvc:// name must not walk out
        if s3.is_s3(bundles_root):
            return resolve(
                f"{bundles_root.rstrip('/')}/{name}",
                bundles_root=None,
                s3_endpoint_url=s3_endpoint_url,
                workdir=workdir,
            )
        candidate = Path(bundles_root) / name
        if candidate.is_dir():
            return candidate
        raise BundleError(f"{uri}: no bundle {name!r} under the bundles root {bundles_root}")
    raise BundleError(
        f"{uri}: no such bundle directory; for a model version or a pvc:// URI set "
        "--bundles (HOUSING_BUNDLES_URI) to the bundles root"
    )


def load(
    uri: str, *, bundles_root: str | None, s3_endpoint_url: str | None, workdir: Path | None = None
) -> Bundle:
    """Resolve and load (verified) the bundle ``uri`` names.

    Raises:
        BundleError: not found, tampered with, or trained under another scikit-learn.
    """
    return load_bundle(
        resolve(uri, bundles_root=bundles_root, s3_endpoint_url=s3_endpoint_url, workdir=workdir)
    )

"""Atomic publication of a bundle to a directory / PVC path or to S3 (MinIO).

Directories: ``model.bundle.write_bundle`` renames a complete temp dir into place, then the
``latest`` symlink is swapped. S3 has no rename, so the manifest is uploaded last (readers treat a
version without a manifest as absent) and the ``LATEST`` pointer is written after it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from model import s3
from model.bundle import LATEST, MANIFEST, Manifest, point_latest, read_manifest
from model.errors import BundleError, PublishError

S3_LATEST = "LATEST"
Writer = Callable[[Path], Manifest]


def publish(uri: str, write: Writer, *, endpoint_url: str | None = None) -> tuple[str, Manifest]:
    """Write a bundle with ``write(root)`` and publish it under ``uri``.

    Args:
        uri: bundles root, a directory path or ``s3://bucket/prefix``.
        write: writes the bundle into the given root and returns its manifest.
        endpoint_url: S3 endpoint (MinIO).

    Returns:
        The published bundle's URI and its manifest.

    Raises:
        PublishError: the target could not be written.
    """
    if not s3.is_s3(uri):
        root = Path(uri)
        try:
            manifest = write(root)
            point_latest(root, manifest.model_version)
        except OSError as e:
            raise PublishError(f"could not publish to {root}: {e}") from e
        return str(root / manifest.model_version), manifest
    client = s3.client(endpoint_url)
    with tempfile.TemporaryDirectory(prefix="housing-publish-") as tmp:
        manifest = write(Path(tmp))
        target = f"{uri.rstrip('/')}/{manifest.model_version}"
        if s3.exists(client, f"{target}/{MANIFEST}"):
            raise PublishError(f"{target}: already published; bundles are immutable")
        s3.upload_tree(client, Path(tmp) / manifest.model_version, target, last=MANIFEST)
    s3.put_text(client, f"{uri.rstrip('/')}/{S3_LATEST}", manifest.model_version + "\n")
    return target, manifest


def latest_manifest(uri: str, *, endpoint_url: str | None = None) -> Manifest | None:
    """The manifest of the newest published bundle, or None when nothing is published yet."""
    if not s3.is_s3(uri):
        latest = Path(uri) / LATEST
        if not latest.exists():
            return None
        try:
            return read_manifest(latest.resolve())
        except BundleError:
            return None
    client = s3.client(endpoint_url)
    pointer = f"{uri.rstrip('/')}/{S3_LATEST}"
    if not s3.exists(client, pointer):
        return None
    version = s3.get_text(client, pointer).strip()
    with tempfile.TemporaryDirectory(prefix="housing-latest-") as tmp:
        try:
            s3.download_file(
                client, f"{uri.rstrip('/')}/{version}/{MANIFEST}", Path(tmp) / MANIFEST
            )
            return read_manifest(Path(tmp))
        except (PublishError, BundleError):  # a broken pointer means: train again
            return None

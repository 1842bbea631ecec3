"""Atomic publication of a bundle to a directory / PVC path or to S3 (MinIO).

Directories: ``model.bundle.write_bundle`` renames a complete temp dir into place, then the
``latest`` symlink is swapped. S3 has no rename, so the manifest is uploaded last (readers treat a
version without a manifest as absent) and the ``LATEST`` pointer is written after it.

Two upstream behaviours shape the checks here:

- kubelet creates a missing volume ``subPath`` as an empty directory before the container starts
  (kubernetes/kubernetes ``pkg/kubelet/kubelet_pods.go``, ``makeMounts``). A pod that mounted
  ``pvc://<claim>/latest`` before the first training run leaves such a ``latest/`` behind, and
  ``os.replace(symlink, dir)`` fails on it, so an empty ``latest`` directory is removed first.
- KServe's storage initializer (PyPI ``kserve-storage==0.20.0``, ``Storage._download_s3``) lists
  ``s3://bucket/<prefix>/<version>`` without a ``/`` delimiter, so it also downloads every
  ``<version>-other/...``, and it skips zero-byte objects. Bundles that would be served wrong that
  way are refused before anything is uploaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from model import s3
from model.bundle import LATEST, MANIFEST, Manifest, point_latest, read_manifest
from model.errors import BundleError, PublishError
from model.manifest import manifest_bytes
from model.signing import SIGNATURE, verify

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
            _remove_kubelet_placeholder(root / LATEST)
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
        check_servable_by_kserve(client, uri, Path(tmp) / manifest.model_version)
        s3.upload_tree(client, Path(tmp) / manifest.model_version, target, last=MANIFEST)
    s3.put_text(client, f"{uri.rstrip('/')}/{S3_LATEST}", manifest.model_version + "\n")
    return target, manifest


def _remove_kubelet_placeholder(latest: Path) -> None:
    """Remove an empty real ``latest`` directory (what kubelet leaves for a missing subPath).

    Raises:
        PublishError: ``latest`` is a real directory with content; nothing we would delete.
    """
    if latest.is_symlink() or not latest.is_dir():
        return
    try:
        latest.rmdir()
    except OSError as e:
        raise PublishError(
            f"{latest}: is a real directory, not the 'latest' symlink this publisher manages, "
            f"and it is not empty ({e.strerror}); move it away and publish again"
        ) from e


def check_servable_by_kserve(client: Any, uri: str, bundle: Path) -> None:
    """Refuse an S3 bundle that KServe's storage initializer would download wrongly.

    Args:
        client: boto3 S3 client. uri: the bundles root ``s3://bucket/prefix``.
        bundle: the local bundle directory about to be uploaded (its name is the version).

    Raises:
        PublishError: a zero-byte file in the bundle, or a version name that is a prefix of an
            existing one (or has one as its prefix), naming each problem.
    """
    version = bundle.name
    problems = [
        f"{p.relative_to(bundle).as_posix()}: zero-byte file (KServe's storage initializer "
        "skips zero-byte objects, so the served bundle would miss it)"
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p.stat().st_size == 0
    ]
    clashes = [
        name
        for name in s3.list_children(client, uri)
        if name != version and (name.startswith(version) or version.startswith(name))
    ]
    if clashes:
        problems.append(
            f"version {version!r} and {clashes} under {uri}: one name is a prefix of the other; "
            "KServe's storage initializer lists S3 prefixes without a '/' delimiter, so "
            "downloading one would also pull the other's files"
        )
    if problems:
        raise PublishError(f"{uri}/{version}: not servable by KServe: " + "; ".join(problems))


def latest_manifest(
    uri: str, *, endpoint_url: str | None = None, signed_by: Ed25519PublicKey | None = None
) -> Manifest | None:
    """The manifest of the newest published bundle, or None when nothing is published yet.

    With ``signed_by``, a newest bundle without a valid signature by that key counts as absent
    too: pods verifying with that key would refuse it, so training must replace it.
    """
    if not s3.is_s3(uri):
        latest = Path(uri) / LATEST
        if not latest.exists():
            return None
        try:
            return _read_latest(latest.resolve(), signed_by)
        except BundleError:
            return None
    client = s3.client(endpoint_url)
    pointer = f"{uri.rstrip('/')}/{S3_LATEST}"
    if not s3.exists(client, pointer):
        return None
    version = s3.get_text(client, pointer).strip()
    with tempfile.TemporaryDirectory(prefix="housing-latest-") as tmp:
        try:
            for name in (MANIFEST, SIGNATURE) if signed_by is not None else (MANIFEST,):
                s3.download_file(client, f"{uri.rstrip('/')}/{version}/{name}", Path(tmp) / name)
            return _read_latest(Path(tmp), signed_by)
        except (PublishError, BundleError):  # a broken pointer or no signature: train again
            return None


def _read_latest(path: Path, signed_by: Ed25519PublicKey | None) -> Manifest:
    """The manifest in ``path``, checked against its signature first when ``signed_by`` is set.

    Raises:
        BundleError: unreadable manifest, or unsigned / signed by another key.
    """
    if signed_by is not None:
        verify(path, manifest_bytes(path), signed_by)
    return read_manifest(path)

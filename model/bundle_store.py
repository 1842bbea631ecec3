"""Find a published bundle by model version under a bundles root (a directory or ``s3://``).

Monitoring (the reference of the version that served events) and rollout (champion and
challenger) both need it. S3 bundles are downloaded once into a cache: bundles are immutable,
so a cached copy with its manifest is final.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from model import s3
from model.bundle import MANIFEST
from model.paths import check_version


def local_bundle(bundles_uri: str, version: str, cache: Path, endpoint_url: str | None) -> Path:
    """The local directory of bundle ``version`` published under ``bundles_uri``.

    Args:
        bundles_uri: the bundles root, a directory or ``s3://bucket/prefix``.
        version: the model version (the bundle's directory name).
        cache: where S3 bundles are downloaded. endpoint_url: the S3 endpoint (MinIO).

    Raises:
        BundleError: ``version`` is not a plain bundle name (it may come from event lines).
        PublishError: the S3 download failed.
    """
    check_version(version)  # never let a name from outside walk the tree
    if not s3.is_s3(bundles_uri):
        return Path(bundles_uri) / version
    target = cache / version
    if not (target / MANIFEST).is_file():
        partial = cache / f".partial-{version}"
        shutil.rmtree(partial, ignore_errors=True)  # what a failed earlier download left
        s3.download_tree(s3.client(endpoint_url), f"{bundles_uri.rstrip('/')}/{version}", partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return target

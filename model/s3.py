"""S3-compatible storage (MinIO in the cluster) for bundles and events.

boto3 is imported only when an ``s3://`` URI is used, so the core stays free of it. Credentials
come the standard way (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, from a Kubernetes Secret).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.errors import PublishError
from model.paths import inside

SCHEME = "s3://"


def is_s3(uri: str | Path) -> bool:
    """True for ``s3://bucket/prefix`` URIs."""
    return str(uri).startswith(SCHEME)


def split(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b``) without trailing slash.

    Raises:
        PublishError: no bucket name.
    """
    bucket, _, prefix = uri[len(SCHEME) :].partition("/")
    if not bucket:
        raise PublishError(f"{uri}: an S3 URI needs a bucket, e.g. s3://models/housing")
    return bucket, prefix.strip("/")


def join(prefix: str, *parts: str) -> str:
    """Join key parts with '/', skipping empty ones."""
    return "/".join(p.strip("/") for p in (prefix, *parts) if p.strip("/"))


def client(endpoint_url: str | None) -> Any:
    """A boto3 S3 client; path-style addressing because MinIO serves buckets that way."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        config=Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}
        ),
    )


def upload_tree(s3: Any, local: Path, uri: str, *, last: str | None = None) -> list[str]:
    """Upload every file under ``local`` to ``uri``; the file named ``last`` goes up last.

    S3 has no rename: a reader treats a prefix as complete only once ``last`` (the manifest)
    exists, so uploading it last is what makes the publish atomic for readers.

    Raises:
        PublishError: any upload failed.
    """
    bucket, prefix = split(uri)
    files = sorted(p for p in local.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.relative_to(local).as_posix() == last)
    keys = []
    try:
        for file in files:
            key = join(prefix, file.relative_to(local).as_posix())
            s3.upload_file(str(file), bucket, key)
            keys.append(key)
    except Exception as e:  # botocore raises many unrelated types; all mean the same here
        raise PublishError(f"upload of {local} to {uri} failed: {e}") from e
    return keys


def exists(s3: Any, uri: str) -> bool:
    """True if the object at ``uri`` exists."""
    bucket, key = split(uri)
    try:
        return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0))
    except Exception as e:  # no bucket, no access, no endpoint: all mean "cannot use this URI"
        raise PublishError(f"cannot list {uri}: {e}") from e


def list_children(s3: Any, uri: str) -> list[str]:
    """Names directly under ``uri`` (sub-prefixes and objects), like ``ls`` of a directory.

    Raises:
        PublishError: the prefix cannot be listed.
    """
    bucket, prefix = split(uri)
    base = prefix + "/" if prefix else ""
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=base, Delimiter="/"
        )
        names = [
            item[len(base) :].rstrip("/")
            for page in pages
            for item in [c["Prefix"] for c in page.get("CommonPrefixes", [])]
            + [o["Key"] for o in page.get("Contents", [])]
        ]
    except Exception as e:  # no bucket, no access, no endpoint: all mean "cannot use this URI"
        raise PublishError(f"cannot list {uri}: {e}") from e
    return sorted(n for n in names if n)


def download_tree(s3: Any, uri: str, dest: Path) -> Path:
    """Download every object under ``uri`` into ``dest`` (created); returns ``dest``.

    Raises:
        PublishError: nothing there, or a download failed.
    """
    bucket, prefix = split(uri)
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
        if not keys:
            raise PublishError(f"{uri}: no objects under this prefix")
        for key in keys:
            target = inside(dest, key[len(prefix) + 1 :])  # a key may hold "../"
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
    except PublishError:
        raise
    except Exception as e:  # BundleError from inside() too: a bad key means a bad download
        raise PublishError(f"download of {uri} failed: {e}") from e
    return dest


def download_file(s3: Any, uri: str, dest: Path) -> Path:
    """Download one object to ``dest``.

    Raises:
        PublishError: missing object or failed download.
    """
    bucket, key = split(uri)
    try:
        s3.download_file(bucket, key, str(dest))
    except Exception as e:
        raise PublishError(f"download of {uri} failed: {e}") from e
    return dest


def put_text(s3: Any, uri: str, text: str) -> None:
    """Write a small text object (e.g. the LATEST pointer)."""
    bucket, key = split(uri)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    except Exception as e:
        raise PublishError(f"write of {uri} failed: {e}") from e


def get_text(s3: Any, uri: str) -> str:
    """Read a small text object."""
    bucket, key = split(uri)
    try:
        return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
    except Exception as e:
        raise PublishError(f"read of {uri} failed: {e}") from e

"""The one validator of names and paths taken from input: model versions and files in a bundle.

A model version names a directory (the bundle), a report directory and an S3 prefix; a manifest,
an event line, a ``pvc://`` URI or an S3 listing can carry one. Whatever the source, it must stay
one plain path component, and a file path must stay inside the directory it is joined to.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from model.errors import BundleError

MAX_VERSION_LENGTH = 128
# One path component: no separator, no leading dot (so neither ``..`` nor hidden temp dirs).
_VERSION = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_VERSION_LENGTH - 1}}}")


def check_version(version: str) -> str:
    """``version`` unchanged when it is a plain bundle name.

    Raises:
        BundleError: it is empty, too long, or holds a separator, ``..``, a leading dot or any
            character outside ``A-Z a-z 0-9 . _ -``.
    """
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        shown = repr(version)[:80]
        raise BundleError(
            f"model_version {shown} is not a valid bundle name (1-{MAX_VERSION_LENGTH} of "
            "A-Z a-z 0-9 . _ -, starting with a letter or digit)"
        )
    return version


def check_relative(rel: str) -> str:
    """``rel`` unchanged when it is a relative POSIX path that cannot leave its directory.

    Raises:
        BundleError: absolute, empty, or with a ``..``/``.``/empty component or a backslash.
    """
    parts = rel.split("/") if isinstance(rel, str) else [""]
    if (
        not rel
        or PurePosixPath(rel).is_absolute()
        or "\\" in rel
        or "\x00" in rel
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise BundleError(f"{str(rel)[:120]!r} is not a relative path inside the bundle")
    return rel


def inside(root: Path, rel: str) -> Path:
    """``root / rel``, refusing any ``rel`` (or symlink on the way) that leads out of ``root``.

    Raises:
        BundleError: ``rel`` is not a plain relative path, or resolves outside ``root``.
    """
    target = root / check_relative(rel)
    real_root = root.resolve()
    if not target.resolve().is_relative_to(real_root):
        raise BundleError(f"{rel!r} leads outside {root}")
    return target

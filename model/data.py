"""The one loader for the housing dataset: a local path, the cache, or a download from GitHub
(HTTPS), always verified by sha256."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.digest import sha256_of
from model.errors import DataError
from model.schema import validate_raw
from model.settings import DEFAULT_CACHE

logger = logging.getLogger(__name__)

SOURCE_URL = (
    "https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv"
)
SHA256 = "8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e"
FILE_NAME = "housing.csv"


@dataclass(frozen=True)
class Dataset:
    """The validated frame and where it came from (for the bundle's lineage)."""

    frame: pd.DataFrame
    path: Path
    sha256: str


def _verified(path: Path, expected: str) -> Path:
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(f"{path}: sha256 {actual} does not match the expected {expected}")
    return path


def _download(url: str, dest: Path, expected: str, timeout_s: float) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".download-")
    tmp = Path(tmp_name)
    try:
        logger.info("dataset_download", extra={"url": url})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as resp:
            shutil.copyfileobj(resp, out)
        _verified(tmp, expected)
        tmp.replace(dest)  # only a verified file ever appears under the cache name
        return dest
    except OSError as e:
        raise DataError(
            f"could not download {url}: {e}; offline, set HOUSING_DATA_PATH "
            "to a local copy of housing.csv"
        ) from e
    finally:
        tmp.unlink(missing_ok=True)


def locate(
    path: Path | None = None,
    cache_dir: Path | None = None,
    *,
    url: str = SOURCE_URL,
    sha256: str = SHA256,
    timeout_s: float = 60.0,
) -> Path:
    """Find the dataset: explicit path, else the cache, else download into the cache.

    Args:
        path: an explicit copy (the settings fill it from ``HOUSING_DATA_PATH``).
        cache_dir: where a downloaded copy is kept.
        url: public source. sha256: the digest every copy must have.
        timeout_s: network timeout for the download.

    Returns:
        The path of a verified copy.

    Raises:
        DataError: the file is missing, its digest differs, or the download failed.
    """
    if path is not None:
        if not path.is_file():
            raise DataError(f"{path}: no such file (HOUSING_DATA_PATH / --data)")
        return _verified(path, sha256)
    cached = (cache_dir or DEFAULT_CACHE) / FILE_NAME
    if cached.is_file():
        return _verified(cached, sha256)
    return _download(url, cached, sha256, timeout_s)


def load(path: Path | None = None, cache_dir: Path | None = None) -> Dataset:
    """Locate, verify and validate the dataset (raw columns plus the target).

    Raises:
        DataError: see ``locate``. SchemaError: the file violates the schema.
    """
    found = locate(path, cache_dir)
    frame = validate_raw(pd.read_csv(found), require_target=True)
    return Dataset(frame=frame, path=found, sha256=SHA256)  # locate verified it against SHA256

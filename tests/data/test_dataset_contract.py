"""The dataset contract: the loader verifies the file and validates every row.

What the file holds (columns, 20,640 rows, categories, 207 missing total_bedrooms) is fixed by
its sha256, which the ``housing_csv`` fixture and ``data.load`` check; it is not re-tested here.
"""

import pytest

from model import data
from model.digest import sha256_of
from model.errors import DataError
from model.schema import TARGET


def test_load_validates_every_row_when_file_verified(housing_csv):
    ds = data.load(housing_csv)
    assert ds.sha256 == data.SHA256
    assert len(ds.frame) == 20640
    assert ds.frame[TARGET].max() == 500001.0


def test_locate_refuses_file_when_sha256_differs(tmp_path):
    fake = tmp_path / "housing.csv"
    fake.write_text("longitude,latitude\n1,2\n")
    with pytest.raises(DataError, match=r"sha256 .* does not match"):
        data.locate(fake)


def test_locate_uses_verified_cache_when_present(tmp_path, housing_csv):
    (tmp_path / "housing.csv").write_bytes(housing_csv.read_bytes())
    assert data.locate(None, tmp_path) == tmp_path / "housing.csv"


def test_locate_downloads_into_cache_and_verifies_when_no_copy(tmp_path, housing_csv):
    source = housing_csv.as_uri()  # file:// stands in for the public URL: no network here
    got = data.locate(None, tmp_path / "cache", url=source)
    assert sha256_of(got) == data.SHA256


def test_locate_leaves_no_file_in_cache_when_download_fails_verification(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n")
    with pytest.raises(DataError):
        data.locate(None, tmp_path / "cache", url=bad.as_uri())
    assert not (tmp_path / "cache" / "housing.csv").exists()


def test_locate_explains_offline_use_when_download_unreachable(tmp_path):
    with pytest.raises(DataError, match="HOUSING_DATA_PATH"):
        data.locate(None, tmp_path, url="http://127.0.0.1:9/housing.csv", timeout_s=2)

from pathlib import Path

import pytest

from model import s3
from model.bundle_store import local_bundle
from model.errors import BundleError, PublishError


@pytest.mark.parametrize("version", ["../etc", "a/b", "", ".hidden"])
def test_local_bundle_refuses_when_version_is_not_a_plain_name(tmp_path, version):
    with pytest.raises(BundleError, match="is not a valid bundle name"):
        local_bundle(str(tmp_path), version, tmp_path / "cache", None)


def test_local_bundle_is_the_version_directory_when_root_is_a_directory(tmp_path):
    assert local_bundle(str(tmp_path), "20261126T180238Z-50352ba", tmp_path / "c", None) == (
        tmp_path / "20261126T180238Z-50352ba"
    )


def test_local_bundle_accepts_a_version_at_the_length_limit(tmp_path):
    assert local_bundle(str(tmp_path), "v" * 128, tmp_path / "c", None) == tmp_path / ("v" * 128)


def test_local_bundle_refuses_a_version_one_past_the_length_limit(tmp_path):
    with pytest.raises(BundleError, match="is not a valid bundle name"):
        local_bundle(str(tmp_path), "v" * 129, tmp_path / "c", None)


class _Listing:
    """Just enough of a boto3 S3 client: one page of keys; downloads write the key as content."""

    def __init__(self, keys):
        self.keys = keys

    def get_paginator(self, _name):
        return self

    def paginate(self, **_kwargs):
        return [{"Contents": [{"Key": k} for k in self.keys]}]

    def download_file(self, _bucket, key, target):
        Path(target).write_text(key)


def test_download_tree_refuses_an_s3_key_that_walks_out_of_the_target(tmp_path):
    keys = ["bundles/v1/manifest.json", "bundles/v1/../../escaped.txt"]
    with pytest.raises(PublishError, match=r"leads outside|not a relative path"):
        s3.download_tree(_Listing(keys), "s3://b/bundles/v1", tmp_path / "dest" / "v1")
    assert not list(tmp_path.rglob("escaped.txt"))


def test_download_tree_writes_nested_keys_under_the_target(tmp_path):
    keys = ["bundles/v1/manifest.json", "bundles/v1/report/evaluation.md"]
    dest = s3.download_tree(_Listing(keys), "s3://b/bundles/v1", tmp_path / "v1")
    assert (dest / "report" / "evaluation.md").read_text() == keys[1]

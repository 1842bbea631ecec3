"""Naming bundles: directory, model version under a root, pvc:// and s3:// URIs."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from model import s3
from model.errors import BundleError
from rollout.bundles import load, resolve


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="housing")
        yield boto3.client("s3")


def test_resolve_maps_pvc_uri_and_version_to_the_bundles_root(tiny_bundle):
    root, version = tiny_bundle.parent, tiny_bundle.name
    assert (
        resolve(f"pvc://housing-bundles/{version}", bundles_root=str(root), s3_endpoint_url=None)
        == root / version
    )
    assert resolve(version, bundles_root=str(root), s3_endpoint_url=None) == root / version
    assert resolve(str(tiny_bundle), bundles_root=None, s3_endpoint_url=None) == tiny_bundle


def test_load_downloads_and_verifies_s3_bundle_by_uri_and_by_version(bucket, tiny_bundle, tmp_path):
    version = tiny_bundle.name
    s3.upload_tree(bucket, tiny_bundle, f"s3://housing/bundles/{version}", last="manifest.json")
    by_uri = load(
        f"s3://housing/bundles/{version}",
        bundles_root=None,
        s3_endpoint_url=None,
        workdir=tmp_path / "a",
    )
    by_version = load(
        version, bundles_root="s3://housing/bundles", s3_endpoint_url=None, workdir=tmp_path / "b"
    )
    assert by_uri.version == by_version.version == version


@pytest.mark.parametrize(
    ("uri", "root", "message"),
    [
        ("pvc://housing-bundles/v9", None, "set --bundles"),
        ("v9", "/nonexistent-root", "no bundle 'v9' under the bundles root"),
    ],
)
def test_resolve_raises_naming_the_fix_when_bundle_is_missing(uri, root, message):
    with pytest.raises(BundleError, match=message):
        resolve(uri, bundles_root=root, s3_endpoint_url=None)


@pytest.mark.parametrize("name", ["../elsewhere", "../../elsewhere", "sub/../../elsewhere"])
def test_resolve_refuses_pvc_uri_that_walks_out_of_the_bundles_root(tmp_path, name):
    root, outside = tmp_path / "bundles", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()  # a directory exists there: only the name check stops the escape
    (root / "sub").mkdir()
    with pytest.raises(BundleError, match="is not a valid bundle name"):
        resolve(f"pvc://claim/{name}", bundles_root=str(root), s3_endpoint_url=None)


def test_resolve_says_no_such_directory_when_a_missing_path_is_given_with_a_root(tmp_path):
    with pytest.raises(BundleError, match="no such bundle directory"):
        resolve(str(tmp_path / "missing" / "v1"), bundles_root=str(tmp_path), s3_endpoint_url=None)

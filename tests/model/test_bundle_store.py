import pytest

from model.bundle_store import local_bundle
from model.errors import BundleError


@pytest.mark.parametrize("version", ["../etc", "a/b", "", ".hidden"])
def test_local_bundle_refuses_when_version_is_not_a_plain_name(tmp_path, version):
    with pytest.raises(BundleError, match="is not a valid bundle name"):
        local_bundle(str(tmp_path), version, tmp_path / "cache", None)


def test_local_bundle_is_the_version_directory_when_root_is_a_directory(tmp_path):
    assert local_bundle(str(tmp_path), "20261126T180238Z-50352ba", tmp_path / "c", None) == (
        tmp_path / "20261126T180238Z-50352ba"
    )

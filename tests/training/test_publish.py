"""Atomic publication: directories (PVC) and S3 against a real S3-compatible server (moto)."""

import os
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from model import s3
from model.bundle import MANIFEST, load_bundle, read_manifest, write_bundle
from model.errors import BundleError, PublishError
from model.signing import SIGNATURE, BundleKeys
from support import run_training, train_bundle
from training.publish import publish


def test_publish_to_directory_points_latest_at_new_bundle(tiny_bundle):
    root = tiny_bundle.parent
    assert (root / "latest").is_symlink()
    assert os.readlink(root / "latest") == tiny_bundle.name  # relative: survives a PVC remount
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]


def test_write_bundle_refuses_to_overwrite_when_version_exists(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    fields = bundle.manifest.model_dump(exclude={"files", "format_version"})
    with pytest.raises(BundleError, match="already exists"):
        write_bundle(
            tiny_bundle.parent,
            manifest_fields=fields,
            pipeline=bundle.pipeline,
            interval=None,
            reference=bundle.reference(),
        )


def test_write_bundle_leaves_nothing_when_writing_fails(tiny_bundle, tmp_path):
    bundle = load_bundle(tiny_bundle)
    fields = bundle.manifest.model_dump(exclude={"files", "format_version"})

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_bundle(
            tmp_path,
            manifest_fields=fields,
            pipeline=Unpicklable(),
            interval=None,
            reference=bundle.reference(),
        )
    assert list(tmp_path.iterdir()) == []  # no half-written bundle, no temp dir


def train_to(housing_csv, uri, git_sha=""):
    """A quick real training run (1,500 rows, no CV, no intervals) publishing to ``uri``."""
    quick = ("--sample-rows", "1500", "--cv-folds", "0", "--no-intervals")
    return run_training(housing_csv, uri, *quick, git_sha=git_sha)


def test_publish_to_s3_round_trips_a_loadable_bundle(s3_server, housing_csv, tmp_path):
    out = train_to(housing_csv, "s3://models/housing", "s3test0")
    assert out.returncode == 0, out.stderr
    client = s3.client(s3_server)
    version = s3.get_text(client, "s3://models/housing/LATEST").strip()
    assert f"bundle: s3://models/housing/{version}" in out.stdout
    local = s3.download_tree(client, f"s3://models/housing/{version}", tmp_path / version)
    bundle = load_bundle(local)
    assert bundle.version == version
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="models")["Contents"]]
    assert f"housing/{version}/{MANIFEST}" in keys


def test_publish_to_s3_skips_training_when_latest_is_up_to_date(s3_server, housing_csv):
    first = train_to(housing_csv, "s3://models/idem", "idem123")
    second = train_to(housing_csv, "s3://models/idem", "idem123")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "up to date" in second.stdout
    keys = {
        o["Key"].split("/")[1]
        for o in s3.client(s3_server).list_objects_v2(Bucket="models", Prefix="idem/")["Contents"]
    }
    assert len(keys - {"LATEST"}) == 1  # a retried Job does not publish a second bundle


def test_publish_fails_clearly_when_s3_bucket_missing(s3_server, housing_csv):
    out = train_to(housing_csv, "s3://no-such-bucket/x")
    assert out.returncode == 2
    assert "no-such-bucket" in out.stderr


def test_train_bundle_is_reproducible_when_same_seed(housing_csv, tmp_path, tiny_bundle):
    again = train_bundle(housing_csv, tmp_path, "--sample-rows", "3000", "--cv-folds", "0")
    a, b = load_bundle(tiny_bundle).manifest, load_bundle(again).manifest
    assert a.metrics["holdout"] == b.metrics["holdout"]
    assert a.files["reference.parquet"] == b.files["reference.parquet"]


def copy_of(bundle, version=None, empty_file=None):
    """A ``write`` for ``publish``: copies ``bundle`` under ``version`` (plus an empty file)."""
    manifest = read_manifest(bundle)
    if version:
        manifest = manifest.model_copy(update={"model_version": version})

    def write(root):
        target = root / manifest.model_version
        shutil.copytree(bundle, target)
        if empty_file:
            (target / empty_file).touch()
        return manifest

    return write


def test_publish_replaces_latest_when_kubelet_left_an_empty_directory(tiny_bundle, tmp_path):
    # kubelet makeMounts creates a missing subPath (pvc://<claim>/latest) as a real, empty dir
    (tmp_path / "latest").mkdir()
    _, manifest = publish(str(tmp_path), copy_of(tiny_bundle))
    assert (tmp_path / "latest").is_symlink()
    assert os.readlink(tmp_path / "latest") == manifest.model_version
    assert load_bundle(tmp_path / "latest").version == manifest.model_version


def test_train_publishes_when_latest_is_an_empty_directory(housing_csv, tmp_path):
    (tmp_path / "latest").mkdir()
    out = train_to(housing_csv, tmp_path, "emptydir")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "latest").is_symlink()
    assert load_bundle(tmp_path / "latest").manifest.code.git_sha.startswith("emptydi")


def test_publish_refuses_clearly_when_latest_is_a_directory_with_files(tiny_bundle, tmp_path):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "model.joblib").write_bytes(b"someone else's")
    with pytest.raises(PublishError, match=r"latest: is a real directory.*not empty"):
        publish(str(tmp_path), copy_of(tiny_bundle))
    assert (tmp_path / "latest" / "model.joblib").read_bytes() == b"someone else's"


def test_publish_to_s3_refuses_zero_byte_file_before_uploading(s3_server, tiny_bundle):
    with pytest.raises(PublishError, match=r"NOTES: zero-byte file.*skips zero-byte objects"):
        publish(
            "s3://models/zero",
            copy_of(tiny_bundle, empty_file="NOTES"),
            endpoint_url=s3_server,
        )
    assert "Contents" not in s3.client(s3_server).list_objects_v2(Bucket="models", Prefix="zero/")


@pytest.mark.parametrize("second", ["20260301T120000Z-abc1234-2", "20260301T120000Z-abc"])
def test_publish_to_s3_refuses_version_when_it_prefixes_another(s3_server, tiny_bundle, second):
    root = f"s3://models/prefix-{second[-4:]}"
    publish(root, copy_of(tiny_bundle, "20260301T120000Z-abc1234"), endpoint_url=s3_server)
    with pytest.raises(PublishError, match=r"prefix of the other.*without a '/' delimiter"):
        publish(root, copy_of(tiny_bundle, second), endpoint_url=s3_server)
    client = s3.client(s3_server)
    assert s3.list_children(client, root) == ["20260301T120000Z-abc1234", "LATEST"]


def test_publish_to_s3_accepts_versions_when_none_prefixes_another(s3_server, tiny_bundle):
    root = "s3://models/noclash"
    publish(root, copy_of(tiny_bundle, "20260301T120000Z-abc1234"), endpoint_url=s3_server)
    publish(root, copy_of(tiny_bundle, "20260301T120001Z-abc1234"), endpoint_url=s3_server)
    client = s3.client(s3_server)
    assert s3.get_text(client, f"{root}/LATEST").strip() == "20260301T120001Z-abc1234"


def _signing_env(key):
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return {"HOUSING_BUNDLE_SIGNING_KEY": pem}


def test_training_replaces_unsigned_latest_once_a_signing_key_is_set(housing_csv, tmp_path):
    """Same data, code and settings: an unsigned (or other-key) latest is still out of date."""
    root, key, other = (
        tmp_path / "bundles",
        Ed25519PrivateKey.generate(),
        Ed25519PrivateKey.generate(),
    )
    quick = ("--sample-rows", "1500", "--cv-folds", "0", "--no-intervals")

    def train(env=None):
        out = run_training(housing_csv, root, *quick, git_sha="sign1234", env=env)
        assert out.returncode == 0, out.stderr
        return out, (root / "latest").resolve()

    _, unsigned = train()
    assert not (unsigned / SIGNATURE).exists()
    out, signed = train(_signing_env(key))
    assert "up to date" not in out.stdout and signed != unsigned
    load_bundle(signed, BundleKeys(verify=key.public_key()))  # what a verifying pod loads
    out, again = train(_signing_env(key))
    assert "up to date" in out.stdout and again == signed  # a retried Job publishes nothing new
    out, resigned = train(_signing_env(other))
    assert "up to date" not in out.stdout and resigned != signed
    load_bundle(resigned, BundleKeys(verify=other.public_key()))


def test_training_to_s3_replaces_unsigned_latest_once_a_signing_key_is_set(s3_server, housing_csv):
    key = Ed25519PrivateKey.generate()
    first = train_to(housing_csv, "s3://models/signed", "sign5678")
    signed = run_training(
        housing_csv,
        "s3://models/signed",
        "--sample-rows",
        "1500",
        "--cv-folds",
        "0",
        "--no-intervals",
        git_sha="sign5678",
        env=_signing_env(key),
    )
    assert first.returncode == 0 and signed.returncode == 0, first.stderr + signed.stderr
    assert "up to date" not in signed.stdout
    client = s3.client(s3_server)
    version = s3.get_text(client, "s3://models/signed/LATEST").strip()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="models", Prefix="signed/")["Contents"]]
    assert f"signed/{version}/{SIGNATURE}" in keys

"""Atomic publication: directories (PVC) and S3 against a real S3-compatible server (moto)."""

import os
import subprocess
import sys
import time

import boto3
import httpx
import pytest

from model import s3
from model.bundle import MANIFEST, load_bundle, write_bundle
from model.errors import BundleError
from support import free_port, run_training, train_bundle


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


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOUSING_S3_ENDPOINT_URL": url,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket="models")
    yield url
    proc.terminate()
    proc.wait(10)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


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

"""S3 bundles as KServe's storage initializer sees them.

The initializer image of KServe v0.20.0 runs ``Storage.download`` of the PyPI package
``kserve-storage==0.20.0`` (kserve/kserve v0.20.0 python/storage-initializer/scripts/
initializer-entrypoint). Here that very code downloads from a real S3-compatible server process
(moto), with the env KServe's credential builder puts on the init container for an annotated S3
Secret (kserve/kserve v0.20.0 pkg/credentials/s3/utils.go, BuildS3EnvVars: S3_ENDPOINT,
S3_USE_HTTPS, AWS_ENDPOINT_URL, S3_VERIFY_SSL, AWS_DEFAULT_REGION; keys from the Secret).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from model import s3
from model.schema import CATEGORICAL, RAW_COLUMNS
from support import REPO, free_port, run_training

_DOWNLOAD = (
    "import sys\n"
    "from kserve_storage import Storage\n"
    "print(Storage.download(sys.argv[1], sys.argv[2]))\n"
)


def initializer_env(s3_url: str) -> dict[str, str]:
    """The init container's env for Secret annotations s3-endpoint=<host:port>, s3-usehttps=0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "HOUSING_"))}
    return {
        **env,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "S3_ENDPOINT": s3_url.removeprefix("http://"),
        "S3_USE_HTTPS": "0",
        "AWS_ENDPOINT_URL": s3_url,
        "S3_VERIFY_SSL": "0",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def kserve_download(s3_url: str, uri: str, out: Path) -> Path:
    """``Storage.download(uri, out)`` in its own process, as the initializer runs it."""
    out.mkdir(parents=True, exist_ok=True)  # the entrypoint creates dest dirs first
    proc = subprocess.run(
        [sys.executable, "-c", _DOWNLOAD, uri, str(out)],
        env=initializer_env(s3_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def infer_once(model_dir: Path, rows, log: Path) -> httpx.Response:
    """Start ``housing-predictor`` on ``model_dir`` as the pod would, POST one V2 request, stop."""
    port = free_port()
    cmd = [sys.executable, "-m", "predictor", "--model_dir", str(model_dir)]
    cmd += ["--http_port", str(port), "--grpc_port", str(free_port())]
    body = {
        "inputs": [
            {
                "name": c,
                "datatype": "BYTES" if c == CATEGORICAL else "FP64",
                "shape": [len(rows)],
                "data": json.loads(rows[c].to_json(orient="values")),
            }
            for c in RAW_COLUMNS
        ]
    }
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(f"{url}/v2/health/ready", timeout=5).status_code == 200:
                        return httpx.post(f"{url}/v2/models/housing/infer", json=body, timeout=60)
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            raise AssertionError(f"predictor never ready: {log.read_text()[-3000:]}")
        finally:
            proc.terminate()
            proc.wait(60)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_kserve_storage_download_serves_v2_when_bundle_published_to_s3(
    s3_server, housing_csv, tmp_path, sample_frame
):
    quick = ("--sample-rows", "1500", "--cv-folds", "0", "--no-intervals")
    out = run_training(housing_csv, "s3://models/served", *quick, git_sha="kserve01")
    assert out.returncode == 0, out.stderr
    version = s3.get_text(s3.client(s3_server), "s3://models/served/LATEST").strip()

    model_dir = kserve_download(s3_server, f"s3://models/served/{version}", tmp_path / "mnt")
    assert "manifest.json" in _files(model_dir)

    response = infer_once(model_dir, sample_frame.head(3), tmp_path / "predictor.log")
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == version
    (prices,) = [o for o in response.json()["outputs"] if o["name"] == "median_house_value"]
    assert len(prices["data"]) == 3


def test_kserve_storage_skips_zero_byte_objects_when_downloading(s3_server, tmp_path):
    client = s3.client(s3_server)
    client.put_object(Bucket="models", Key="ks-zero/v1/manifest.json", Body=b"{}")
    client.put_object(Bucket="models", Key="ks-zero/v1/EMPTY", Body=b"")
    got = kserve_download(s3_server, "s3://models/ks-zero/v1", tmp_path / "mnt")
    assert _files(got) == {"manifest.json"}  # why publish refuses zero-byte files


def test_kserve_storage_pulls_sibling_prefix_when_version_prefixes_another(s3_server, tmp_path):
    client = s3.client(s3_server)
    client.put_object(Bucket="models", Key="ks-pre/v1/manifest.json", Body=b"{}")
    client.put_object(Bucket="models", Key="ks-pre/v1-2/manifest.json", Body=b"{}")
    got = kserve_download(s3_server, "s3://models/ks-pre/v1", tmp_path / "mnt")
    # no '/' delimiter: the sibling lands in the model dir; why publish refuses such versions
    assert _files(got) == {"manifest.json", "-2/manifest.json"}


def test_kserve_storage_downloads_pointer_text_not_bundle_when_uri_is_latest(s3_server, tmp_path):
    client = s3.client(s3_server)
    client.put_object(Bucket="models", Key="ks-ptr/v1/manifest.json", Body=b"{}")
    client.put_object(Bucket="models", Key="ks-ptr/LATEST", Body=b"v1\n")
    got = kserve_download(s3_server, "s3://models/ks-ptr/LATEST", tmp_path / "mnt")
    # it cannot follow the pointer: why the chart refuses s3://.../latest as a bundle URI
    assert _files(got) == {"LATEST"}

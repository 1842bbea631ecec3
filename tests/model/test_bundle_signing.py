"""Signed bundles: with a verification key, only manifests signed by training are loaded."""

import json
import os
import shutil
import subprocess
import sys

import joblib
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from model.bundle import MANIFEST, PIPELINE, file_digest, load_bundle
from model.errors import BundleError
from model.signing import SIGNATURE, BundleKeys, signature_file
from support import REPO, run_training


class _RunsOnUnpickle:
    """A pickle that creates a file when loaded: proof that unpickling happened."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _pem_private(key):
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def _pem_public(key):
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture()
def unsigned(tiny_bundle, tmp_path):
    return shutil.copytree(tiny_bundle, tmp_path / tiny_bundle.name)


@pytest.fixture()
def signed(unsigned, key):
    (unsigned / SIGNATURE).write_bytes(signature_file((unsigned / MANIFEST).read_bytes(), key))
    return unsigned


def _swap_pipeline(bundle, marker):
    """The attack of issue 11: a new pickle and its sha256 written into the manifest."""
    joblib.dump(_RunsOnUnpickle(marker), bundle / PIPELINE)
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["files"][PIPELINE] = file_digest(bundle / PIPELINE)
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def test_load_bundle_loads_a_signed_bundle_when_verify_key_matches(signed, key):
    bundle = load_bundle(signed, BundleKeys(verify=key.public_key()))
    assert bundle.version == signed.name


def test_load_bundle_refuses_unsigned_bundle_before_unpickling_when_verify_key_set(
    unsigned, key, tmp_path
):
    marker = tmp_path / "unpickled"
    _swap_pipeline(unsigned, marker)
    with pytest.raises(BundleError, match=r"unsigned bundle \(manifest.sig missing\) refused"):
        load_bundle(unsigned, BundleKeys(verify=key.public_key()))
    assert not marker.exists()


def test_load_bundle_refuses_swapped_pipeline_with_updated_sha_when_signed(signed, key, tmp_path):
    marker = tmp_path / "unpickled"
    _swap_pipeline(signed, marker)
    with pytest.raises(BundleError, match=r"manifest signature does not match"):
        load_bundle(signed, BundleKeys(verify=key.public_key()))
    assert not marker.exists()


def test_load_bundle_refuses_bundle_signed_with_another_key(signed):
    other = Ed25519PrivateKey.generate()
    with pytest.raises(BundleError, match=r"manifest signature does not match"):
        load_bundle(signed, BundleKeys(verify=other.public_key()))


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"algorithm": "hmac", "signature": ""}', b'{"algorithm": "ed25519"}'],
)
def test_load_bundle_refuses_unreadable_signature(signed, key, content):
    (signed / SIGNATURE).write_bytes(content)
    with pytest.raises(BundleError, match=r"manifest.sig: unreadable signature"):
        load_bundle(signed, BundleKeys(verify=key.public_key()))


def test_load_bundle_without_verify_key_still_loads_a_signed_bundle(signed):
    """The signature file is part of the bundle, not an unlisted extra file."""
    assert load_bundle(signed, BundleKeys()).version == signed.name


def test_load_bundle_verifies_with_the_key_from_the_environment(unsigned, key, monkeypatch):
    monkeypatch.setenv("HOUSING_BUNDLE_VERIFY_KEY", _pem_public(key))
    with pytest.raises(BundleError, match=r"unsigned bundle"):
        load_bundle(unsigned)


def test_load_bundle_verifies_with_the_key_file_from_the_environment(
    signed, key, monkeypatch, tmp_path
):
    (tmp_path / "verify.pem").write_text(_pem_public(key))
    monkeypatch.setenv("HOUSING_BUNDLE_VERIFY_KEY_FILE", str(tmp_path / "verify.pem"))
    assert load_bundle(signed).version == signed.name
    monkeypatch.setenv("HOUSING_BUNDLE_VERIFY_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(BundleError, match=r"HOUSING_BUNDLE_VERIFY_KEY_FILE: cannot read"):
        load_bundle(signed)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOUSING_BUNDLE_VERIFY_KEY", "secret-ish garbage", "not a PEM public key"),
        ("HOUSING_BUNDLE_SIGNING_KEY", "secret-ish garbage", "not an unencrypted PEM private"),
        ("HOUSING_BUNDLE_VERIFY_KEY", "ec-public", "not an Ed25519 key"),
        ("HOUSING_BUNDLE_SIGNING_KEY", "ec-private", "not an Ed25519 key"),
    ],
)
def test_bundle_keys_refuse_unusable_keys_without_echoing_them(
    monkeypatch, variable, value, message
):
    ec = generate_private_key(SECP256R1())
    value = {"ec-public": _pem_public(ec), "ec-private": _pem_private(ec)}.get(value, value)
    monkeypatch.setenv(variable, value)
    with pytest.raises(BundleError, match=message) as caught:
        BundleKeys.from_settings()
    assert "garbage" not in str(caught.value) and "BEGIN" not in str(caught.value)
    assert variable in str(caught.value)


def test_training_signs_and_batch_refuses_unsigned_when_keys_are_configured(
    housing_csv, unsigned, key, tmp_path
):
    """End to end through the entry points: housing-train signs, housing-batch verifies."""
    env = {"HOUSING_BUNDLE_SIGNING_KEY": _pem_private(key)}
    result = run_training(
        housing_csv, tmp_path / "signed", "--sample-rows", "3000", "--cv-folds", "0", env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    trained = (tmp_path / "signed" / "latest").resolve()
    assert (trained / SIGNATURE).is_file()
    assert load_bundle(trained, BundleKeys(verify=key.public_key())).version == trained.name

    src = tmp_path / "in.csv"
    src.write_text(
        "longitude,latitude,housing_median_age,total_rooms,total_bedrooms,population,"
        "households,median_income,ocean_proximity\n-122.2,37.8,41,880,129,322,126,8.3,NEAR BAY\n"
    )
    verify_env = {"HOUSING_BUNDLE_VERIFY_KEY": _pem_public(key)}
    out = tmp_path / "out.csv"
    for bundle, code in ((trained, 0), (unsigned, 2)):
        batch = subprocess.run(
            [
                sys.executable,
                "-m",
                "predictor.batch",
                "--bundle",
                bundle,
                "--input",
                src,
                "--output",
                out,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            env={**_base_env(), **verify_env},
        )
        assert batch.returncode == code, batch.stderr
    assert "unsigned bundle" in batch.stderr and "Traceback" not in batch.stderr


def _base_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("HOUSING_BUNDLE_")}

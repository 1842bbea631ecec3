"""Optional Ed25519 signatures of bundle manifests: who may publish a model, checked first.

The manifest lists the sha256 of every file, so a signature over its exact bytes authenticates
the whole bundle. Training signs with the private key; every process that loads bundles verifies
with the public key, so a pod that can read bundles cannot forge one. ``manifest.sig`` holds
``{"algorithm": "ed25519", "signature": "<base64>"}``.

The keys are read from the environment where bundles are written and loaded (not only in
``__main__``) on purpose: a process given a verification key must refuse unsigned bundles on
every path that loads one, not only on the paths that remember to pass the key along.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from pydantic import SecretStr

from model.errors import BundleError
from model.settings import HousingSettings

SIGNATURE = "manifest.sig"
ALGORITHM = "ed25519"


class SigningSettings(HousingSettings):
    """Bundle signing keys (``HOUSING_BUNDLE_*``), read wherever bundles are written or loaded."""

    bundle_signing_key: SecretStr | None = None
    """PEM Ed25519 private key (PKCS#8); training signs every bundle it writes when set."""
    bundle_signing_key_file: Path | None = None
    """File holding that private key (a mounted Secret); used when the key itself is unset."""
    bundle_verify_key: str | None = None
    """PEM Ed25519 public key; when set, unsigned or wrongly signed bundles are refused."""
    bundle_verify_key_file: Path | None = None
    """File holding that public key; used when the key itself is unset."""


@dataclass(frozen=True)
class BundleKeys:
    """The keys one process uses: sign what it writes, verify what it loads (each optional)."""

    signing: Ed25519PrivateKey | None = None
    verify: Ed25519PublicKey | None = None

    @classmethod
    def from_settings(cls, settings: SigningSettings | None = None) -> BundleKeys:
        """Parse the configured keys (default: from the environment).

        Raises:
            BundleError: a key (or key file) is configured but unreadable or not Ed25519 PEM.
        """
        s = settings or SigningSettings()
        private = s.bundle_signing_key.get_secret_value() if s.bundle_signing_key else None
        signing = _pem("HOUSING_BUNDLE_SIGNING_KEY", private, s.bundle_signing_key_file)
        verify = _pem("HOUSING_BUNDLE_VERIFY_KEY", s.bundle_verify_key, s.bundle_verify_key_file)
        return cls(
            signing=None if signing is None else _private(signing),
            verify=None if verify is None else _public(verify),
        )


def _pem(name: str, value: str | None, file: Path | None) -> bytes | None:
    if value:
        return value.encode()
    if file is None:
        return None
    try:
        return file.read_bytes()
    except OSError as e:
        raise BundleError(f"{name}_FILE: cannot read {file}: {e.strerror}") from e


def _private(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:  # never echo the key text
        raise BundleError("HOUSING_BUNDLE_SIGNING_KEY: not an unencrypted PEM private key") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError("HOUSING_BUNDLE_SIGNING_KEY: not an Ed25519 key")
    return key


def _public(pem: bytes) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise BundleError("HOUSING_BUNDLE_VERIFY_KEY: not a PEM public key") from e
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError("HOUSING_BUNDLE_VERIFY_KEY: not an Ed25519 key")
    return key


def signature_file(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """The content of ``manifest.sig`` for these exact manifest bytes."""
    signature = base64.b64encode(key.sign(manifest_bytes)).decode()
    return (json.dumps({"algorithm": ALGORITHM, "signature": signature}) + "\n").encode()


def verify(bundle: Path, manifest_bytes: bytes, key: Ed25519PublicKey) -> None:
    """Check ``manifest.sig`` of ``bundle`` against the manifest bytes already read.

    Raises:
        BundleError: no signature, an unreadable one, or one this key did not make.
    """
    file = bundle / SIGNATURE
    if file.is_symlink() or not file.is_file():
        raise BundleError(
            f"{bundle}: unsigned bundle ({SIGNATURE} missing) refused: "
            "HOUSING_BUNDLE_VERIFY_KEY is set, so only bundles signed by training are loaded"
        )
    try:
        doc = json.loads(file.read_bytes())
        if doc.get("algorithm") != ALGORITHM:
            raise ValueError(f"algorithm {str(doc.get('algorithm'))[:20]!r} is not {ALGORITHM}")
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
        raise BundleError(f"{file}: unreadable signature: {e}") from e
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature as e:
        raise BundleError(
            f"{bundle}: the manifest signature does not match (manifest changed after signing, "
            "or signed with another key); bundle refused"
        ) from e

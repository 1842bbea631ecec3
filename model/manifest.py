"""The bundle manifest: what a consumer may know about a bundle without unpickling anything.

``model.bundle`` reads and writes bundles through these; nothing else parses a manifest.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import sklearn
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from model.errors import BundleError
from model.paths import check_relative, check_version
from model.schema import CATEGORICAL, NUMERIC, TARGET

# The major version changes whenever a pickled step changes shape, so an older or newer bundle is
# refused by its manifest before anything is unpickled. 2: the evidence blend (a 49th feature
# column, model.evidence.EvidenceBlend) and trees with a small-batch path (model.forest).
FORMAT_VERSION = "2.0"
MANIFEST = "manifest.json"
PIPELINE = "pipeline.joblib"
INTERVAL = "interval.joblib"
REFERENCE = "reference.parquet"
LATEST = "latest"
PREDICTION = TARGET
LOWER, UPPER = f"{TARGET}_lower", f"{TARGET}_upper"
# Column of reference.parquet holding the bundle's own prediction of each reference row.
REFERENCE_PREDICTION = "prediction"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TensorSpec(_Strict):
    """One V2 input or output: name, datatype and shape (-1 = any number of rows)."""

    name: str
    datatype: Literal["FP64", "BYTES"]
    shape: list[int] = Field(default_factory=lambda: [-1])


class CodeInfo(_Strict):
    """What produced the bundle: our commit and the library versions that matter for unpickling."""

    git_sha: str
    python: str
    sklearn: str
    numpy: str
    pandas: str


class DataInfo(_Strict):
    """Lineage of the training data."""

    source: str
    sha256: str
    rows: int
    train_rows: int
    test_rows: int
    split: str
    test_size: float
    seed: int
    sample_rows: int | None = None
    cv: str


class Manifest(_Strict):
    """Everything a consumer may know about a bundle without unpickling it."""

    format_version: str = FORMAT_VERSION
    model_name: str = "housing"
    model_version: str
    created_at: str
    candidate: str
    code: CodeInfo
    data: DataInfo
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    feature_names: list[str]
    metrics: dict[str, Any]
    interval: dict[str, float] | None = None
    files: dict[str, str]

    @field_validator("model_version")
    @classmethod
    def _plain_version(cls, value: str) -> str:
        try:  # it names directories (bundle, reports): never a path
            return check_version(value)
        except BundleError as e:
            raise ValueError(str(e)) from e

    @field_validator("files")
    @classmethod
    def _files_inside(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            for rel in value:
                check_relative(rel)
        except BundleError as e:
            raise ValueError(f"files: {e}") from e
        return value

    @model_validator(mode="after")
    def _interval_declared(self) -> Manifest:
        """The manifest says whether the bundle has intervals, and the file must match that."""
        outputs = {o.name for o in self.outputs}
        declared = self.interval is not None or bool({LOWER, UPPER} & outputs)
        if declared != (INTERVAL in self.files):
            says = "declares" if declared else "does not declare"
            listed = "does not list" if declared else "lists"
            raise ValueError(
                f"the manifest {says} intervals (interval, outputs) but {listed} {INTERVAL}"
            )
        return self


def default_inputs() -> list[TensorSpec]:
    """One V2 input per raw column: FP64 for numbers, BYTES for the category."""
    return [TensorSpec(name=c, datatype="FP64") for c in NUMERIC] + [
        TensorSpec(name=CATEGORICAL, datatype="BYTES")
    ]


def default_outputs(with_interval: bool) -> list[TensorSpec]:
    """The prediction, plus the interval bounds when the bundle has quantile models."""
    names = [PREDICTION, LOWER, UPPER] if with_interval else [PREDICTION]
    return [TensorSpec(name=n, datatype="FP64") for n in names]


def code_info(git_sha: str) -> CodeInfo:
    """Versions of the running interpreter and libraries, for the manifest."""
    return CodeInfo(
        git_sha=git_sha,
        python=platform.python_version(),
        sklearn=sklearn.__version__,
        numpy=np.__version__,
        pandas=pd.__version__,
    )


def new_model_version(git_sha: str, now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-<sha7>``: sorts by time, names the code."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{(git_sha or 'nogit')[:7]}"


def read_manifest(path: Path) -> Manifest:
    """Parse and check ``manifest.json`` of the bundle at ``path`` (nothing is unpickled).

    The signature is not checked here: ``load_bundle`` does that before it unpickles.

    Raises:
        BundleError: no manifest, invalid manifest, or a format version this code cannot read.
    """
    return parse_manifest(path, manifest_bytes(path))


def manifest_bytes(path: Path) -> bytes:
    """The raw ``manifest.json`` of the bundle at ``path`` (what a signature covers)."""
    file = path / MANIFEST
    if file.is_symlink():
        raise BundleError(f"{file}: a symlink; a bundle holds only regular files")
    if not file.is_file():
        raise BundleError(f"{path}: not a model bundle (no {MANIFEST})")
    return file.read_bytes()


def parse_manifest(path: Path, data: bytes) -> Manifest:
    """Validate manifest bytes read from the bundle at ``path``; raises BundleError."""
    file = path / MANIFEST
    try:
        manifest = Manifest.model_validate(json.loads(data))
    except ValidationError as e:  # one line, every problem, each named by its field
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'manifest'}: {err['msg']}" for err in e.errors()
        )
        raise BundleError(f"{file}: invalid manifest: {problems}") from e
    except ValueError as e:
        raise BundleError(f"{file}: invalid manifest: {e}") from e
    check_format(path, manifest.format_version)
    return manifest


def check_format(path: Path, version: str) -> None:
    """Refuse a bundle whose format major version is not this code's, saying which way to go.

    Raises:
        BundleError: naming the bundle's version, this code's, and what to do.
    """
    ours = int(FORMAT_VERSION.split(".")[0])
    head = version.split(".")[0]
    theirs = int(head) if head.isdigit() else None
    if theirs == ours:
        return
    if theirs is not None and theirs < ours:
        advice = (
            f"older than this code's {FORMAT_VERSION}: its pickled model no longer fits this "
            "code; retrain it with this code (housing-train) or serve it with the release "
            "that wrote it"
        )
    elif theirs is not None:
        advice = f"newer than this code's {FORMAT_VERSION}: upgrade the code that loads it"
    else:
        advice = f"not a version this code knows (it reads {ours}.x)"
    raise BundleError(f"{path}: bundle format_version {version} is not supported: {advice}")

import json
import os
import re
import shutil

import pytest

from model.bundle import (
    FORMAT_VERSION,
    INTERVAL,
    MANIFEST,
    PIPELINE,
    REFERENCE,
    file_digest,
    load_bundle,
    read_manifest,
    write_bundle,
)
from model.errors import BundleError
from model.schema import CATEGORICAL, NUMERIC


@pytest.fixture()
def bundle_copy(tiny_bundle, tmp_path):
    return shutil.copytree(tiny_bundle, tmp_path / tiny_bundle.name)


def test_load_bundle_returns_manifest_and_models_when_untouched(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    assert bundle.version == tiny_bundle.name
    assert [i.name for i in bundle.manifest.inputs] == [*NUMERIC, CATEGORICAL]
    assert {i.datatype for i in bundle.manifest.inputs} == {"FP64", "BYTES"}
    assert bundle.interval is not None and bundle.interval.coverage == 0.9
    assert (
        bundle.manifest.data.sha256
        == "8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e"
    )


def test_manifest_lists_sha256_of_every_file_when_written(tiny_bundle):
    manifest = read_manifest(tiny_bundle)
    on_disk = {
        p.relative_to(tiny_bundle).as_posix()
        for p in tiny_bundle.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    assert set(manifest.files) == on_disk
    assert {
        "pipeline.joblib",
        "interval.joblib",
        "reference.parquet",
        "report/evaluation.md",
        "report/predicted_vs_actual.png",
    } <= on_disk
    assert all(v.startswith("sha256:") and len(v) == 71 for v in manifest.files.values())


def test_load_bundle_raises_when_pipeline_hash_mismatches(bundle_copy):
    with (bundle_copy / PIPELINE).open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(BundleError, match=r"pipeline.joblib: sha256:.* does not match"):
        load_bundle(bundle_copy)


def test_load_bundle_raises_when_file_added(bundle_copy):
    (bundle_copy / "evil.joblib").write_bytes(b"x")
    with pytest.raises(BundleError, match=r"evil.joblib: not listed"):
        load_bundle(bundle_copy)


def test_load_bundle_raises_when_file_missing(bundle_copy):
    (bundle_copy / "reference.parquet").unlink()
    with pytest.raises(BundleError, match=r"reference.parquet: missing"):
        load_bundle(bundle_copy)


def _edit_manifest(path, **changes):
    data = json.loads((path / MANIFEST).read_text())
    for dotted, value in changes.items():
        target = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    (path / MANIFEST).write_text(json.dumps(data))


def test_bundle_format_is_2_after_the_evidence_blend():
    """Bundles of format 1 (48 feature columns, no blend) do not run with this code."""
    assert FORMAT_VERSION == "2.0"


@pytest.mark.parametrize("version", ["1.0", "1.9", "0.1"])
def test_load_bundle_refuses_naming_version_when_format_older(bundle_copy, version):
    _edit_manifest(bundle_copy, format_version=version)
    with pytest.raises(
        BundleError,
        match=rf"format_version {re.escape(version)} is not supported: older than this code's 2.0"
        r".*retrain",
    ):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("version", ["3.0", "10.2"])
def test_load_bundle_refuses_naming_version_when_format_newer(bundle_copy, version):
    _edit_manifest(bundle_copy, format_version=version)
    with pytest.raises(
        BundleError,
        match=rf"format_version {re.escape(version)} is not supported: newer than this code's 2.0",
    ):
        load_bundle(bundle_copy)


def test_load_bundle_refuses_when_format_not_a_version(bundle_copy):
    _edit_manifest(bundle_copy, format_version="two")
    with pytest.raises(BundleError, match=r"format_version two is not supported: not a version"):
        load_bundle(bundle_copy)


def test_load_bundle_loads_when_only_the_format_minor_differs(bundle_copy):
    _edit_manifest(bundle_copy, format_version="2.7")
    assert load_bundle(bundle_copy).manifest.format_version == "2.7"


def test_load_bundle_refuses_when_sklearn_version_differs(bundle_copy):
    _edit_manifest(bundle_copy, code__sklearn="0.24.2")
    with pytest.raises(BundleError, match=r"trained with scikit-learn 0.24.2"):
        load_bundle(bundle_copy)


def test_load_bundle_refuses_when_manifest_has_unknown_field(bundle_copy):
    _edit_manifest(bundle_copy, surprise=1)
    with pytest.raises(BundleError, match=r"invalid manifest"):
        load_bundle(bundle_copy)


def test_load_bundle_raises_when_directory_missing(tmp_path):
    with pytest.raises(BundleError, match=r"no such bundle directory"):
        load_bundle(tmp_path / "nope")


def test_load_bundle_refuses_when_pickled_pipeline_no_longer_runs(tiny_bundle, tmp_path):
    """A stale pickle (fitted state this code no longer has) is refused at load, not at predict."""
    bundle = load_bundle(tiny_bundle)
    features = bundle.pipeline.steps[0][1]
    fitted = [k for k in vars(features) if k.endswith("_") and not k.startswith("_")]
    for name in fitted:  # as if pickled by a version of the class with other fitted state
        delattr(features, name)
    fields = bundle.manifest.model_dump(exclude={"files", "format_version"})
    write_bundle(
        tmp_path,
        manifest_fields=fields,
        pipeline=bundle.pipeline,
        interval=bundle.interval,
        reference=bundle.reference(),
    )
    with pytest.raises(BundleError, match="does not run with this code"):
        load_bundle(tmp_path / bundle.version)


@pytest.mark.parametrize("version", ["../../outside", "a/b", "..", ".tmp-x", "x" * 129, ""])
def test_read_manifest_refuses_when_model_version_is_not_a_plain_name(bundle_copy, version):
    """The version names report directories (rollout compare): ``../`` would write outside."""
    _edit_manifest(bundle_copy, model_version=version)
    with pytest.raises(BundleError, match=r"invalid manifest.*not a valid bundle name"):
        read_manifest(bundle_copy)


def test_read_manifest_accepts_model_version_at_the_length_limit(bundle_copy):
    _edit_manifest(bundle_copy, model_version="v" * 128)
    assert read_manifest(bundle_copy).model_version == "v" * 128


@pytest.mark.parametrize("rel", ["../outside.joblib", "/etc/passwd", "report/../../x", "a//b"])
def test_read_manifest_refuses_when_a_listed_file_leaves_the_bundle(bundle_copy, rel):
    data = json.loads((bundle_copy / MANIFEST).read_text())
    data["files"][rel] = data["files"][PIPELINE]
    (bundle_copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(BundleError, match=r"invalid manifest.*not a relative path inside"):
        read_manifest(bundle_copy)


def test_load_bundle_refuses_when_a_file_is_a_symlink_pointing_outside(bundle_copy, tmp_path):
    outside = tmp_path / "elsewhere.joblib"
    shutil.copy(bundle_copy / PIPELINE, outside)  # same bytes: the sha256 still matches
    (bundle_copy / PIPELINE).unlink()
    os.symlink(outside, bundle_copy / PIPELINE)
    with pytest.raises(BundleError, match=r"pipeline.joblib: a symlink \(to .*elsewhere.joblib"):
        load_bundle(bundle_copy)


def test_load_bundle_refuses_when_a_directory_is_a_symlink(bundle_copy, tmp_path):
    shutil.move(bundle_copy / "report", tmp_path / "report")
    os.symlink(tmp_path / "report", bundle_copy / "report")
    with pytest.raises(BundleError, match=r"report: a symlink"):
        load_bundle(bundle_copy)


def test_read_manifest_refuses_when_the_manifest_is_a_symlink(bundle_copy, tmp_path):
    shutil.move(bundle_copy / MANIFEST, tmp_path / MANIFEST)
    os.symlink(tmp_path / MANIFEST, bundle_copy / MANIFEST)
    with pytest.raises(BundleError, match=r"manifest.json: a symlink"):
        read_manifest(bundle_copy)


def _replace_file(bundle, rel, data):
    (bundle / rel).write_bytes(data)
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["files"][rel] = file_digest(bundle / rel)
    (bundle / MANIFEST).write_text(json.dumps(manifest))


def test_load_bundle_raises_bundle_error_when_reference_is_corrupt_but_hash_matches(bundle_copy):
    _replace_file(bundle_copy, REFERENCE, b"PAR1 this is not parquet PAR1")
    with pytest.raises(BundleError, match=r"reference.parquet: not a readable Parquet file"):
        load_bundle(bundle_copy)


def test_load_bundle_refuses_when_interval_file_removed_with_its_manifest_entry(bundle_copy):
    """Removing both must not turn a bundle with intervals into one that silently has none."""
    (bundle_copy / INTERVAL).unlink()
    data = json.loads((bundle_copy / MANIFEST).read_text())
    del data["files"][INTERVAL]
    (bundle_copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(BundleError, match=r"declares intervals .* does not list interval.joblib"):
        load_bundle(bundle_copy)


def test_load_bundle_refuses_when_interval_file_listed_but_not_declared(bundle_copy):
    _edit_manifest(bundle_copy, interval=None)
    data = json.loads((bundle_copy / MANIFEST).read_text())
    data["outputs"] = data["outputs"][:1]
    (bundle_copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(BundleError, match=r"does not declare intervals .* lists interval.joblib"):
        load_bundle(bundle_copy)


def test_load_bundle_reports_missing_when_declared_interval_file_is_gone(bundle_copy):
    (bundle_copy / INTERVAL).unlink()
    with pytest.raises(BundleError, match=r"interval.joblib: missing"):
        load_bundle(bundle_copy)

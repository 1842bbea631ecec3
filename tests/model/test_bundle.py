import json
import shutil

import pytest

from model.bundle import MANIFEST, PIPELINE, load_bundle, read_manifest, write_bundle
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


def test_load_bundle_refuses_when_format_major_unknown(bundle_copy):
    _edit_manifest(bundle_copy, format_version="2.0")
    with pytest.raises(BundleError, match=r"format_version 2.0 is not supported"):
        load_bundle(bundle_copy)


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
        interval=None,
        reference=bundle.reference(),
    )
    with pytest.raises(BundleError, match="does not run with this code"):
        load_bundle(tmp_path / bundle.version)

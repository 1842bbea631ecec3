"""``compare`` end to end on bundles trained by the real training code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.bundle import load_bundle
from model.predict import predict
from model.schema import RAW_COLUMNS, TARGET
from rollout.cli import main
from rollout.evidence import evaluation_data
from support import failure_line


def compare(
    tmp_path: Path, housing_csv: Path, champion: Path | str, challenger: Path | str, *extra: str
):
    out = io.StringIO()
    code = main(
        [
            "compare",
            "--champion",
            str(champion),
            "--challenger",
            str(challenger),
            "--dataset",
            str(housing_csv),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--bootstrap",
            "300",
            *extra,
        ],
        out=out,
    )
    return code, out.getvalue()


def test_holdout_is_rebuilt_exactly_as_training_split_it(tiny_bundle, linear_bundle, housing_csv):
    a, b = load_bundle(tiny_bundle), load_bundle(linear_bundle)
    rows = evaluation_data(a, b, labelled=None, dataset_path=housing_csv, cache_dir=None)
    assert len(rows.frame) == a.manifest.data.test_rows
    for bundle in (a, b):
        pred = predict(bundle, rows.frame.loc[:, list(RAW_COLUMNS)])[TARGET]
        rmse = float(np.sqrt(np.mean((rows.frame[TARGET].to_numpy() - pred) ** 2)))
        assert round(rmse, 1) == bundle.manifest.metrics["holdout"]["rmse"]


def test_compare_promotes_default_model_over_linear_and_writes_report(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    code, text = compare(tmp_path, housing_csv, linear_bundle, tiny_bundle)
    assert code == 0, text
    assert "decision: PROMOTE (exit 0)" in text
    assert "paired RMSE difference (challenger - champion)" in text
    assert "ocean_proximity=INLAND" in text and "median_income 2-3" in text
    report = Path(text.rsplit("report: ", 1)[1].strip())
    assert {p.name for p in report.parent.iterdir()} == {
        "report.md",
        "report.json",
        "residuals.png",
        "segments.png",
    }
    assert "![RMSE per segment](segments.png)" in report.read_text()


def test_compare_json_is_reproducible_with_the_same_seed(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    runs = [
        json.loads(
            compare(tmp_path, housing_csv, linear_bundle, tiny_bundle, "--json", "--no-report")[1]
        )
        for _ in range(2)
    ]
    assert runs[0]["metrics"] == runs[1]["metrics"] and runs[0]["segments"] == runs[1]["segments"]
    assert runs[0]["decision"] == "promote" and runs[0]["exit_code"] == 0
    assert {c["rule"] for c in runs[0]["checks"]} >= {
        "min_rows",
        "no_significant_loss",
        "significant_win",
        "data_quality",
    }
    other = json.loads(
        compare(
            tmp_path,
            housing_csv,
            linear_bundle,
            tiny_bundle,
            "--json",
            "--no-report",
            "--seed",
            "7",
        )[1]
    )
    assert other["metrics"]["rmse_diff"] != runs[0]["metrics"]["rmse_diff"]


def test_compare_rolls_back_when_challenger_drops_interval_outputs(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    code, text = compare(tmp_path, housing_csv, tiny_bundle, linear_bundle, "--no-report")
    assert code == 11
    assert "outputs missing that the champion serves" in text


def test_compare_keeps_canary_on_few_newly_labelled_rows(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    new = tmp_path / "new.csv"
    pd.read_csv(housing_csv).sample(150, random_state=3).to_csv(new, index=False)
    code, text = compare(
        tmp_path, housing_csv, linear_bundle, tiny_bundle, "--data", str(new), "--no-report"
    )
    assert code == 10
    assert f"{new} (150 labelled rows)" in text
    assert "only 150 labelled rows" in text


def test_compare_finds_bundles_by_version_and_pvc_uri_under_bundles_root(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    root = tiny_bundle.parent
    (root / linear_bundle.name).symlink_to(linear_bundle)
    code, _ = compare(
        tmp_path,
        housing_csv,
        linear_bundle.name,
        f"pvc://housing-bundles/{tiny_bundle.name}",
        "--bundles",
        str(root),
        "--no-report",
    )
    assert code == 0


@pytest.mark.parametrize(
    "argv_extra, message",
    [
        (["--champion", "/nonexistent/bundle"], "no such bundle directory"),
        (["--data", "/nonexistent/new.csv"], "no such file (--data)"),
    ],
)
def test_compare_exits_2_with_one_line_when_input_is_missing(
    tmp_path, housing_csv, tiny_bundle, capsys, argv_extra, message
):
    argv = [
        "compare",
        "--champion",
        str(tiny_bundle),
        "--challenger",
        str(tiny_bundle),
        "--dataset",
        str(housing_csv),
        "--no-report",
        *argv_extra,
    ]
    assert main(argv, out=io.StringIO()) == 2
    assert message in failure_line(capsys.readouterr().err)


def test_compare_adds_online_view_per_version_from_local_events(
    tmp_path, housing_csv, tiny_bundle, linear_bundle
):
    from datetime import UTC, datetime, timedelta

    from model.events import EventStoreWriter, PredictionEvent

    now = datetime.now(UTC).replace(microsecond=0)
    champion, challenger = linear_bundle.name, tiny_bundle.name
    events = [
        PredictionEvent(
            ts=now - timedelta(minutes=30, seconds=i),
            request_id=f"{v}-{i}",
            model_version=v,
            inputs={},
            outputs={TARGET: [2e5 + i * k]},
            latency_ms=3.0 * k,
            error="boom" if v == challenger and i < 3 else None,
        )
        for v, n, k in ((champion, 900, 1), (challenger, 100, 2))
        for i in range(n)
    ]
    EventStoreWriter(tmp_path / "events", "test").write(events)
    code, text = compare(
        tmp_path,
        housing_csv,
        linear_bundle,
        tiny_bundle,
        "--json",
        "--no-report",
        "--events",
        str(tmp_path / "events"),
        "--since",
        "2h",
        "--min-requests",
        "50",
    )
    data = json.loads(text)
    online = data["online"]
    assert online["champion"]["requests"] == 900 and online["challenger"]["errors"] == 3
    assert online["challenger"]["latency_p95_ms"] == 6.0 and online["ks"] > 0
    assert code == 11 and data["decision"] == "roll back"  # 3 % errors vs 0 %, latency 2x
    failed = {c["rule"] for c in data["checks"] if c["status"] == "fail"}
    assert failed == {"error_rate", "latency"}

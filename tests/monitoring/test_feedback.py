"""Labels in: `housing-feedback ingest` (CSV, JSONL) and the collector's POST /feedback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from model.labels import MAX_ROW, LabelStore
from monitoring.app import create_app
from monitoring.collector_settings import CollectorSettings
from monitoring.feedback_http import MAX_LABELS

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitoring.feedback_main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _labels(n: int, rid: str = "req-1", price: float = 200_000.0) -> list[dict[str, object]]:
    return [{"request_id": rid, "row": i, "median_house_value": price + i} for i in range(n)]


def test_ingest_stores_csv_labels_and_names_bad_rows_when_some_are_invalid(
    tmp_path: Path,
) -> None:
    source = tmp_path / "labels.csv"
    source.write_text(
        "request_id,row,median_house_value\n"
        "a,0,452600\n"
        "a,1,358500\n"
        ",2,100000\n"  # no request id
        "a,-1,100000\n"  # negative row
        "a,3,NaN\n"  # not a price
    )
    proc = _cli("ingest", str(source), "--labels-dir", str(tmp_path / "labels"))
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "received": 5,
        "stored": 2,
        "duplicates": 0,
        "conflicts": 0,
        "invalid": 3,
        "problems": [
            f"{source}[3].request_id: '' is not a non-empty string",
            f"{source}[4].row: '-1' is not a row index (an integer >= 0)",
            f"{source}[5].median_house_value: 'NaN' is not a price in (0, 1e+07]",
        ],
    }
    assert "[4].row" in proc.stderr
    assert len(LabelStore(tmp_path / "labels")) == 2


def test_ingest_is_idempotent_and_refuses_conflicts_when_jsonl_is_sent_twice(
    tmp_path: Path,
) -> None:
    source = tmp_path / "labels.jsonl"
    source.write_text("".join(json.dumps(x) + "\n" for x in _labels(3)))
    store = str(tmp_path / "labels")
    first = _cli("ingest", str(source), "--labels-dir", store)
    again = _cli("ingest", str(source), "--labels-dir", store)
    assert (first.returncode, json.loads(first.stdout)["stored"]) == (0, 3)
    assert again.returncode == 0
    assert json.loads(again.stdout) | {"problems": []} == {
        "received": 3,
        "stored": 0,
        "duplicates": 3,
        "conflicts": 0,
        "invalid": 0,
        "problems": [],
    }
    source.write_text(json.dumps(_labels(1, price=999_999.0)[0]) + "\n")
    conflict = _cli("ingest", str(source), "--labels-dir", store)
    assert conflict.returncode == 2
    assert "request_id 'req-1' row 0 already has median_house_value 200000, not 999999" in (
        conflict.stderr
    )
    assert LabelStore(tmp_path / "labels").frame()["median_house_value"].tolist()[0] == 200_000


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("labels.txt", "x", "expected a .csv or .jsonl file"),
        ("labels.jsonl", '{"request_id": "a"\n', "line 1: not JSON"),
        ("missing.csv", None, "cannot read"),
    ],
)
def test_ingest_exits_2_with_one_line_when_the_file_is_unusable(
    tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    source = tmp_path / name
    if text is not None:
        source.write_text(text)
    proc = _cli("ingest", str(source), "--labels-dir", str(tmp_path / "labels"))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = CollectorSettings(
        events_uri=str(tmp_path / "events"),
        collector_pending_dir=tmp_path / "pending",
        labels_dir=tmp_path / "labels",
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_post_feedback_stores_once_when_the_same_body_is_retried(
    client: TestClient, tmp_path: Path
) -> None:
    body = {"labels": _labels(3)}
    first = client.post("/feedback", json=body)
    retry = client.post("/feedback", json=body)
    assert (first.status_code, first.json()) == (200, {"received": 3, "stored": 3, "duplicates": 0})
    assert (retry.status_code, retry.json()) == (200, {"received": 3, "stored": 0, "duplicates": 3})
    assert len(LabelStore(tmp_path / "labels")) == 3


def test_post_feedback_refuses_the_whole_body_with_409_when_a_key_has_another_value(
    client: TestClient, tmp_path: Path
) -> None:
    client.post("/feedback", json={"labels": _labels(1)})
    body = {"labels": [*_labels(1, rid="req-2"), {**_labels(1)[0], "median_house_value": 1.0}]}
    answer = client.post("/feedback", json=body)
    assert answer.status_code == 409
    assert answer.json()["error"] == (
        "labels[1]: request_id 'req-1' row 0 already has median_house_value 200000, not 1"
    )
    assert len(LabelStore(tmp_path / "labels")) == 1  # req-2 was not stored either


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"labels": [{"request_id": "a", "row": 0}]}, "labels[0].median_house_value: None"),
        ({"labels": [{"request_id": "a", "row": "x", "median_house_value": 1e5}]}, "labels[0].row"),
        ({"labels": [{"request_id": "a", "row": 1.5, "median_house_value": 1e5}]}, "labels[0].row"),
        ({"labels": [{"row": 0, "median_house_value": 1e5}]}, "labels[0].request_id: None"),
        ({"labels": []}, "labels: expected a non-empty list"),
        ({"rows": []}, "labels: expected a non-empty list"),
        ([1, 2], "labels: expected a non-empty list"),
    ],
)
def test_post_feedback_answers_400_naming_the_field_when_a_label_is_invalid(
    client: TestClient, body: object, message: str
) -> None:
    answer = client.post("/feedback", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_post_feedback_answers_400_when_the_body_is_not_json(client: TestClient) -> None:
    answer = client.post("/feedback", content=b"{nope")
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("body: not JSON")


def test_post_feedback_accepts_max_labels_and_refuses_one_more_with_413(
    client: TestClient,
) -> None:
    at_limit = client.post("/feedback", json={"labels": _labels(MAX_LABELS, rid="big")})
    over = client.post("/feedback", json={"labels": _labels(MAX_LABELS + 1, rid="bigger")})
    assert (at_limit.status_code, at_limit.json()["stored"]) == (200, MAX_LABELS)
    assert over.status_code == 413
    assert f"at most {MAX_LABELS}" in over.json()["error"]


def test_post_feedback_answers_503_and_stores_nothing_when_the_store_is_unwritable(
    tmp_path: Path,
) -> None:
    (tmp_path / "labels").write_text("a file where the store directory should be")
    settings = CollectorSettings(
        events_uri=str(tmp_path / "events"),
        collector_pending_dir=tmp_path / "pending",
        labels_dir=tmp_path / "labels",
    )
    with TestClient(create_app(settings)) as c:
        answer = c.post("/feedback", json={"labels": _labels(1)})
    assert answer.status_code == 503
    assert answer.json()["error"].startswith("label store unavailable")


def test_post_feedback_takes_the_largest_row_index_and_refuses_one_more_with_400(
    client: TestClient,
) -> None:
    def post(row: int) -> Any:
        return client.post(
            "/feedback",
            json={"labels": [{"request_id": "a", "row": row, "median_house_value": 1e5}]},
        )

    at_limit, over = post(MAX_ROW), post(MAX_ROW + 1)
    assert (at_limit.status_code, at_limit.json()["stored"]) == (200, 1)
    assert (over.status_code, over.json()["error"]) == (
        400,
        f"labels[0].row: {MAX_ROW + 1} is over the largest row index, {MAX_ROW}",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (  # float() of this integer overflows; the value is cut in the message
            b'{"labels": [{"request_id": "a", "row": 0, "median_house_value": 1'
            + b"0" * 400
            + b"}]}",
            f"labels[0].median_house_value: 1{'0' * 39}… (401 characters)"
            " is not a price in (0, 1e+07]",
        ),
        (b'{"labels": ' + b"[" * 5000 + b"]" * 5000 + b"}", "body: nested too deeply"),
        (b'{"labels": [{"request_id": "' + b"x" * 5000 + b'"}]}', "labels[0].request_id: longer"),
    ],
)
def test_post_feedback_answers_400_not_500_when_a_value_breaks_python(
    client: TestClient, raw: bytes, message: str
) -> None:
    answer = client.post("/feedback", content=raw)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)
    assert len(answer.json()["error"]) < 200  # client values are echoed cut, never whole


def test_post_feedback_answers_413_naming_the_limit_when_the_body_is_one_byte_over_it(
    tmp_path: Path,
) -> None:
    settings = CollectorSettings(
        events_uri=str(tmp_path / "events"),
        collector_pending_dir=tmp_path / "pending",
        labels_dir=tmp_path / "labels",
        collector_max_body_bytes=1024,
    )
    label = json.dumps({"labels": _labels(1)}).encode()
    at_limit, over = label + b" " * (1024 - len(label)), label + b" " * (1025 - len(label))
    with TestClient(create_app(settings)) as c:
        answers = [c.post("/feedback", content=body) for body in (at_limit, over)]
    assert [a.status_code for a in answers] == [200, 413]
    assert answers[1].json()["error"] == (
        "body: over the limit of 1024 bytes (HOUSING_COLLECTOR_MAX_BODY_BYTES)"
    )

"""Labelled outcomes from files: CSV or JSON lines, local or ``s3://``, into the label store.

The store and the label record are ``model.labels`` (rollout reads them too).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from model import s3
from model.errors import HousingError
from model.labels import Ingested, Label, LabelStore, parse


class FeedbackError(HousingError):
    """Labels that cannot be read (bad file, unknown format)."""


def read_records(uri: str, endpoint_url: str | None = None) -> list[dict[str, Any]]:
    """The records of a ``.csv`` or ``.jsonl`` file, local or ``s3://``.

    Raises:
        FeedbackError: unknown extension, unreadable file, or a JSON line that does not parse.
    """
    name = uri.rsplit("/", 1)[-1].lower()
    try:
        if s3.is_s3(uri):
            text = s3.get_text(s3.client(endpoint_url), uri)
        else:
            text = Path(uri).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FeedbackError(f"labels: cannot read {uri}: {e}") from e
    except Exception as e:  # botocore's errors share no base we import here
        raise FeedbackError(f"labels: cannot read {uri}: {e}") from e
    if name.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    if name.endswith((".jsonl", ".ndjson")):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as e:
                    raise FeedbackError(f"labels: {uri} line {number}: not JSON ({e})") from e
        return records
    raise FeedbackError(f"labels: {uri}: expected a .csv or .jsonl file")


def ingest(
    records: Iterable[Mapping[str, Any]], store: LabelStore, source: str, origin: str
) -> Ingested:
    """Validate every record and store the valid ones; invalid ones are counted and named."""
    valid, invalid = [], []
    for i, record in enumerate(records, start=1):
        where = f"{origin}[{i}]"
        got = parse(record, where)
        (valid.append((where, got)) if isinstance(got, Label) else invalid.append(got))
    result = store.add(valid, source)
    result.received += len(invalid)
    result.invalid = invalid
    return result

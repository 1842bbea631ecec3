"""``compare``: load both bundles, gather offline (and online) evidence, apply the gate, report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from model import s3
from model.errors import DataError
from rollout import bundles, evidence, online, online_labels, report
from rollout.gate import GateConfig, decide
from rollout.settings import RolloutSettings

_SPAN = re.compile(r"(\d+)([hd])")


def parse_since(text: str, now: datetime) -> datetime:
    """``24h``, ``7d`` (before ``now``) or an ISO timestamp (UTC when no zone is given).

    Raises:
        DataError: neither form.
    """
    if m := _SPAN.fullmatch(text.strip()):
        n, unit = int(m.group(1)), m.group(2)
        return now - (timedelta(hours=n) if unit == "h" else timedelta(days=n))
    try:
        ts = datetime.fromisoformat(text)
    except ValueError as e:
        raise DataError(f"--since {text!r}: not 24h, 7d or an ISO timestamp") from e
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def run(
    settings: RolloutSettings,
    *,
    champion: str,
    challenger: str,
    labelled: Path | None,
    since: str,
    until: str | None,
    n_boot: int,
    seed: int,
    gate: GateConfig,
    as_json: bool,
    write_report: bool,
    out: TextIO,
) -> int:
    """Compare two bundles; prints the table (or JSON) and returns the gate's exit code."""
    a, b = (
        bundles.load(
            uri, bundles_root=settings.bundles_uri, s3_endpoint_url=settings.s3_endpoint_url
        )
        for uri in (champion, challenger)
    )
    rows = evidence.evaluation_data(
        a, b, labelled=labelled, dataset_path=settings.data_path, cache_dir=settings.data_cache
    )
    off = evidence.offline(
        a,
        b,
        rows,
        n_boot=n_boot,
        seed=seed,
        confidence=0.95,
        min_segment_rows=gate.min_segment_rows,
    )
    on = None
    if settings.events_uri:
        now = datetime.now(UTC)
        end = parse_since(until, now) if until else now
        uri = settings.events_uri
        if not s3.is_s3(uri) and not Path(uri).is_dir():
            raise DataError(f"{uri}: no such event store directory (--events)")
        on = online.collect(
            uri,
            parse_since(since, now),
            end,
            a.version,
            b.version,
            s3_endpoint_url=settings.s3_endpoint_url,
        )
    online_rows = None
    if settings.events_uri and settings.labels_dir:
        now = datetime.now(UTC)
        online_rows = online_labels.collect(
            settings.events_uri,
            settings.labels_dir,
            parse_since(since, now),
            parse_since(until, now) if until else now,
            (a.version, b.version),
            n_boot=n_boot,
            seed=seed,
            s3_endpoint_url=settings.s3_endpoint_url,
        )
    result = report.Comparison(a, b, off, on, decide(off, on, gate), gate, n_boot, seed)
    if write_report:
        path = report.write(result, settings.reports_dir / "rollout" / f"{a.version}--{b.version}")
    if as_json:
        view = report.as_json(result)
        view["report"] = str(path) if write_report else None
        view["online_labelled"] = [v.summary() for v in online_rows] if online_rows else None
        print(json.dumps(view, indent=2, default=str), file=out)
    else:
        print(report.table(result), file=out)
        if online_rows:
            print(online_labels.text(online_rows), file=out)
        if write_report:
            print(f"report: {path}", file=out)
    return result.decision.outcome.exit_code

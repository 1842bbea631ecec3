"""``housing-batch``: predict a CSV with the same validation and pipeline as the server.

Bad rows are reported (CSV line, column, reason) and left out of the predictions; good rows are
never lost because of them. The output keeps the id column when one is named, else the CSV line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from model import cli
from model.bundle import LOWER, PREDICTION, UPPER, Bundle, load_bundle
from model.errors import DataError, HousingError
from model.predict import predict
from model.schema import RAW_COLUMNS, find_problems
from model.settings import HousingSettings
from predictor.csv_records import Chunk, read_chunks

logger = logging.getLogger(__name__)


def predict_chunk(
    bundle: Bundle, chunk: Chunk, id_column: str | None, interval: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions for the chunk's valid rows and one problem row per violation.

    Raises:
        HousingError: the id column or a schema column is missing (no row can be predicted).
    """
    data = chunk.frame
    if id_column and id_column not in data.columns:
        raise HousingError(
            f"{id_column}: id column not in the input (columns: {list(data.columns)})"
        )
    frame, problems = find_problems(data)
    if any(p.row is None for p in problems):  # a whole column is missing: no row can be predicted
        raise HousingError("; ".join(p.message for p in problems if p.row is None))
    rejected = [(row, "", why) for row, why in chunk.malformed.items()] + [
        (p.row, p.column, p.message)
        for p in problems
        if p.row is not None and p.row not in chunk.malformed  # its cells are placeholders
    ]
    bad_rows = sorted({row for row, _, _ in rejected})
    good = frame.drop(index=bad_rows)
    keys = data[id_column] if id_column else pd.Series(chunk.lines, index=data.index)
    out = pd.DataFrame({id_column or "line": keys.drop(index=bad_rows)})
    if len(good):
        for name, values in predict(bundle, good, interval=interval).items():
            out[name] = values
    else:
        out = out.assign(
            **{
                n: pd.Series(dtype=float)
                for n in ([PREDICTION, LOWER, UPPER] if interval else [PREDICTION])
            }
        )
    errors = pd.DataFrame(
        [
            {"line": chunk.lines[row], "column": column, "problem": message}
            for row, column, message in rejected
        ],
        columns=["line", "column", "problem"],
    )
    return out, errors


def _write(
    bundle: Bundle,
    chunk: Chunk,
    first: bool,
    output_csv: Path,
    errors_csv: Path,
    id_column: str | None,
    interval: bool,
) -> tuple[int, int]:
    out, errors = predict_chunk(bundle, chunk, id_column, interval)
    out.to_csv(output_csv, mode="w" if first else "a", header=first, index=False)
    errors.to_csv(errors_csv, mode="w" if first else "a", header=first, index=False)
    return len(out), int(errors["line"].nunique())


def run(
    bundle_dir: Path,
    input_csv: Path,
    output_csv: Path,
    errors_csv: Path,
    id_column: str | None,
    interval: bool,
    chunk_rows: int = 100_000,
) -> int:
    """Predict ``input_csv`` in chunks; returns the exit code (0, or 2 if any row was bad).

    Raises:
        HousingError: bad bundle, or an input that is not a readable CSV with the schema columns.
    """
    bundle = load_bundle(bundle_dir)
    header, chunks = read_chunks(input_csv, chunk_rows, id_column)
    no_rows = Chunk(pd.DataFrame(columns=header, dtype=object), [])  # header-only: empty outputs
    with threadpool_limits(1):  # OpenMP threads oversubscribe small machines; measured, see bench/
        done = bad = 0
        for i, chunk in enumerate(chunks):
            rows, rejected = _write(
                bundle, chunk, i == 0, output_csv, errors_csv, id_column, interval
            )
            done, bad = done + rows, bad + rejected
        if not done + bad:
            _write(bundle, no_rows, True, output_csv, errors_csv, id_column, interval)
    logger.info(
        "batch_done", extra={"model_version": bundle.version, "rows": done, "bad_rows": bad}
    )
    print(f"{done} rows predicted with model {bundle.version} -> {output_csv}")
    if bad:
        print(f"{bad} rows rejected (line, column, reason) -> {errors_csv}", file=sys.stderr)
    return 2 if bad else 0


def _parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="housing-batch", description=__doc__)
    p.add_argument("--bundle", type=Path, required=True, help="bundle directory (or latest link)")
    p.add_argument("--input", type=Path, required=True, help=f"CSV with {', '.join(RAW_COLUMNS)}")
    p.add_argument("--output", type=Path, required=True, help="predictions CSV")
    p.add_argument("--errors", type=Path, help="rejected rows CSV (default: <output>.errors.csv)")
    p.add_argument("--id-column", help="column copied to the output to join predictions back")
    p.add_argument("--interval", action="store_true", help="add the 90 %% interval bounds")
    cli.add_settings_flags(p, HousingSettings, ("log_level",))
    return p


def _job(_: HousingSettings, a: argparse.Namespace) -> int:
    errors = a.errors or a.output.with_suffix(".errors.csv")
    try:
        return run(a.bundle, a.input, a.output, errors, a.id_column, a.interval)
    except OSError as e:  # unreadable input or unwritable output
        raise DataError(str(e)) from e


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``housing-batch``."""
    return cli.run("housing-batch", _parser, HousingSettings, _job, argv)


if __name__ == "__main__":
    sys.exit(main())

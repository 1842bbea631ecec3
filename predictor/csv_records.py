"""Read a batch CSV as records that know their line: every data row is kept or rejected, never lost.

pandas' reader numbers rows, not lines (a quoted newline shifts every later line), fails the whole
file on one row with too many fields, and turns ids such as ``NA`` into blanks. This reader keeps
each row's first physical line, rejects a malformed row alone, and leaves the id column verbatim.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from model.errors import HousingError

# pandas' default NA strings (read_csv ``keep_default_na``): the schema columns keep that meaning.
NA_STRINGS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"}
    | {"<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)


class _LineCounter(Protocol):
    line_num: int


@dataclass
class Chunk:
    """Up to ``chunk_rows`` data rows: cells as text (NA strings as NaN except in the id column)."""

    frame: pd.DataFrame
    lines: list[int]
    """First physical line of each row (the header is line 1)."""
    malformed: dict[int, str] = field(default_factory=dict)
    """Row position -> why the row could not be split into the header's fields."""


def _lines(path: Path) -> Iterator[str]:
    """Decoded lines, naming the line that is not UTF-8 (a BOM is dropped)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if b"\x00" in raw:  # text never holds NUL; Python's csv reader would pass it on
                raise HousingError(
                    f"{path}: line {number} holds a NUL byte: a binary file, not CSV"
                )
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise HousingError(
                    f"{path}: line {number} is not UTF-8 text (byte {raw[e.start]:#04x} at column "
                    f"{e.start + 1}); save the file as UTF-8 CSV"
                ) from e


def _header(rows: Iterator[list[str]], path: Path) -> list[str]:
    for row in rows:
        if any(cell.strip() for cell in row):
            duplicates = sorted({c for c in row if row.count(c) > 1})
            if duplicates:
                raise HousingError(f"{path}: header names column(s) {duplicates} more than once")
            return row
    raise HousingError(f"{path}: the file is empty (no header line with column names)")


def read_chunks(
    path: Path, chunk_rows: int, id_column: str | None = None
) -> tuple[list[str], Iterator[Chunk]]:
    """The header and an iterator of chunks of the CSV at ``path``.

    Raises:
        HousingError: the file is empty, not UTF-8 text, holds a NUL byte or a broken quote, or
            its header repeats a column (raised when first met, also while iterating).
    """
    reader = csv.reader(_lines(path), skipinitialspace=True)
    rows = _checked(reader, path)
    header = _header(rows, path)
    return header, _chunks(rows, reader, header, chunk_rows, id_column)


def _checked(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as e:  # e.g. a field over csv's size limit
        line = getattr(reader, "line_num", "?")
        raise HousingError(f"{path}: line {line}: {e}; this is not a CSV text file") from e


def _chunks(
    rows: Iterator[list[str]],
    reader: _LineCounter,
    header: list[str],
    chunk_rows: int,
    id_column: str | None,
) -> Iterator[Chunk]:
    width, end = len(header), reader.line_num
    cells: list[list[str]] = []
    lines: list[int] = []
    malformed: dict[int, str] = {}
    for row in rows:
        start, end = end + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip() and width > 1):
            continue  # a blank line is no row (as in pandas)
        if len(row) != width:
            malformed[len(cells)] = f"row has {len(row)} fields, the header has {width}"
            row = [""] * width
        cells.append(row)
        lines.append(start)
        if len(cells) == chunk_rows:
            yield _chunk(cells, lines, malformed, header, id_column)
            cells, lines, malformed = [], [], {}
    if cells:
        yield _chunk(cells, lines, malformed, header, id_column)


def _chunk(
    cells: list[list[str]],
    lines: list[int],
    malformed: dict[int, str],
    header: list[str],
    id_column: str | None,
) -> Chunk:
    frame = pd.DataFrame(cells, columns=header, dtype=object)
    for name in header:
        if name != id_column:  # ids stay text as written: "NA" is a district, not a gap
            column = frame[name]
            frame[name] = column.where(~column.isin(NA_STRINGS), np.nan)
    return Chunk(frame, lines, malformed)

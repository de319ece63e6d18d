"""Read a Parquet claim file: the CSV's columns (docs/claims.md), one row per claim line, as a
data lake keeps them. Each column is read as text (dates as YYYY-MM-DD, numbers as digits, a
list column joined with `|`, a null as an empty cell) and goes through the CSV reader's
conversions and claim assembly (`read_csv.read_rows`), so a bad value is the same `error`
finding, naming its row (rows counted from 1, the file's first record). Read a row group
batch at a time: memory is one batch and the reader's window, whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from medref.claims.model import Claim, Setting
from medref.claims.read_csv import BATCH_ROWS, WINDOW_ROWS, read_rows
from medref.errors import InputError


def read_parquet(
    path: Path,
    *,
    setting: Setting = "practitioner",
    column_map: dict[str, str] | None = None,
    window_rows: int = WINDOW_ROWS,
) -> Iterator[Claim]:
    try:
        source = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: not a Parquet file ({exc}). What to do: give a Parquet file with the "
            "columns of docs/claims.md, or name a CSV file .csv"
        ) from None

    def chunks() -> Iterator[list[list[str]]]:
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            columns = [as_text(column) for column in batch.columns]
            yield [list(row) for row in zip(*columns, strict=True)]

    yield from read_rows(
        list(source.schema_arrow.names),
        chunks(),
        setting=setting,
        name=str(path),
        column_map=column_map,
        window_rows=window_rows,
        first_row=1,
    )


def as_text(column: pa.Array) -> list[str]:
    """A column's values as the text a CSV cell would hold."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        column = pc.binary_join(column.cast(pa.list_(pa.string())), "|")
    elif pa.types.is_timestamp(kind):
        column = column.cast(pa.date32())
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    texts: list[str] = column.fill_null("").to_pylist()
    return texts

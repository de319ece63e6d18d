"""Claim files as a data lake keeps them (Parquet, typed), for the reader and engine tests."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def as_parquet(csv_path: Path, parquet_path: Path) -> Path:
    """The CSV as a lake would type it: dates as dates, numbers as integers, the modifier
    and diagnosis lists as lists of strings, codes and places of service as text."""
    table = pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(
            column_types={
                "code": pa.string(),
                "place_of_service": pa.string(),
                "modifiers": pa.string(),
                "diagnoses": pa.string(),
                "date_of_service": pa.date32(),
                "units": pa.int64(),
                "line": pa.int32(),
            },
            strings_can_be_null=True,
        ),
    )
    for name in ("modifiers", "diagnoses"):
        at = table.schema.get_field_index(name)
        split = pc.split_pattern(table.column(name).fill_null(""), "|")
        lists = pa.array(
            [[v for v in values if v] for values in split.to_pylist()], pa.list_(pa.string())
        )
        table = table.set_column(at, name, lists)
    pq.write_table(table, parquet_path)
    return parquet_path

"""Findings from Arrow tables straight to a file (`.parquet`, `.csv`, `.jsonl`), a chunk at a
time, with the fields and types of `medref.claims.output.write_findings` (the stream
engine's writer): no Python object per finding.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import pyarrow as pa

from medref.claims.output import FIELDS, output_format

OUT_SCHEMA = pa.schema([(name, pa.int32() if name == "line" else pa.string()) for name in FIELDS])


def out_table(table: pa.Table) -> pa.Table:
    """A findings table with exactly the output columns (`allowed_amount` empty: the
    columnar engines do not price)."""
    columns = [
        table[name].cast(OUT_SCHEMA.field(name).type)
        if name in table.column_names
        else pa.nulls(table.num_rows, pa.string())
        for name in FIELDS
    ]
    return pa.Table.from_arrays(columns, schema=OUT_SCHEMA)


class TableWriter:
    """Append findings tables to one file; `count` is how many rows were written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = output_format(path)
        self.count = 0
        self._parquet = None
        self._csv = None
        self._jsonl = None
        if self.kind == ".parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(path, OUT_SCHEMA)
        elif self.kind == ".csv":
            import pyarrow.csv as pcsv

            options = pcsv.WriteOptions(quoting_style="needed", eol="\r\n")
            self._csv = pcsv.CSVWriter(str(path), OUT_SCHEMA, write_options=options)
        else:
            self._jsonl = path.open("wb")

    def write(self, table: pa.Table) -> None:
        table = out_table(table)
        self.count += table.num_rows
        if self._parquet is not None:
            self._parquet.write_table(table)
        elif self._csv is not None:
            self._csv.write_table(table)
        elif self._jsonl is not None and table.num_rows:
            self._write_jsonl(table)

    def _write_jsonl(self, table: pa.Table) -> None:
        """DuckDB writes the JSON Lines (one object a finding, the fields in order, nulls as
        null); the chunk's part file is appended to the output."""
        import duckdb

        assert self._jsonl is not None
        with tempfile.TemporaryDirectory(prefix="medref-jsonl-") as folder:
            part = Path(folder) / "part.jsonl"
            con = duckdb.connect(":memory:")
            try:
                con.register("chunk", table)
                target = str(part).replace("'", "''")
                con.execute(f"COPY chunk TO '{target}' (FORMAT json)")
            finally:
                con.close()
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, self._jsonl)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._jsonl is not None:
            self._jsonl.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

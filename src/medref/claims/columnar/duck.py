"""The plan on one machine: DuckDB over the Parquet edit tables, in-process.

`DuckChecker` holds one DuckDB connection with the edit tables loaded (once per process, as
the streaming engine's `EditTables`), registers a batch's `LineTables` and the facts of its
distinct values, and runs the plan's views; findings come back as an Arrow table, or go
straight to a Parquet / CSV / JSON Lines file (`write`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from medref.claims.columnar import facts
from medref.claims.columnar.csv_fast import Staged, stage
from medref.claims.columnar.dialect import DUCKDB
from medref.claims.columnar.edit_parquet import TABLES
from medref.claims.columnar.inputs import LineTables, outside_table
from medref.claims.columnar.plan import views
from medref.claims.model import PROBLEM_STATUSES, Setting

MEMORY_LIMIT = "1GB"
"""DuckDB's working memory; past it, joins, sorts and staged tables spill to a temporary
folder (a 10-million-line batch stays near this, whatever its size)."""
BATCH_ROWS = 262_144
"""Findings handed out (and written) per Arrow record batch."""
FINDING_SCHEMA = pa.schema(
    [
        ("claim_id", pa.string()),
        ("line", pa.int32()),
        ("rule", pa.string()),
        ("status", pa.string()),
        ("ref", pa.string()),
        ("message", pa.string()),
        ("vintage", pa.string()),
    ]
)


class DuckChecker:
    def __init__(
        self, tables: Path, *, threads: int | None = None, memory_limit: str | None = None
    ) -> None:
        self.con = duckdb.connect(":memory:")
        self.spill = tempfile.TemporaryDirectory(prefix="medref-duckdb-")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute(f"SET memory_limit = '{memory_limit or MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{self.spill.name}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # stdout carries findings
        for name in TABLES:
            path = str(tables / f"{name}.parquet").replace("'", "''")
            self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
        self.labs = frozenset(
            row[0] for row in self.con.execute("SELECT code FROM labs").fetchall()
        )
        releases = self.con.sql("SELECT * FROM releases").to_arrow_table().to_pylist()
        self.con.register("outside", outside_table(releases))
        for name, value in (
            ("indicator_facts", facts.indicator_facts()),
            ("status_facts", facts.status_facts()),
            ("mai_facts", facts.mai_facts()),
        ):
            self.con.register(name, value)
        self.plan = views(DUCKDB)
        self.facts_made = False

    def register(self, batch: LineTables) -> None:
        """The batch's tables, and the facts of its distinct values not seen in an earlier
        chunk (the facts tables grow across the chunks of a run)."""
        con = self.con
        for name in ("lines", "line_mods", "claim_dx"):
            con.register(f"{name}_arrow", getattr(batch, name))
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            con.unregister(f"{name}_arrow")
        self.make_facts()

    def stage_csv(
        self, path: Path, setting: Setting, column_map: dict[str, str] | None, chunk_lines: int
    ) -> Staged | None:
        """A clean CSV file's claims staged in this connection (`csv_fast.py`), or None when
        the file needs the streaming reader."""
        return stage(self.con, path, setting, column_map, chunk_lines)

    def staged_findings(self, chunk: int, passes: bool = True) -> pa.RecordBatchReader:
        """The findings of one chunk of the staged claims, in claim order."""
        con = self.con
        for name, staged in (
            ("lines", "all_lines"),
            ("line_mods", "all_mods"),
            ("claim_dx", "all_dx"),
        ):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * EXCLUDE (chunk) FROM {staged} "
                f"WHERE chunk = {int(chunk)}"
            )
        self.make_facts()
        return self.con.sql(self.sql(passes)).to_arrow_reader(BATCH_ROWS)

    def make_facts(self) -> None:
        con = self.con
        first = not self.facts_made

        def known(table: str, cond: str) -> str:
            """Leave out the values whose facts an earlier chunk made."""
            return "" if first else f" AND NOT EXISTS (SELECT 1 FROM {table} f WHERE {cond})"

        codes = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT code FROM lines l WHERE TRUE"
                + known("code_facts", "f.code = l.code")
            ).fetchall()
        ]
        pairs = con.execute(
            "SELECT DISTINCT m.modifier, l.code FROM line_mods m JOIN lines l ON l.lid = m.lid"
            + known(
                "modifier_facts",
                "f.modifier = m.modifier AND f.code = l.code AND f.setting = 'practitioner'",
            )
        ).fetchall()
        diagnoses = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT code FROM claim_dx x WHERE TRUE"
                + known("diagnosis_facts", "f.code = x.code")
            ).fetchall()
        ]
        for name, value in (
            ("code_facts", facts.code_facts(codes, self.labs)),
            ("modifier_facts", facts.modifier_facts(pairs, self.labs)),
            ("diagnosis_facts", facts.diagnosis_facts(diagnoses)),
        ):
            con.register(f"{name}_arrow", value)
            verb = f"CREATE TABLE {name} AS" if first else f"INSERT INTO {name}"
            con.execute(f"{verb} SELECT * FROM {name}_arrow")
            con.unregister(f"{name}_arrow")
        self.facts_made = True

    def sql(self, passes: bool = True) -> str:
        """The plan as one query (a WITH of every view)."""
        body = ",\n".join(f"{name} AS ({text})" for name, text in self.plan)
        keep = (
            ""
            if passes
            else f" WHERE status IN ({', '.join(repr(s) for s in sorted(PROBLEM_STATUSES))})"
        )
        return (
            f"WITH {body}\nSELECT claim_key, claim_id, line, rule, status, ref, message, vintage, "
            f"rule_rank FROM findings{keep} ORDER BY claim_key, rule_rank, line NULLS LAST"
        )

    def findings(self, batch: LineTables, passes: bool = True) -> pa.RecordBatchReader:
        """The chunk's findings in claim order (claim, rule, line), streamed."""
        self.register(batch)
        return self.con.sql(self.sql(passes)).to_arrow_reader(BATCH_ROWS)

    def vintages(self) -> list[str]:
        rows = self.con.execute(
            "SELECT vintage, span FROM releases ORDER BY source, position"
        ).fetchall()
        return [f"{vintage} ({span})" for vintage, span in rows]

    def close(self) -> None:
        self.con.close()
        self.spill.cleanup()


def as_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.select(FINDING_SCHEMA.names).to_pylist()
    return rows


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table.select(FINDING_SCHEMA.names), path)

"""A clean CSV claim file straight into DuckDB: Arrow's CSV reader, the streaming readers'
own converters run once per distinct value, claims assembled in SQL, no Python object per
row or line.

Exact by construction: the file goes this way only when every row would have read cleanly
through `read_csv` (the streaming reader) and the claims it assembles are the ones that reader
would assemble. Anything else (a bad value, a blank line, a quote, a carriage return, bytes
that are not ASCII, a claim whose rows are not together, a repeated line number, more than 12
diagnoses, two settings or patients in one claim, a history file) returns `None`, and the
caller reads the file with `read_csv`, whose `error` findings name the row, the column and
what to fix.

The staged tables (`all_lines`, `all_mods`, `all_dx`) have the columns of `inputs.py`'s
`lines`, `line_mods` and `claim_dx`, plus the chunk each claim belongs to (`chunk`): claims
without a patient id by their order, claims of one patient together.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from medref.claims.columnar.edit_parquet import epoch_day
from medref.claims.columns import IGNORE, apply_map
from medref.claims.model import MAX_DIAGNOSES, Setting
from medref.claims.read_csv import check_header
from medref.claims.values import (
    MAX_ID,
    Invalid,
    diagnosis_code,
    to_code,
    to_date,
    to_line_number,
    to_modifiers,
    to_npi,
    to_place,
    to_setting,
    to_units,
)

SCAN = 1 << 23
RAW_BLOCK = 1 << 24
"""Bytes of the file Arrow parses at a time (16 MiB: about 300,000 rows)."""
WHITESPACE = "(" + " || ".join(f"chr({ord(c)})" for c in map(chr, range(128)) if c.isspace()) + ")"
"""What `str.strip` removes from ASCII text, as a DuckDB expression."""


@dataclass(frozen=True, slots=True)
class Staged:
    """What the staged tables hold, counted as the streaming `Tally` counts."""

    claims: int
    lines: int
    patient_claims: int
    providers_named: bool
    chunks: list[int]


def plain(path: Path) -> bool:
    """ASCII, no quote, a carriage return only before a line break, ending in a line break:
    what the fast path reads exactly as `CsvRows` does."""
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(SCAN):
            if block.endswith(b"\r"):
                block += handle.read(1)
            if not block.isascii() or b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
                return False
            last = block
    return last.endswith(b"\n")


def header_names(path: Path, column_map: dict[str, str] | None) -> list[str]:
    with path.open(encoding="ascii", newline="") as handle:
        first = handle.readline()
    header = [cell.strip() for cell in next(csv.reader([first]), [])]
    if column_map:
        header = apply_map(header, column_map)
    return check_header(header, str(path), bool(column_map))


def count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(SCAN):
            count += block.count(b"\n")
    return count


def stage_raw(con: duckdb.DuckDBPyConnection, path: Path, names: list[str]) -> int | None:
    """Every row as strings, with its row number (`rn`, 2 = the first after the header),
    into the table `raw`, block by block (Arrow's streaming CSV reader: the file is never
    held in memory whole; DuckDB keeps the table under its memory cap). The rows staged, or
    None when a row has too many or too few cells (the streaming reader says which)."""
    import pyarrow.csv as pcsv

    width = len(names)
    rows = 0
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(
                column_names=[f"c{at}" for at in range(width)],
                skip_rows=1,
                block_size=RAW_BLOCK,
            ),
            parse_options=pcsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={f"c{at}": pa.string() for at in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            columns = {name: batch.column(at) for at, name in enumerate(names) if name != IGNORE}
            columns["rn"] = pa.array(range(rows + 2, rows + batch.num_rows + 2), pa.int64())
            con.register("raw_arrow", pa.table(columns))
            if rows == 0:
                con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM raw_arrow")
            else:
                con.execute("INSERT INTO raw SELECT * FROM raw_arrow")
            con.unregister("raw_arrow")
            rows += batch.num_rows
    except pa.ArrowInvalid:
        return None
    return rows


def converted(
    con: duckdb.DuckDBPyConnection,
    column: str,
    convert: Callable[[str], Any],
    out: Callable[[Any], Any],
    kind: pa.DataType,
) -> bool:
    """A table `v_<column>` (raw, value) over the column's distinct values, converted by the
    streaming reader's function; False when one is invalid."""
    raw = [row[0] for row in con.execute(f"SELECT DISTINCT {column} FROM raw").fetchall()]
    values = [convert(text) for text in raw]
    if any(isinstance(value, Invalid) for value in values):
        return False
    con.register(
        f"v_{column}_arrow",
        pa.table({"raw": pa.array(raw, pa.string()), "value": pa.array(map(out, values), kind)}),
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE v_{column} AS SELECT * FROM v_{column}_arrow")
    con.unregister(f"v_{column}_arrow")
    return True


def same(value: Any) -> Any:
    return value


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    setting: Setting,
    column_map: dict[str, str] | None,
    chunk_lines: int,
) -> Staged | None:
    """Stage a clean CSV file's claims in `con`; None when the file needs `read_csv`."""
    if not plain(path):
        return None
    names = header_names(path, column_map)
    rows = stage_raw(con, path, names)
    if rows is None or rows + 1 != count_lines(path) or rows == 0:
        return None
    present = set(names)
    for column, convert, out, kind in (
        ("line", to_line_number, same, pa.int32()),
        ("date_of_service", to_date, epoch_day, pa.int32()),
        ("code", to_code, same, pa.string()),
        ("modifiers", to_modifiers, list, pa.list_(pa.string())),
        ("units", to_units, same, pa.int32()),
        ("place_of_service", to_place, same, pa.string()),
        ("setting", to_setting, same, pa.string()),
        ("rendering_npi", to_npi, same, pa.string()),
    ):
        if column in present and not converted(con, column, convert, out, kind):
            return None
    return assemble(con, present, setting, chunk_lines)


def trimmed(column: str) -> str:
    return f"trim({column}, {WHITESPACE})"


def assemble(
    con: duckdb.DuckDBPyConnection, present: set[str], setting: Setting, chunk_lines: int
) -> Staged | None:
    ws = WHITESPACE
    patient = trimmed("r.patient_id") if "patient_id" in present else "''"
    npi = "n.value" if "rendering_npi" in present else "''"
    chosen = "s.value" if "setting" in present else "CAST(NULL AS VARCHAR)"
    joins = " ".join(
        f"JOIN v_{column} {alias} ON {alias}.raw = r.{column}"
        for column, alias in (("setting", "s"), ("rendering_npi", "n"))
        if column in present
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rows AS
        SELECT r.rn, {trimmed("r.claim_id")} AS claim_id, ln.value AS line, d.value AS dos,
               c.value AS code, m.value AS mods, u.value AS units, p.value AS pos,
               r.diagnoses AS dx_raw, {patient} AS patient, {npi} AS npi, {chosen} AS setting
        FROM raw r
        JOIN v_line ln ON ln.raw = r.line JOIN v_date_of_service d ON d.raw = r.date_of_service
        JOIN v_code c ON c.raw = r.code JOIN v_modifiers m ON m.raw = r.modifiers
        JOIN v_units u ON u.raw = r.units JOIN v_place_of_service p ON p.raw = r.place_of_service
        {joins}
        """
    )
    con.execute("DROP TABLE raw")
    # diagnoses: each row's list split as `to_diagnoses` splits it
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE row_dx AS
        SELECT rn, claim_id, row_number() OVER (PARTITION BY rn ORDER BY k) AS k,
               trim(upper(part), {ws}) AS part
        FROM (SELECT rn, claim_id, unnest(string_split(dx_raw, '|')) AS part,
                     generate_subscripts(string_split(dx_raw, '|'), 1) AS k FROM rows) t
        WHERE trim(part, {ws}) <> ''
        """
    )
    distinct = [row[0] for row in con.execute("SELECT DISTINCT part FROM row_dx").fetchall()]
    dotted = [diagnosis_code(text) for text in distinct]
    if "" in dotted:
        return None
    con.register("v_dx_arrow", pa.table({"raw": distinct, "value": dotted}))
    con.execute("CREATE OR REPLACE TEMP TABLE v_dx AS SELECT * FROM v_dx_arrow")
    con.unregister("v_dx_arrow")
    problems = con.execute(
        f"""
        WITH claims AS (
          SELECT claim_id, min(rn) AS first, max(rn) AS last, count(*) AS n,
                 count(DISTINCT line) AS numbers, count(DISTINCT setting) AS settings,
                 count(DISTINCT CASE WHEN patient <> '' THEN patient END) AS patients,
                 max(length(claim_id)) AS id_length, max(length(patient)) AS patient_length
          FROM rows GROUP BY claim_id)
        SELECT
          (SELECT count(*) FROM claims WHERE last - first + 1 <> n OR numbers <> n
             OR settings > 1 OR patients > 1 OR id_length > {MAX_ID} OR patient_length > {MAX_ID}
             OR claim_id = ''),
          (SELECT count(*) FROM (SELECT rn FROM row_dx GROUP BY rn HAVING count(*) > {MAX_DIAGNOSES})),
          (SELECT count(*) FROM (SELECT x.claim_id FROM row_dx x JOIN v_dx v ON v.raw = x.part
             GROUP BY x.claim_id HAVING count(DISTINCT v.value) > {MAX_DIAGNOSES}))
        """
    ).fetchone()
    if problems is None or any(problems):
        return None
    return tables(con, setting, chunk_lines)


def tables(con: duckdb.DuckDBPyConnection, setting: Setting, chunk_lines: int) -> Staged:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE claims AS
        SELECT claim_id, row_number() OVER (ORDER BY first) AS claim_key, first, n,
               coalesce(setting, '{setting}') AS setting, patient
        FROM (SELECT claim_id, min(rn) AS first, count(*) AS n, max(setting) AS setting,
                     max(patient) AS patient FROM rows GROUP BY claim_id) t
        """
    )
    total = con.execute("SELECT count(*), coalesce(sum(n), 0) FROM claims").fetchone()
    assert total is not None
    claims, lines = int(total[0]), int(total[1])
    per_chunk = max(1, chunk_lines * claims // max(1, lines))
    patient_lines = con.execute("SELECT coalesce(sum(n), 0) FROM claims WHERE patient <> ''")
    held = patient_lines.fetchone()
    assert held is not None
    buckets = max(1, int(held[0]) // max(1, chunk_lines) + (1 if held[0] else 0))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE claim_chunks AS
        SELECT claim_key, CASE WHEN patient = '' THEN (claim_key - 1) // {per_chunk}
               ELSE -1 - (hash(patient) % {buckets}) END AS chunk
        FROM claims
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE all_lines AS
        SELECT r.rn AS lid, c.claim_key, r.claim_id, FALSE AS history,
               c.claim_key AS claim_order, c.setting,
               CASE WHEN c.patient <> '' THEN 'P:' || c.patient ELSE '#' || c.claim_key END
                 AS scope,
               c.patient <> '' AS across,
               (1::BIGINT << 50) + (c.claim_key << 20) + (r.rn - c.first) AS seq,
               r.line, r.dos, strftime(DATE '1970-01-01' + r.dos, '%Y-%m-%d') AS dos_text,
               r.code, array_to_string(r.mods, '|') AS mods, r.units, r.pos, r.npi, k.chunk
        FROM rows r JOIN claims c ON c.claim_id = r.claim_id
        JOIN claim_chunks k ON k.claim_key = c.claim_key
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE all_mods AS
        SELECT lid, CAST(slot AS TINYINT) AS slot, modifier, chunk FROM (
          SELECT l.lid, unnest(r.mods) AS modifier, generate_subscripts(r.mods, 1) AS slot,
                 l.chunk
          FROM rows r JOIN all_lines l ON l.lid = r.rn) t
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE all_dx AS
        SELECT claim_key, claim_id, CAST(row_number() OVER (PARTITION BY claim_key ORDER BY first)
               AS SMALLINT) AS position, code, chunk
        FROM (SELECT c.claim_key, c.claim_id, v.value AS code, min(x.rn * 100 + x.k) AS first,
                     k.chunk
              FROM row_dx x JOIN v_dx v ON v.raw = x.part
              JOIN claims c ON c.claim_id = x.claim_id
              JOIN claim_chunks k ON k.claim_key = c.claim_key
              GROUP BY c.claim_key, c.claim_id, v.value, k.chunk) t
        """
    )
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE patient <> ''), "
        "(SELECT count(*) > 0 FROM rows WHERE npi <> '') FROM claims"
    ).fetchone()
    assert counts is not None
    chunks = [
        row[0]
        for row in con.execute("SELECT DISTINCT chunk FROM claim_chunks ORDER BY 1").fetchall()
    ]
    for name in ("rows", "row_dx", "claims", "claim_chunks"):
        con.execute(f"DROP TABLE {name}")
    return Staged(claims, lines, int(counts[0]), bool(counts[1]), chunks)

"""Claims a data lake keeps as Parquet, read by the Spark executors: the driver never holds a
line, so a dataset of any size (a file, a folder of part files, a glob, on any filesystem
Spark reads) is checked by the cluster.

Each executor reads its share of the rows, the rows of one claim brought together (Spark
groups them by claim id), and runs them through the streaming engine's own reader
(`read_csv.read_rows`, each column as `read_parquet.as_text` gives it), so a bad value is
the same `error` finding, naming its row (counted from 1, the file's first record). A claim's
rows may lie anywhere within `WINDOW_ROWS` rows of one file, as the streaming reader allows;
a claim spread wider, or over two files, is one `error` finding (keep a claim's rows
together). Claims are ordered as the files (by path) and rows order them, and numbered across
the dataset; their lines, modifiers and diagnoses become the `lines`, `line_mods` and
`claim_dx` views the plan reads (`inputs.py` builds the same from claims read in Python).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby, pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa

from medref.claims.columnar.edit_parquet import epoch_day
from medref.claims.columnar.inputs import BATCH_FLAG, ORDER_SHIFT
from medref.claims.columnar.run import ERROR_SCHEMA, FixedCounts
from medref.claims.columns import IGNORE, apply_map
from medref.claims.engine import input_errors
from medref.claims.model import Claim, InputProblem, Setting
from medref.claims.read_csv import WINDOW_ROWS, check_header, read_rows
from medref.claims.read_parquet import as_text
from medref.errors import InputError

KEY, FILE, ROW = "_medref_claim", "_medref_file", "_medref_row"
"""Columns the reader adds: the claim id to group by, the file and the row index in it."""
OUT_ROWS = 4_096
"""Claims an executor hands back per Arrow batch."""
NUMBERED_RUN_ROWS = 1 << 18
"""Rows of a file whose claims one task numbers (`numbered`)."""
LINE = pa.struct(
    [
        ("line", pa.int32()),
        ("dos", pa.int32()),
        ("dos_text", pa.string()),
        ("code", pa.string()),
        ("mods", pa.list_(pa.string())),
        ("units", pa.int32()),
        ("pos", pa.string()),
        ("npi", pa.string()),
    ]
)
ERROR = pa.struct([field for field in ERROR_SCHEMA if field.name != "claim_id"])
"""An input error of one claim: the error findings' columns, the claim id being the row's."""
CLAIM_SCHEMA = pa.schema(
    [
        ("claim_id", pa.string()),
        ("file", pa.string()),
        ("first_row", pa.int64()),
        ("part", pa.int32()),
        ("setting", pa.string()),
        ("patient", pa.string()),
        ("rows", pa.int64()),
        ("lines", pa.list_(LINE)),
        ("diagnoses", pa.list_(pa.string())),
        ("errors", pa.list_(ERROR)),
        ("npi_named", pa.bool_()),
    ]
)
"""One row per claim read on an executor."""


@dataclass(frozen=True, slots=True)
class Row:
    file: str
    number: int
    """Counted from 1, the file's first record (as `read_parquet` counts)."""
    cells: list[str]


def claim_rows(
    names: list[str],
    setting: Setting,
    claim_id: str,
    rows: list[Row],
    several_files: bool,
    window: int,
) -> Iterator[dict[str, Any]]:
    """The claims of one claim id's rows (sorted by file and row), as `CLAIM_SCHEMA` rows."""
    first = rows[0]
    gaps = [b.number - a.number for a, b in pairwise(rows)]
    if any(row.file != first.file for row in rows) or any(gap > window for gap in gaps):
        yield spread_claim(claim_id, setting, rows, window)
        return
    padded: list[list[str]] = [first.cells]
    for gap, row in zip(gaps, rows[1:], strict=True):
        # blank rows for the rows between (of other claims): read_rows skips a blank row,
        # and every row keeps its number in the file
        padded += [[]] * (gap - 1)
        padded.append(row.cells)
    found = read_rows(
        names,
        [padded],
        setting=setting,
        name=first.file,
        window_rows=window,
        first_row=first.number,
    )
    for part, claim in enumerate(found):
        yield claim_row(claim, first, part, several_files)


def claim_row(claim: Claim, first: Row, part: int, several_files: bool) -> dict[str, Any]:
    errors = []
    for finding in input_errors(claim):
        message = finding.message
        if several_files:  # a row number names a row of its file
            message = message.replace(": ", f" ({file_name(first.file)}): ", 1)
        errors.append(
            {
                "line": finding.line,
                "rule": finding.rule,
                "status": finding.status,
                "message": message,
                "ref": finding.ref,
                "vintage": finding.vintage,
            }
        )
    lines = [] if errors else claim.lines
    return {
        "claim_id": claim.claim_id,
        "file": first.file,
        "first_row": first.number,
        "part": part,
        "setting": claim.setting,
        "patient": claim.patient_id,
        "rows": claim.rows or len(claim.lines),
        "lines": [
            {
                "line": line.line,
                "dos": epoch_day(line.date_of_service),
                "dos_text": line.date_of_service.isoformat(),
                "code": line.code,
                "mods": list(line.modifiers),
                "units": line.units,
                "pos": line.place_of_service,
                "npi": line.rendering_npi,
            }
            for line in lines
        ],
        "diagnoses": [] if errors else list(claim.diagnoses),
        "errors": errors,
        "npi_named": any(line.rendering_npi for line in lines),
    }


def spread_claim(claim_id: str, setting: Setting, rows: list[Row], window: int) -> dict[str, Any]:
    """A claim whose rows lie in two files or further apart than the reader's window."""
    where = "; ".join(
        f"{file_name(file)} rows {', '.join(str(row.number) for row in group)}"
        for file, group in groupby(rows, key=lambda row: row.file)
    )
    problem = InputProblem(
        None,
        f"the rows of claim {claim_id!r} are apart ({where}): keep the rows of a claim in one "
        f"file, within {window:,} rows of each other",
    )
    claim = Claim(claim_id, setting, (), [], [problem])
    claim.rows = len(rows)
    return claim_row(claim, rows[0], 0, several_files=False)


def file_name(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


def partition_reader(
    names: list[str], setting: Setting, several_files: bool, window: int = WINDOW_ROWS
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function each executor runs over its rows (sorted by claim, file and row)."""
    read = [at for at, name in enumerate(names) if name != IGNORE]
    kept = [names[at] for at in read]

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        out: list[dict[str, Any]] = []
        held: list[Row] = []
        key: Any = None
        for batch in batches:
            texts = [as_text(batch.column(at)) for at in read]
            keys = batch.column(KEY).to_pylist()
            files = batch.column(FILE).to_pylist()
            numbers = batch.column(ROW).to_pylist()
            for at, (claim, file, index) in enumerate(zip(keys, files, numbers, strict=True)):
                if claim != key and held:
                    out.extend(claim_rows(kept, setting, key, held, several_files, window))
                    held = []
                key = claim
                held.append(Row(file, index + 1, [column[at] for column in texts]))
            if len(out) >= OUT_ROWS:
                yield pa.RecordBatch.from_pylist(out, schema=CLAIM_SCHEMA)
                out = []
        if held:
            out.extend(claim_rows(kept, setting, key, held, several_files, window))
        if out:
            yield pa.RecordBatch.from_pylist(out, schema=CLAIM_SCHEMA)

    return run


def read_lake(
    spark: Any,
    path: str,
    setting: Setting,
    column_map: dict[str, str] | None = None,
    window: int = WINDOW_ROWS,
) -> tuple[Any, list[str]]:
    """The claims of a Parquet dataset as a DataFrame of `CLAIM_SCHEMA` rows, read by the
    executors, and the dataset's files."""
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    try:
        frame = spark.read.parquet(path)
    except AnalysisException as exc:  # no such path, or no Parquet there
        reason = str(exc).strip().splitlines()[0]
        raise InputError(
            f"{path}: Spark reads no Parquet claims there ({reason}). What to do: give a "
            "Parquet file, a folder of Parquet part files or a URI the cluster reads, with the "
            "columns of docs/claims.md"
        ) from None
    header = list(frame.columns)
    names = check_header(apply_map(header, column_map) if column_map else header, path)
    raw = frame.select(
        *[F.col(f"`{column}`") for column in header],
        F.trim(F.col("`" + header[names.index("claim_id")] + "`").cast("string")).alias(KEY),
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.row_index").alias(ROW),
    )
    files = sorted(row[0] for row in raw.select(FILE).distinct().collect())
    reader = partition_reader(names, setting, len(files) > 1, window)
    schema = from_arrow_schema(CLAIM_SCHEMA)
    claims = raw.repartition(KEY).sortWithinPartitions(KEY, FILE, ROW).mapInArrow(reader, schema)
    return claims, files


def register(
    spark: Any,
    path: str,
    setting: Setting,
    column_map: dict[str, str] | None = None,
    history: str | None = None,
    window: int = WINDOW_ROWS,
) -> tuple[Any, FixedCounts]:
    """Read the dataset (and a history dataset) on the executors, register the plan's
    `lines`, `line_mods` and `claim_dx` views; the input errors as a DataFrame of findings,
    and the counts."""
    from pyspark import StorageLevel

    keep = StorageLevel.MEMORY_AND_DISK  # each claim is read once, by one executor
    claims, files = read_lake(spark, path, setting, column_map, window)
    claims = numbered(claims.persist(keep), files).persist(keep)
    claims.createOrReplaceTempView("lake_claims")
    sources = ["SELECT *, FALSE AS history FROM lake_claims"]
    history_count = 0
    if history is not None:
        earlier, earlier_files = read_lake(spark, history, setting, column_map, window)
        earlier = numbered(earlier.persist(keep), earlier_files).persist(keep)
        earlier.createOrReplaceTempView("lake_history")
        history_count = earlier.count()
        sources.append(
            "SELECT *, TRUE AS history FROM lake_history WHERE patient <> '' AND size(errors) = 0"
        )
    spark.sql(
        f"SELECT * FROM ({' UNION ALL '.join(sources)}) c WHERE size(errors) = 0"
    ).createOrReplaceTempView("lake_checked")
    spark.sql(
        f"""
        SELECT (CASE WHEN c.history THEN -c.claim_order ELSE c.claim_order END) * {1 << ORDER_SHIFT} + l.pos AS lid,
               CASE WHEN c.history THEN -c.claim_order ELSE c.claim_order END AS claim_key,
               c.claim_id, c.history, c.claim_order, c.setting,
               CASE WHEN c.patient <> '' THEN 'P:' || c.patient
                    ELSE '#' || CAST(c.claim_order AS STRING) END AS scope,
               c.patient <> '' AS across,
               (CASE WHEN c.history THEN 0 ELSE {BATCH_FLAG} END)
                 + c.claim_order * {1 << ORDER_SHIFT} + l.pos AS seq,
               l.line.line AS line, l.line.dos AS dos, l.line.dos_text AS dos_text,
               l.line.code AS code, array_join(l.line.mods, '|') AS mods,
               l.line.units AS units, l.line.pos AS pos, l.line.npi AS npi,
               l.line.mods AS mod_list
        FROM lake_checked c LATERAL VIEW posexplode(c.lines) l AS pos, line
        """
    ).createOrReplaceTempView("lake_lines")
    for name, text in (
        ("lines", "SELECT * EXCEPT (mod_list) FROM lake_lines"),
        (
            "line_mods",
            """
            SELECT l.lid, CAST(m.slot + 1 AS TINYINT) AS slot, m.modifier
            FROM lake_lines l LATERAL VIEW posexplode(l.mod_list) m AS slot, modifier
            """,
        ),
        (
            "claim_dx",
            """
            SELECT c.claim_order AS claim_key, c.claim_id,
                   CAST(d.pos + 1 AS SMALLINT) AS position, d.code
            FROM lake_checked c LATERAL VIEW posexplode(c.diagnoses) d AS pos, code
            WHERE NOT c.history
            """,
        ),
    ):
        # computed once and kept on the executors, a leaf of the plan as an Arrow batch is:
        # the plan's sixty views each inlining this lineage ran the driver out of memory
        spark.sql(text).localCheckpoint(eager=True).createOrReplaceTempView(name)
    errors = spark.sql(
        """
        SELECT c.claim_id, e.line, e.rule, e.status, e.message, e.ref, e.vintage
        FROM lake_claims c LATERAL VIEW explode(c.errors) x AS e
        """
    )
    totals = spark.sql(
        """
        SELECT count(*) AS count, sum(CASE WHEN size(errors) = 0 THEN size(lines) ELSE 0 END),
               sum(rows), sum(CASE WHEN size(errors) > 0 THEN 1 ELSE 0 END),
               sum(CASE WHEN size(errors) > 0 THEN rows ELSE 0 END),
               sum(CASE WHEN size(errors) = 0 AND patient <> '' THEN 1 ELSE 0 END),
               max(npi_named)
        FROM lake_claims
        """
    ).collect()[0]
    counts = FixedCounts(
        count=int(totals[0]),
        lines=int(totals[1] or 0),
        rows=int(totals[2] or 0),
        error_claims=int(totals[3] or 0),
        error_rows=int(totals[4] or 0),
        patient_claims=int(totals[5] or 0),
        history_claims=history_count,
        providers_named=bool(totals[6]),
    )
    return errors, counts


def numbered(claims: Any, files: list[str], run_rows: int = NUMBERED_RUN_ROWS) -> Any:
    """The claims with their place in the dataset (`claim_order`, from 1): files by path,
    then by first row. Each file's claims are numbered in runs of `run_rows` rows (a task
    per run, so one large file is numbered in parallel), each run starting from the claims
    of the runs before it, known from one small count per file and run."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    runs = claims.withColumn("run", F.floor((F.col("first_row") - 1) / run_rows).cast("long"))
    counted = runs.groupBy("file", "run").count().collect()
    place = {file: at for at, file in enumerate(files)}
    offsets: list[tuple[str, int, int]] = []
    total = 0
    for file, run, count in sorted(counted, key=lambda row: (place[row[0]], row[1])):
        offsets.append((file, int(run), total))
        total += int(count)
    spark = claims.sparkSession
    offset_frame = spark.createDataFrame(offsets, "file string, run long, offset long")
    within = Window.partitionBy("file", "run").orderBy("first_row", "part")
    return (
        runs.join(F.broadcast(offset_frame), ["file", "run"])
        .withColumn("claim_order", F.col("offset") + F.row_number().over(within))
        .drop("offset", "run")
    )


def is_lake(path: str) -> bool:
    """A Parquet dataset the executors read: a `.parquet` file, a folder (of part files),
    or a URI (hdfs://, s3a://, ...) the driver cannot open."""
    return path.lower().rstrip("/").endswith(".parquet") or "://" in path or Path(path).is_dir()

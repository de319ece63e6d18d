"""Check a batch of claims with the relational plan: claims read by the same readers as the
streaming engine (so bad rows are the same `error` findings, naming row and column), cut into
chunks of whole scopes (`chunks.py`), each put in columnar tables and checked by DuckDB
(`columnar`) or Spark (`spark`); findings stay in Arrow tables, claim by claim in each chunk.

`ColumnarFindings` mirrors the streaming `FindingStream`: iterate the findings (or `write`
them to a file, chunk by chunk, without a Python object per finding), then ask for the
summary (the same counts, the releases the batch's dates fall in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa

from medref.claims.columnar.chunks import CHUNK_LINES, SPARK_CHUNK_LINES, Chunker
from medref.claims.columnar.inputs import LineTables
from medref.claims.columnar.out import TableWriter
from medref.claims.engine import NO_NPI, NO_PRICE, NOT_CHECKED, PER_CLAIM
from medref.claims.model import Claim, Finding, Setting
from medref.claims.read_csv import WINDOW_ROWS

Engine = Literal["stream", "columnar", "spark"]
ENGINES: tuple[Engine, ...] = ("stream", "columnar", "spark")
COLUMNS = ["claim_id", "line", "rule", "status", "message", "ref", "vintage"]
ERROR_SCHEMA = pa.schema(
    [
        ("claim_id", pa.string()),
        ("line", pa.int32()),
        ("rule", pa.string()),
        ("status", pa.string()),
        ("message", pa.string()),
        ("ref", pa.string()),
        ("vintage", pa.string()),
    ]
)


class Checker(Protocol):
    def findings(self, batch: LineTables, passes: bool = True) -> pa.RecordBatchReader:
        """The plan's findings for one chunk, in claim order (claim, rule, line), streamed."""
        ...

    def vintages(self) -> list[str]: ...

    def close(self) -> None: ...


class Counted:
    """Claims as they are read, counted the way the streaming `Tally` counts them."""

    def __init__(self, claims: Iterable[Claim]) -> None:
        self.claims = claims
        self.count = self.lines = self.rows = self.error_claims = self.error_rows = 0
        self.patient_claims = self.history_claims = 0
        self.providers_named = False

    def __iter__(self) -> Iterator[Claim]:
        for claim in self.claims:
            self.count += 1
            rows = claim.rows or len(claim.lines)
            self.rows += rows
            if claim.problems:
                self.error_claims += 1
                self.error_rows += rows
            else:
                self.lines += len(claim.lines)
                if claim.patient_id:
                    self.patient_claims += 1
                if any(line.rendering_npi for line in claim.lines):
                    self.providers_named = True
            yield claim


def error_table(errors: list[Finding]) -> pa.Table:
    return pa.Table.from_pylist(
        [{name: getattr(f, name) for name in COLUMNS} for f in errors], schema=ERROR_SCHEMA
    )


def as_findings(table: pa.Table) -> Iterator[Finding]:
    """Rows of a findings table as `Finding`s, a record batch at a time."""
    for batch in table.select(COLUMNS).to_batches(max_chunksize=65_536):
        for claim_id, line, rule, status, message, ref, vintage in zip(
            *(column.to_pylist() for column in batch.columns), strict=True
        ):
            yield Finding(claim_id, line, rule, status, message, ref, vintage)


class Counts(Protocol):
    """What the summary counts (`Counted` for claims read in Python, `Staged` counts for a
    file staged in DuckDB); read once the findings are consumed."""

    count: int
    lines: int
    rows: int
    error_claims: int
    error_rows: int
    patient_claims: int
    history_claims: int
    providers_named: bool


@dataclass
class FixedCounts:
    count: int
    lines: int
    rows: int
    patient_claims: int
    providers_named: bool
    error_claims: int = 0
    error_rows: int = 0
    history_claims: int = 0


Made = Iterator[tuple[pa.RecordBatchReader, list[Finding]]]
"""Each chunk's findings (Arrow, in claim order) and its claims' input errors."""


class ColumnarFindings:
    """The findings of a batch, made a chunk at a time as they are consumed (once)."""

    def __init__(
        self, made: Made, counts: Counts, vintages: list[str], close: Callable[[], None]
    ) -> None:
        self.made = made
        self.counted = counts
        self.vintages = vintages
        self.close = close
        self.by_status: Counter[str] = Counter()
        self.by_rule_status: Counter[tuple[str, str]] = Counter()

    def tables(self) -> Iterator[pa.Table]:
        """Each chunk's findings, then its input errors, as Arrow tables."""
        try:
            for found, errors in self.made:
                for batch in found:
                    yield self.tally(pa.Table.from_batches([batch]))
                if errors:
                    yield self.tally(error_table(errors))
        finally:
            self.close()

    def tally(self, table: pa.Table) -> pa.Table:
        counts = table.group_by(["rule", "status"]).aggregate([([], "count_all")])
        for rule, status, n in zip(
            *(counts[name].to_pylist() for name in ("rule", "status", "count_all")), strict=True
        ):
            self.by_status[status] += n
            self.by_rule_status[(rule, status)] += n
        return table

    def __iter__(self) -> Iterator[Finding]:
        for table in self.tables():
            yield from as_findings(table)

    def write(self, path: Path) -> int:
        """Every finding to `path` (`.parquet`, `.csv`, `.jsonl`); returns how many."""
        with TableWriter(path) as writer:
            for table in self.tables():
                writer.write(table)
            return writer.count

    def row(self, finding: Finding) -> dict[str, Any]:
        """A finding as the JSON output gives it (as `FindingStream.row`)."""
        return finding.as_dict()

    def label(self, finding: Finding) -> str:
        """No place in a file beyond the claim id (CSV, JSON Lines, Parquet input)."""
        return ""

    def summary(self) -> dict[str, Any]:
        counted = self.counted
        by_rule: dict[str, dict[str, int]] = {}
        for (rule, status), n in sorted(self.by_rule_status.items()):
            by_rule.setdefault(rule, {})[status] = n
        not_checked = list(NOT_CHECKED)
        if counted.patient_claims < counted.count - counted.error_claims:
            not_checked.insert(2, PER_CLAIM)
        if counted.patient_claims and not counted.providers_named:
            not_checked.insert(2, NO_NPI)
        not_checked.append(NO_PRICE)
        checked = counted.count - counted.error_claims
        return {
            "claims": counted.count,
            "lines": counted.lines,
            "rows": counted.rows,
            "claims_with_input_errors": counted.error_claims,
            "rows_in_claims_with_input_errors": counted.error_rows,
            "by_status": dict(self.by_status),
            "by_rule": by_rule,
            "vintages_used": self.vintages,
            "releases_available": self.vintages,
            "across_claims": {
                "claims_checked_with_their_patient": counted.patient_claims,
                "claims_checked_alone": checked - counted.patient_claims,
                "history_claims_read": counted.history_claims,
            },
            "not_checked": not_checked,
        }


def checker_for(
    engine: Engine, tables: Path, workers: int = 2, memory_limit: str | None = None
) -> Checker:
    if engine == "spark":
        from medref.claims.columnar.spark import SparkChecker

        return SparkChecker.started(tables, workers)
    from medref.claims.columnar.duck import DuckChecker

    return DuckChecker(tables, memory_limit=memory_limit)  # None: DuckChecker's default


def check_columnar(
    claims: Iterable[Claim],
    tables: Path,
    *,
    engine: Engine = "columnar",
    only_problems: bool = False,
    history: Iterable[Claim] = (),
    chunk_lines: int | None = None,
    workers: int = 2,
    memory_limit: str | None = None,
) -> ColumnarFindings:
    """The findings of `claims`, made as they are consumed (iterate, or `write` to a file);
    `chunk_lines`: lines per chunk (None: `CHUNK_LINES`, `SPARK_CHUNK_LINES` on Spark);
    `memory_limit`: DuckDB's working memory (the columnar engine; None: `duck.MEMORY_LIMIT`)."""
    counted = Counted(claims)
    default = SPARK_CHUNK_LINES if engine == "spark" else CHUNK_LINES
    chunker = Chunker(chunk_lines or default)
    checker = checker_for(engine, tables, workers, memory_limit)

    def made() -> Made:
        for batch in chunker.chunks(counted, history):
            counted.history_claims = chunker.history_claims
            yield checker.findings(batch, passes=not only_problems), batch.errors
        counted.history_claims = chunker.history_claims

    return ColumnarFindings(made(), counted, checker.vintages(), checker.close)


def check_parquet_on_spark(
    path: Path,
    tables: Path,
    *,
    setting: Setting = "practitioner",
    column_map: dict[str, str] | None = None,
    only_problems: bool = False,
    history: Path | None = None,
    workers: int = 2,
    window_rows: int = WINDOW_ROWS,
) -> ColumnarFindings:
    """A Parquet claim dataset (and history) read by the Spark executors (`lake.py`) and
    checked in one run of the plan: its findings in claim order, then the input errors."""
    from medref.claims.columnar import lake
    from medref.claims.columnar.spark import SparkChecker

    checker = SparkChecker.started(tables, workers)
    try:
        errors, counts = lake.register(
            checker.spark,
            str(path),
            setting,
            column_map,
            history=None if history is None else str(history),
            window=window_rows,
        )
    except BaseException:
        checker.close()
        raise

    def made() -> Made:
        found = checker.registered_findings(passes=not only_problems)
        yield found, list(as_findings(errors.toArrow()))

    return ColumnarFindings(made(), counts, checker.vintages(), checker.close)


def check_csv_staged(
    path: Path,
    tables: Path,
    *,
    setting: Setting = "practitioner",
    column_map: dict[str, str] | None = None,
    only_problems: bool = False,
    chunk_lines: int = CHUNK_LINES,
    memory_limit: str | None = None,
) -> ColumnarFindings | None:
    """A clean CSV file read by DuckDB itself (`csv_fast.py`), checked a chunk at a time;
    None when the file needs the streaming reader (`check_columnar` over `read_claims`)."""
    from medref.claims.columnar.duck import DuckChecker

    checker = DuckChecker(tables, memory_limit=memory_limit)
    try:
        staged = checker.stage_csv(path, setting, column_map, chunk_lines)
    except BaseException:
        checker.close()
        raise
    if staged is None:
        checker.close()
        return None
    counts = FixedCounts(
        staged.claims, staged.lines, staged.lines, staged.patient_claims, staged.providers_named
    )

    def made() -> Made:
        for chunk in staged.chunks:
            yield checker.staged_findings(chunk, passes=not only_problems), []

    return ColumnarFindings(made(), counts, checker.vintages(), checker.close)

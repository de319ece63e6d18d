"""Claim checks: findings and a summary naming the table releases used."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from medref.claims import Claim, Finding, Tally, check_claims, read_claims, summarize
from medref.claims.columnar.run import (
    ColumnarFindings,
    Engine,
    check_columnar,
    check_csv_staged,
    check_parquet_on_spark,
)
from medref.claims.columns import parse_map, presets, resolve_map, save_preset
from medref.claims.model import PROBLEM_STATUSES, Setting
from medref.claims.read import format_of, read_csv, read_json
from medref.claims.read_csv import CSV_COLUMNS, CSV_OPTIONAL, WINDOW_ROWS
from medref.claims.tables import (
    AddOn,
    CodeDates,
    EditTables,
    IcdCodes,
    Lookup,
    MemoryLoaders,
    MueLimit,
    PfsIndicators,
    PlaceOfService,
    PtpIndex,
)
from medref.claims.x12.check import PlacedTally
from medref.claims.x12.read837 import Reader837
from medref.errors import InputError, InputTooLargeError
from medref.kb import KnowledgeBase, ReleaseInfo
from medref.pricing import Pricer
from medref.services.resources import Resources
from medref.x12.tokens import looks_like_x12

T = TypeVar("T")
FileFormat = Literal["csv", "json", "jsonl", "parquet", "x12"]


class SharedLoaders:
    """The claim tables' `Loaders`, memoised for the process: every check builds its own
    `EditTables` (so its summary names only the releases it read) over tables read once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        # a connection of its own (loads run one at a time, under the lock, from any thread)
        self._read = MemoryLoaders(KnowledgeBase(kb.path).conn)
        self._cache: dict[tuple[str, ...], object] = {}
        self._lock = threading.Lock()

    def _once(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            found: T = self._cache[key]  # type: ignore[assignment]  # stored by this key's load
            return found

    def ptp(self, setting: Setting, info: ReleaseInfo) -> PtpIndex:
        return self._once(("ptp", setting, info.release), lambda: self._read.ptp(setting, info))

    def mue(self, info: ReleaseInfo) -> Lookup[str, MueLimit]:
        return self._once(("mue", info.source, info.release), lambda: self._read.mue(info))

    def aoc(self, info: ReleaseInfo) -> Lookup[str, AddOn]:
        return self._once(("aoc", info.source, info.release), lambda: self._read.aoc(info))

    def pfs(self, info: ReleaseInfo) -> Lookup[str, PfsIndicators]:
        return self._once(("pfs", info.source, info.release), lambda: self._read.pfs(info))

    def code_dates(self, info: ReleaseInfo) -> Lookup[str, CodeDates]:
        key = ("dates", info.source, info.release)
        return self._once(key, lambda: self._read.code_dates(info))

    def icd(self, info: ReleaseInfo) -> IcdCodes:
        return self._once(("icd", info.source, info.release), lambda: self._read.icd(info))

    def pos(self, info: ReleaseInfo) -> Lookup[str, PlaceOfService]:
        return self._once(("pos", info.source, info.release), lambda: self._read.pos(info))

    def labs(self, info: ReleaseInfo) -> frozenset[str]:
        return self._once(("labs", info.source, info.release), lambda: self._read.labs(info))


def check_csv(
    res: Resources,
    upload: IO[bytes],
    setting: Setting = "practitioner",
    only_problems: bool = False,
    name: str = "claims.csv",
    locality: str | None = None,
    column_map: str | None = None,
) -> dict[str, Any]:
    """Findings and summary of a CSV claim file (the docs/claims.md columns, or mapped)."""
    mapping = column_mapping(res, column_map)
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        claims = read_csv(text, setting=setting, name=name, column_map=mapping)
        return check(res, claims, only_problems, locality)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    finally:
        text.detach()


def check_json(
    res: Resources,
    document: str,
    setting: Setting = "practitioner",
    only_problems: bool = False,
    locality: str | None = None,
) -> dict[str, Any]:
    """Findings and summary of a JSON list of claims (docs/claims.md)."""
    claims = read_json(io.StringIO(document), setting=setting, name="request body")
    return check(res, claims, only_problems, locality)


def check_claim_list(
    res: Resources,
    claims: list[Any],
    setting: Setting = "practitioner",
    only_problems: bool = False,
    locality: str | None = None,
) -> dict[str, Any]:
    """The same for claims already parsed from JSON (the MCP tool's argument)."""
    return check_json(res, json.dumps(claims), setting, only_problems, locality)


def check(
    res: Resources,
    claims: Iterable[Claim],
    only_problems: bool = False,
    locality: str | None = None,
) -> dict[str, Any]:
    findings = check_stream(
        capped(claims, res.max_claim_lines),
        res.claim_tables(),
        only_problems,
        pricer(res, locality),
    )
    return {"findings": [finding.as_dict() for finding in findings], "summary": findings.summary()}


def pricer(res: Resources, locality: str | None) -> Pricer | None:
    """Prices lines in `locality` (checked now, before any claim is read), or None."""
    if locality is None or not locality.strip():
        return None
    return Pricer.open(res.pricing, locality)


class FindingStream:
    """Findings as they are made (any number of claims, constant memory), then the summary
    of what was checked and with which table releases."""

    def __init__(
        self,
        claims: Iterable[Claim],
        tables: EditTables,
        only_problems: bool,
        pricer: Pricer | None = None,
        history: Iterable[Claim] = (),
        tally: Tally | None = None,
    ) -> None:
        self._tables = tables
        self._tally = tally if tally is not None else Tally()
        found = check_claims(
            claims,
            tables,
            passes=not only_problems,
            tally=self._tally,
            pricer=pricer,
            history=history,
        )
        self._findings = (
            (f for f in found if f.status in PROBLEM_STATUSES) if only_problems else found
        )

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._findings)

    def summary(self) -> dict[str, Any]:
        """Call after iterating: the counts are those of the findings made."""
        found: dict[str, Any] = summarize(self._tables, self._tally).as_dict()
        return found

    def row(self, finding: Finding) -> dict[str, Any]:
        """A finding as the JSON output gives it."""
        return finding.as_dict()

    def label(self, finding: Finding) -> str:
        """Where the finding's claim stands in its file, for a text report ("" for CSV)."""
        return ""


class X12FindingStream(FindingStream):
    """Findings of an 837, each with its place in the file; the summary adds what the file
    held (interchanges, groups, transactions, claims and lines read) and its envelope and
    loop problems."""

    def __init__(
        self,
        reader: Reader837,
        claims: Iterable[Claim],
        tables: EditTables,
        only_problems: bool,
        pricer: Pricer | None = None,
        history: Iterable[Claim] = (),
    ) -> None:
        self._reader = reader
        self._placed = PlacedTally(places=reader.places, only_problems=only_problems)
        super().__init__(claims, tables, only_problems, pricer, history, self._placed)

    def summary(self) -> dict[str, Any]:
        found = super().summary()
        counts = self._reader.counts
        found["x12"] = counts.as_dict()
        if counts.date_ranges:
            found["not_checked"].append(
                f"date ranges: {counts.date_ranges:,} lines billed over a range of dates "
                "(DTP*472 RD8) were checked on their first date; their units are not spread "
                "over the days of the range"
            )
        return found

    def row(self, finding: Finding) -> dict[str, Any]:
        return self._placed.placed(finding)

    def label(self, finding: Finding) -> str:
        return self._placed.label(finding)


def check_stream(
    claims: Iterable[Claim],
    tables: EditTables,
    only_problems: bool = False,
    pricer: Pricer | None = None,
    history: Iterable[Claim] = (),
) -> FindingStream:
    return FindingStream(claims, tables, only_problems, pricer, history)


def check_file(
    res: Resources,
    path: Path,
    fmt: FileFormat | None = None,
    setting: Setting = "practitioner",
    only_problems: bool = False,
    locality: str | None = None,
    history: Path | None = None,
    column_map: str | None = None,
    window_rows: int = WINDOW_ROWS,
) -> FindingStream:
    """A claim file of any size, streamed (`medref check`); no line limit. `history` is a
    claim file of earlier claims, read for the checks across claims of a patient;
    `column_map` a map (`cpt=code,...`) or the name of a preset for the CSV's columns."""
    mapping = column_mapping(res, column_map)
    earlier = claims_of(history, None, setting, mapping, window_rows) if history is not None else ()
    if fmt == "x12" or (fmt is None and is_x12(path)):
        reader = Reader837(setting)
        return X12FindingStream(
            reader,
            read_x12(reader, path),
            res.claim_tables(),
            only_problems,
            pricer(res, locality),
            earlier,
        )
    return check_stream(
        claims_of(path, fmt, setting, mapping, window_rows),
        res.claim_tables(),
        only_problems,
        pricer(res, locality),
        earlier,
    )


def claims_of(
    path: Path,
    fmt: FileFormat | None,
    setting: Setting,
    mapping: dict[str, str] | None,
    window_rows: int,
) -> Iterator[Claim]:
    """The claims of a CSV, JSON or 837 file (an 837 found by its content)."""
    if fmt == "x12" or (fmt is None and is_x12(path)):
        return read_x12(Reader837(setting), path)
    return read_claims(path, fmt, setting=setting, column_map=mapping, window_rows=window_rows)


def is_x12(path: Path) -> bool:
    """Whether a file is an X12 interchange, by its first bytes (whatever its name)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return looks_like_x12(head.decode("latin-1"))


def read_x12(reader: Reader837, path: Path) -> Iterator[Claim]:
    if not path.is_file():
        raise InputError(f"{path}: no such claim file")
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        yield from reader.claims(handle)


def check_x12(
    res: Resources,
    upload: IO[bytes],
    setting: Setting = "practitioner",
    only_problems: bool = False,
    name: str = "claims.837",
    locality: str | None = None,
) -> dict[str, Any]:
    """Findings, each with its place, and summary of an uploaded 837P or 837I."""
    text = io.TextIOWrapper(upload, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        reader = Reader837(setting)
        findings = X12FindingStream(
            reader,
            capped(reader.claims(text), res.max_claim_lines),
            res.claim_tables(),
            only_problems,
            pricer(res, locality),
        )
        rows = [findings.row(finding) for finding in findings]
        return {"findings": rows, "summary": findings.summary()}
    finally:
        text.detach()


def edit_table_folder(res: Resources) -> Path:
    """The Parquet edit tables of the current build (written on first use, then reused)."""
    from medref.claims.columnar.edit_parquet import write_edit_tables

    return write_edit_tables(res.kb, res.settings.home / "edit-tables")


def check_file_columnar(
    res: Resources,
    path: Path,
    engine: Engine,
    fmt: FileFormat | None = None,
    setting: Setting = "practitioner",
    only_problems: bool = False,
    history: Path | None = None,
    column_map: str | None = None,
    window_rows: int = WINDOW_ROWS,
    workers: int = 2,
) -> ColumnarFindings:
    """`check_file` through the relational plan, on DuckDB (`columnar`) or a local Spark
    (`spark`, `workers` threads): the same findings, for batches where throughput matters. Pricing
    (`--locality`) and an 837's places in the file stay with the streaming engine."""
    if fmt == "x12" or (fmt is None and is_x12(path)):
        raise InputError(
            f"{path} is an X12 837: it is checked by the stream engine, whose findings carry "
            "their place in the interchange; drop --engine"
        )
    mapping = column_mapping(res, column_map)
    tables = edit_table_folder(res)
    csv_file = (fmt or format_of(path)) == "csv"
    if engine == "columnar" and history is None and csv_file and path.is_file():
        staged = check_csv_staged(
            path,
            tables,
            setting=setting,
            column_map=mapping,
            only_problems=only_problems,
            memory_limit=res.settings.columnar_memory,
        )
        if staged is not None:  # a clean file, read by DuckDB itself
            return staged
    parquet = (fmt or format_of(path)) == "parquet"
    if engine == "spark" and parquet and (history is None or format_of(history) == "parquet"):
        return check_parquet_on_spark(  # read by the executors, not by this process
            path,
            tables,
            setting=setting,
            column_map=mapping,
            only_problems=only_problems,
            history=history,
            workers=workers,
            window_rows=window_rows,
        )
    earlier = claims_of(history, None, setting, mapping, window_rows) if history is not None else ()
    return check_columnar(
        claims_of(path, fmt, setting, mapping, window_rows),
        tables,
        engine=engine,
        only_problems=only_problems,
        history=earlier,
        workers=workers,
        memory_limit=res.settings.columnar_memory,
    )


def column_mapping(res: Resources, text: str | None) -> dict[str, str] | None:
    """A column map given inline or by preset name, checked before any row is read."""
    if text is None or not text.strip():
        return None
    return resolve_map(text, res.settings.home, (*CSV_COLUMNS, *CSV_OPTIONAL))


def save_column_map(res: Resources, name: str, text: str) -> str:
    """Save an inline map as a named preset; returns where it was written."""
    mapping = parse_map(text, (*CSV_COLUMNS, *CSV_OPTIONAL))
    return str(save_preset(res.settings.home, name, mapping))


def column_presets(res: Resources) -> dict[str, dict[str, str]]:
    return presets(res.settings.home)


def capped(claims: Iterable[Claim], limit: int) -> Iterator[Claim]:
    lines = 0
    for claim in claims:
        lines += max(1, len(claim.lines))
        if lines > limit:
            raise InputTooLargeError(
                f"over {limit:,} claim lines in one request; split the file, or check it "
                "with `medref check`, which streams any size"
            )
        yield claim

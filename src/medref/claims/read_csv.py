"""Read a CSV claim file, streaming: batches of `BATCH_ROWS` rows, each turned into
columns and converted a column at a time (a file repeats the same dates, codes, modifiers
and units over and over, so most values come from a cache), then assembled into claims.

Rows come from `CsvRows` (one row per physical line: an overlong line, bytes that are not
UTF-8 or an unclosed quote make their row an error, never the rest of the file). The rows of
one claim may come in any order within a window of `WINDOW_ROWS` rows: a claim is complete
when that many rows have passed since its last one (for a file sorted by claim, when the next
claims have filled the window). A claim whose rows resume after it was complete is reported
as an input error at the resumed rows. Memory is the window, plus 8 bytes a claim id
(`SeenIds`). A bad value makes its claim carry a problem (row, line, what to fix); only a
header that cannot be a claim file's raises `InputError`. A column map (`columns.py`) renames
a file's columns first. The schema is in docs/claims.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Protocol, TextIO

from medref.claims.columns import IGNORE, apply_map
from medref.claims.csv_rows import CsvRows
from medref.claims.model import MAX_DIAGNOSES, Claim, ClaimLine, InputProblem, Setting
from medref.claims.seen import SeenIds
from medref.claims.values import (
    Invalid,
    to_claim_id,
    to_code,
    to_date,
    to_diagnoses,
    to_line_number,
    to_modifiers,
    to_npi,
    to_patient,
    to_place,
    to_setting,
    to_units,
)
from medref.errors import InputError

BATCH_ROWS = 50_000
WINDOW_ROWS = 1_000
"""Rows within which the rows of one claim may come in any order (a claim is closed between
one and two windows after its last row)."""
CSV_COLUMNS = (
    "claim_id",
    "line",
    "date_of_service",
    "code",
    "modifiers",
    "units",
    "place_of_service",
    "diagnoses",
)
CSV_OPTIONAL = ("setting", "patient_id", "rendering_npi")
"""`patient_id` (the same on every row of a claim) puts the claim's lines beside the other
claims of the patient; `rendering_npi` (per row) tells providers apart."""


class Column(Protocol):
    def __call__(self, raw: list[str]) -> tuple[list[Any], list[int]]:
        """Converted values of a batch's column, and the positions of invalid ones."""
        ...


LIMIT = 100_000
"""Cache size that triggers a reset (a column of unique values gains nothing from it)."""


class CachedColumn:
    """A column of few distinct values (dates, codes, modifiers, units): each is converted
    once per file, through a cache (reset past `limit` entries; claim ids, all distinct,
    keep only the current batch's)."""

    def __init__(self, convert: Callable[[str], Any], limit: int = LIMIT) -> None:
        self.convert = convert
        self.cache: dict[str, Any] = {}
        self.invalid: set[str] = set()
        self.limit = limit

    def __call__(self, raw: list[str]) -> tuple[list[Any], list[int]]:
        cache = self.cache
        try:
            values = list(map(cache.__getitem__, raw))
        except KeyError:
            if len(cache) > self.limit:
                cache.clear()
                self.invalid.clear()
            for text in set(raw).difference(cache):
                result = cache[text] = self.convert(text)
                if isinstance(result, Invalid):
                    self.invalid.add(text)
            values = list(map(cache.__getitem__, raw))
        bad = self.invalid
        return values, [at for at, text in enumerate(raw) if text in bad] if bad else []


class RunColumn:
    """A column whose value changes from claim to claim (claim ids, diagnosis lists): a value
    is converted again only when it differs from the row before (the rows of one claim repeat
    it, and share the converted object)."""

    def __init__(self, convert: Callable[[str], Any]) -> None:
        self.convert = convert

    def __call__(self, raw: list[str]) -> tuple[list[Any], list[int]]:
        values: list[Any] = []
        bad: list[int] = []
        previous: str | None = None
        value: Any = None
        for at, text in enumerate(raw):
            if text != previous:
                value = self.convert(text)
                previous = text
            if value.__class__ is Invalid:
                bad.append(at)
            values.append(value)
        return values, bad


def read_csv(
    handle: TextIO,
    *,
    setting: Setting = "practitioner",
    name: str = "claims",
    batch_rows: int = BATCH_ROWS,
    column_map: dict[str, str] | None = None,
    window_rows: int = WINDOW_ROWS,
) -> Iterator[Claim]:
    source = CsvRows(handle)
    batches = source.batches()
    first = next(batches, [])
    header = [cell.strip() for cell in (first[0] if first else [])]
    yield from read_rows(
        header,
        chain([first[1:]], batches),
        setting=setting,
        name=name,
        batch_rows=batch_rows,
        column_map=column_map,
        window_rows=window_rows,
        flagged=source.problems,
    )


def read_rows(
    header: list[str],
    chunks: Iterable[list[list[str]]],
    *,
    setting: Setting = "practitioner",
    name: str = "claims",
    batch_rows: int = BATCH_ROWS,
    column_map: dict[str, str] | None = None,
    window_rows: int = WINDOW_ROWS,
    flagged: dict[int, str] | None = None,
    first_row: int = 2,
) -> Iterator[Claim]:
    """Claims from rows of text cells under a header (a CSV file's, or a Parquet file's
    columns as text). `flagged`: problems of whole rows by row number, which the row source
    may add to while it is read; `first_row`: the number of the first row in messages."""
    if column_map:
        header = apply_map(header, column_map)
    names = check_header(header, name, bool(column_map))
    converters: dict[str, Column] = {
        "claim_id": CachedColumn(to_claim_id, limit=0),
        "line": CachedColumn(to_line_number),
        "date_of_service": CachedColumn(to_date),
        "code": CachedColumn(to_code),
        "modifiers": CachedColumn(to_modifiers),
        "units": CachedColumn(to_units),
        "place_of_service": CachedColumn(to_place),
        "diagnoses": RunColumn(to_diagnoses),
        "setting": CachedColumn(to_setting),
        "patient_id": RunColumn(to_patient),
        "rendering_npi": CachedColumn(to_npi),
    }
    assembler = ClaimAssembler(setting, window_rows)
    problems_of = {} if flagged is None else flagged
    for chunk in chunks:
        for start in range(0, len(chunk), batch_rows):
            batch = chunk[start : start + batch_rows]
            end = first_row + len(batch)
            found = {
                line - first_row: problems_of.pop(line)
                for line in [n for n in problems_of if first_row <= n < end]
            }
            columns, problems, blank = convert_batch(batch, names, converters, found, first_row)
            yield from assembler.add(columns, problems, blank, first_row)
            first_row = end
    yield from assembler.finish()


def check_header(header: list[str], name: str, mapped: bool = False) -> list[str]:
    allowed = (*CSV_COLUMNS, *CSV_OPTIONAL, IGNORE)
    unknown = [column for column in header if column not in allowed]
    missing = [column for column in CSV_COLUMNS if column not in header]
    repeated = sorted({column for column in header if header.count(column) > 1})
    if unknown or missing or repeated:
        parts = []
        if unknown:
            parts.append(f"unknown columns {', '.join(map(repr, unknown))}")
        if missing:
            parts.append(f"missing columns {', '.join(missing)}")
        if repeated:
            parts.append(f"repeated columns {', '.join(repeated)}")
        hint = (
            ""
            if mapped
            else (
                "; or map the file's names to ours with --map (e.g. --map cpt=code,dos=date_of_service"
                ", --map common, or NAME=- to ignore a column)"
            )
        )
        raise InputError(
            f"{name}: the header has {'; '.join(parts)}. What to do: the first row must name "
            f"the columns {', '.join(CSV_COLUMNS)} (and optionally {', '.join(CSV_OPTIONAL)})"
            f"{hint}; see docs/claims.md"
        )
    return header


def convert_batch(
    batch: list[list[str]],
    names: list[str],
    converters: dict[str, Column],
    flagged: dict[int, str] | None = None,
    first_row: int = 2,
) -> tuple[dict[str, list[Any]], dict[int, list[str]], set[int]]:
    """The batch as converted columns, the problems of each bad row by position (`flagged`:
    the line problems `CsvRows` found), and the positions of blank rows."""
    width = len(names)
    problems: dict[int, list[str]] = {at: [text] for at, text in (flagged or {}).items()}
    blank: set[int] = set()
    if not all(map(width.__eq__, map(len, batch))):
        for at, row in enumerate(batch):
            if len(row) != width:
                if not row and at not in problems:
                    blank.add(at)
                elif at not in problems:
                    problems[at] = [
                        f"{len(row)} cells where the header names {width} columns: quote values "
                        "that contain commas, and give every row the header's columns"
                    ]
                batch[at] = (row + [""] * width)[:width]
    columns: dict[str, list[Any]] = {}
    for at, column in enumerate(names):
        if column == IGNORE:
            continue
        values, bad = converters[column](list(map(itemgetter(at), batch)))
        columns[column] = values
        for position in bad:
            problems.setdefault(position, []).append(values[position].problem)
            if column == "claim_id":  # too long to be an id: the row is named by its number
                values[position] = f"(row {first_row + position})"
    return columns, problems, blank


def reject(claim: Claim, row: int, number: object, problems: list[str]) -> None:
    """Record why a row could not become a line of `claim` (a row read, not a line)."""
    claim.rows += 1
    line = number if isinstance(number, int) else None
    where = f"row {row}" + (f" (line {line})" if line is not None else "")
    claim.problems.extend(InputProblem(line, f"{where}: {text}") for text in problems)


class Building:
    """A claim whose rows are still coming, with what its rows add up to so far."""

    __slots__ = (
        "claim",
        "diagnoses",
        "last_codes",
        "last_row",
        "patients",
        "pointers",
        "reopened",
        "settings",
    )

    def __init__(self, claim: Claim, row: int) -> None:
        self.claim = claim
        self.diagnoses: dict[str, int] = {}
        self.settings: tuple[Setting, ...] = ()
        """Settings the rows name (a tuple, grown only when a row names another)."""
        self.patients: tuple[str, ...] = ()
        self.last_codes: tuple[str, ...] | None = None
        self.pointers: tuple[int, ...] = ()
        self.last_row = row
        self.reopened = False
        """Rows came back after other claims' rows: its lines may be out of order."""


class ClaimAssembler:
    """Turns converted rows into claims. A claim stays open until `window` rows have passed
    since its last row, so the rows of a claim may come in any order within the window and a
    claim may span batches."""

    def __init__(self, setting: Setting, window: int = WINDOW_ROWS) -> None:
        self.default_setting = setting
        self.window = window
        self.seen = SeenIds()
        self.open_claims: dict[str, Building] = {}
        """Claims still open."""
        self.touches: deque[tuple[int, str]] = deque()
        """(last row, claim id) of claims as they were left, oldest first."""
        self.seen_before: set[str] = set()
        """Claim ids of the batch being read that were closed in an earlier batch."""
        self.closed_now: set[str] = set()
        """Claim ids closed while the batch is read."""
        self.claims = 0

    def add(
        self,
        columns: dict[str, list[Any]],
        problems: dict[int, list[str]],
        blank: set[int],
        first_row: int,
    ) -> Iterator[Claim]:
        settings: Iterable[Setting | None] = columns.get("setting") or repeat(None)
        patients: Iterable[str] = columns.get("patient_id") or repeat("")
        npis: Iterable[str] = columns.get("rendering_npi") or repeat("")
        rows = zip(
            columns["claim_id"],
            columns["line"],
            columns["date_of_service"],
            columns["code"],
            columns["modifiers"],
            columns["units"],
            columns["place_of_service"],
            columns["diagnoses"],
            settings,
            patients,
            npis,
            strict=False,  # optional columns repeat a default forever when the file lacks them
        )
        open_claims = self.open_claims
        touches = self.touches
        window = self.window
        self.seen_before = self.seen.present(set(columns["claim_id"]))
        self.closed_now = set()
        building: Building | None = None
        current_id: str | None = None
        lines: list[ClaimLine] = []
        last_codes: tuple[str, ...] | None = None
        pointers: tuple[int, ...] = ()
        for at, (
            claim_id,
            line,
            day,
            code,
            mods,
            units,
            place,
            codes,
            setting,
            patient,
            npi,
        ) in enumerate(rows):
            if claim_id != current_id or building is None:
                if blank and at in blank:
                    continue
                row = first_row + at
                if building is not None:
                    building.last_codes, building.pointers = last_codes, pointers
                    building.last_row = row - 1
                    touches.append((row - 1, building.claim.claim_id))
                found = open_claims.get(claim_id)
                if found is None:
                    found = open_claims[claim_id] = self.start(claim_id, row)
                else:
                    found.reopened = True
                building = found
                if touches and touches[0][0] < row - 2 * window:
                    yield from self.close_passed(row, building)  # in bulk, once per window
                current_id, lines = claim_id, building.claim.lines
                last_codes, pointers = building.last_codes, building.pointers
            if problems and at in problems:
                reject(building.claim, first_row + at, line, problems[at])
                continue
            if codes is not last_codes:  # rows of a claim share one converted tuple
                pointers, last_codes = self.pointers(building, codes), codes
            lines.append(ClaimLine(line, day, code, mods, units, place, pointers, npi))
            if setting is not None and setting not in building.settings:
                building.settings += (setting,)
            if patient and patient not in building.patients:
                building.patients += (patient,)
        if building is not None and current_id is not None:
            building.last_codes, building.pointers = last_codes, pointers
            building.last_row = first_row + len(columns["claim_id"]) - 1
            touches.append((building.last_row, current_id))

    def close_passed(self, row: int, current: Building) -> Iterator[Claim]:
        """Claims whose last row is more than `window` rows back, oldest first. `touches`
        holds (last row, claim id) as claims were left; an entry whose claim was touched
        again since is stale and skipped."""
        touches, open_claims = self.touches, self.open_claims
        limit = row - self.window
        while touches and touches[0][0] < limit:
            last_row, claim_id = touches.popleft()
            building = open_claims.get(claim_id)
            if building is None or building is current or building.last_row != last_row:
                continue
            del open_claims[claim_id]
            yield self.close(building)

    def finish(self) -> Iterator[Claim]:
        for building in sorted(self.open_claims.values(), key=last_row):
            yield self.close(building)
        self.open_claims.clear()
        self.touches.clear()

    def start(self, claim_id: str, row: int) -> Building:
        """A new claim (or the resumed part of one already checked, as an input error)."""
        problems: list[InputProblem] = []
        if not claim_id:
            problems.append(InputProblem(None, f"row {row} has no claim_id"))
        elif claim_id in self.seen_before or claim_id in self.closed_now:
            problems.append(
                InputProblem(
                    None,
                    f"claim {claim_id!r} resumes at row {row}, more than {self.window:,} rows "
                    "after its last row: its earlier rows were already checked; keep the rows of "
                    f"a claim within {self.window:,} rows of each other (medref check --window) or "
                    "sort the file by claim_id",
                )
            )
        self.claims += 1
        claim = Claim(claim_id, self.default_setting, (), [], problems, order=self.claims)
        return Building(claim, row)

    def pointers(self, building: Building, codes: tuple[str, ...]) -> tuple[int, ...]:
        """Positions of a row's diagnoses in the claim's merged list, adding new ones."""
        diagnoses = building.diagnoses
        found = []
        for code in codes:
            position = diagnoses.get(code)
            if position is None:
                position = diagnoses[code] = len(diagnoses) + 1
            found.append(position)
        return tuple(found)

    def close(self, building: Building) -> Claim:
        claim = building.claim
        self.seen.add(claim.claim_id)
        self.closed_now.add(claim.claim_id)
        claim.diagnoses = tuple(building.diagnoses)
        problems = claim.problems
        if len(claim.diagnoses) > MAX_DIAGNOSES:
            problems.append(
                InputProblem(
                    None,
                    f"{len(claim.diagnoses)} different diagnoses over the claim's rows: a claim "
                    f"holds at most {MAX_DIAGNOSES}; split the claim",
                )
            )
        if len(building.settings) > 1:
            problems.append(
                InputProblem(
                    None,
                    f"rows give the settings {', '.join(sorted(building.settings))}: one claim "
                    "has one setting",
                )
            )
        elif building.settings:
            claim.setting = building.settings[0]
        if len(building.patients) > 1:
            problems.append(
                InputProblem(
                    None,
                    f"rows give the patient_ids {', '.join(sorted(building.patients))}: one "
                    "claim is for one patient",
                )
            )
        elif building.patients:
            claim.patient_id = building.patients[0]
        numbers = [line.line for line in claim.lines]
        if len(set(numbers)) != len(numbers):
            repeated = sorted({n for n in numbers if numbers.count(n) > 1})
            problems.append(
                InputProblem(
                    repeated[0],
                    f"line numbers {', '.join(map(str, repeated))} appear more than once in the "
                    "claim; number the lines 1, 2, 3, ...",
                )
            )
        if not claim.lines and not problems:
            problems.append(InputProblem(None, "the claim has no lines"))
        if building.reopened:
            claim.lines.sort(key=line_number)
        claim.rows += len(claim.lines)
        return claim


def last_row(building: Building) -> int:
    return building.last_row


def line_number(line: ClaimLine) -> int:
    return line.line

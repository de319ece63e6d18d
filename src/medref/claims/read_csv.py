"""Read a CSV claim file, streaming: batches of `BATCH_ROWS` rows, each turned into
columns and converted a column at a time (a file repeats the same dates, codes, modifiers
and units over and over, so most values come from a cache), then assembled into claims.

The rows of one claim must be contiguous: a claim whose rows resume after another claim's is
an input error, because its first rows have already been checked. A bad value makes its
claim carry a problem (row, line, what to fix); only a header that cannot be a claim file's
raises `InputError`. The schema is in docs/claims.md.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, repeat
from operator import itemgetter
from typing import Any, Protocol, TextIO

from medref.claims.model import MAX_DIAGNOSES, Claim, ClaimLine, InputProblem, Setting
from medref.claims.values import (
    Invalid,
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


class CachedColumn:
    """A column of few distinct values (dates, codes, modifiers, units): each is converted
    once per file, through a cache."""

    LIMIT = 100_000
    """Cache size that triggers a reset (a column of unique values gains nothing from it)."""

    def __init__(self, convert: Callable[[str], Any]) -> None:
        self.convert = convert
        self.cache: dict[str, Any] = {}
        self.invalid: set[str] = set()

    def __call__(self, raw: list[str]) -> tuple[list[Any], list[int]]:
        cache = self.cache
        try:
            values = list(map(cache.__getitem__, raw))
        except KeyError:
            if len(cache) > self.LIMIT:
                cache.clear()
                self.invalid.clear()
            for text in set(raw).difference(cache):
                result = cache[text] = self.convert(text)
                if isinstance(result, Invalid):
                    self.invalid.add(text)
            values = list(map(cache.__getitem__, raw))
        bad = self.invalid
        return values, [at for at, text in enumerate(raw) if text in bad] if bad else []


def plain_column(raw: list[str]) -> tuple[list[Any], list[int]]:
    """Claim ids: any text, trimmed."""
    return list(map(str.strip, raw)), []


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
) -> Iterator[Claim]:
    reader = csv.reader(handle)
    header = [cell.strip() for cell in next(reader, [])]
    names = check_header(header, name)
    converters: dict[str, Column] = {
        "claim_id": plain_column,
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
    assembler = ClaimAssembler(setting)
    first_row = 2
    while batch := list(islice(reader, batch_rows)):
        columns, problems = convert_batch(batch, names, converters)
        yield from assembler.add(columns, problems, first_row)
        first_row += len(batch)
    last = assembler.finish()
    if last is not None:
        yield last


def check_header(header: list[str], name: str) -> list[str]:
    allowed = (*CSV_COLUMNS, *CSV_OPTIONAL)
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
        raise InputError(
            f"{name}: the header has {'; '.join(parts)}. What to do: the first row must name "
            f"the columns {', '.join(CSV_COLUMNS)} (and optionally {', '.join(CSV_OPTIONAL)}); see docs/claims.md"
        )
    return header


def convert_batch(
    batch: list[list[str]], names: list[str], converters: dict[str, Column]
) -> tuple[dict[str, list[Any]], dict[int, list[str]]]:
    """The batch as converted columns, and the problems of each bad row by position."""
    width = len(names)
    problems: dict[int, list[str]] = {}
    if not all(map(width.__eq__, map(len, batch))):
        for at, row in enumerate(batch):
            if len(row) != width:
                problems.setdefault(at, []).append(
                    f"{len(row)} cells where the header names {width} columns: quote values "
                    "that contain commas, and give every row the header's columns"
                )
                batch[at] = (row + [""] * width)[:width]
    columns: dict[str, list[Any]] = {}
    for at, column in enumerate(names):
        values, bad = converters[column](list(map(itemgetter(at), batch)))
        columns[column] = values
        for position in bad:
            problems.setdefault(position, []).append(values[position].problem)
    return columns, problems


def reject(claim: Claim, row: int, number: object, problems: list[str]) -> None:
    """Record why a row could not become a line of `claim`."""
    line = number if isinstance(number, int) else None
    where = f"row {row}" + (f" (line {line})" if line is not None else "")
    claim.problems.extend(InputProblem(line, f"{where}: {text}") for text in problems)


class ClaimAssembler:
    """Turns converted rows into claims. A claim is complete, and handed on, when the next
    claim's first row arrives, so claims may span batches; rows of a claim must be
    contiguous."""

    def __init__(self, setting: Setting) -> None:
        self.default_setting = setting
        self.seen: set[str] = set()
        self.current: Claim | None = None
        self.diagnoses: dict[str, int] = {}
        self.settings: set[Setting] = set()
        self.last_codes: tuple[str, ...] | None = None
        self.last_pointers: tuple[int, ...] = ()
        self.patients: set[str] = set()
        self.claims = 0

    def add(
        self, columns: dict[str, list[Any]], problems: dict[int, list[str]], first_row: int
    ) -> Iterator[Claim]:
        current = self.current
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
        current_id = None if current is None else current.claim_id
        lines: list[ClaimLine] = [] if current is None else current.lines
        last_codes, pointers = self.last_codes, self.last_pointers
        for at, row in enumerate(rows):
            claim_id, number, day, code, modifiers, units, place, codes, setting, patient, npi = row
            if current is None or claim_id != current_id:
                if current is not None:
                    yield self.close(current)
                current = self.open(claim_id, first_row + at)
                current_id, lines, last_codes = claim_id, current.lines, None
            if problems and at in problems:
                reject(current, first_row + at, number, problems[at])
                continue
            if codes is not last_codes:  # rows of a claim share one converted tuple
                pointers, last_codes = self.pointers(codes), codes
            lines.append(ClaimLine(number, day, code, modifiers, units, place, pointers, npi))
            if setting is not None:
                self.settings.add(setting)
            if patient:
                self.patients.add(patient)
        self.current, self.last_codes, self.last_pointers = current, last_codes, pointers

    def finish(self) -> Claim | None:
        current, self.current = self.current, None
        return None if current is None else self.close(current)

    def open(self, claim_id: str, row: int) -> Claim:
        """A new claim; its diagnoses and settings start afresh."""
        problems: list[InputProblem] = []
        if claim_id in self.seen:
            problems.append(
                InputProblem(
                    None,
                    (
                        f"claim {claim_id!r} resumes at row {row} after other claims: the rows of one "
                        "claim must be contiguous; sort the file by claim_id"
                    ),
                )
            )
        elif not claim_id:
            problems.append(InputProblem(None, f"row {row} has no claim_id"))
        self.seen.add(claim_id)
        self.diagnoses = {}
        self.settings = set()
        self.patients = set()
        self.claims += 1
        return Claim(claim_id, self.default_setting, (), [], problems, order=self.claims)

    def pointers(self, codes: tuple[str, ...]) -> tuple[int, ...]:
        """Positions of a row's diagnoses in the claim's merged list, adding new ones."""
        found = []
        for code in codes:
            position = self.diagnoses.get(code)
            if position is None:
                position = self.diagnoses[code] = len(self.diagnoses) + 1
            found.append(position)
        return tuple(found)

    def close(self, claim: Claim) -> Claim:
        claim.diagnoses = tuple(self.diagnoses)
        problems = claim.problems
        if len(claim.diagnoses) > MAX_DIAGNOSES:
            problems.append(
                InputProblem(
                    None,
                    (
                        f"{len(claim.diagnoses)} different diagnoses over the claim's rows: a claim "
                        f"holds at most {MAX_DIAGNOSES}; split the claim"
                    ),
                )
            )
        if len(self.settings) > 1:
            problems.append(
                InputProblem(
                    None,
                    (
                        f"rows give the settings {', '.join(sorted(self.settings))}: one claim has "
                        "one setting"
                    ),
                )
            )
        elif self.settings:
            claim.setting = next(iter(self.settings))
        if len(self.patients) > 1:
            problems.append(
                InputProblem(
                    None,
                    f"rows give the patient_ids {', '.join(sorted(self.patients))}: one claim is "
                    "for one patient",
                )
            )
        elif self.patients:
            claim.patient_id = next(iter(self.patients))
        numbers = [line.line for line in claim.lines]
        if len(set(numbers)) != len(numbers):
            repeated = sorted({n for n in numbers if numbers.count(n) > 1})
            problems.append(
                InputProblem(
                    repeated[0],
                    (
                        f"line numbers {', '.join(map(str, repeated))} appear more than once in the "
                        "claim; number the lines 1, 2, 3, ..."
                    ),
                )
            )
        if not claim.lines and not problems:
            problems.append(InputProblem(None, "the claim has no lines"))
        return claim

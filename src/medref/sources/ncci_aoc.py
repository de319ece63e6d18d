"""NCCI add-on code edits: which primary codes an add-on code may be billed with, as citable
records `AOC:99215/G2212`.

    reshaped (../shared/cms)                 official CMS file
    ncci_add_on_code_edits_*.csv             AOC_V*.xlsx
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from medref.codes.ncci import AOC_TYPE_MEANINGS, CONTRACTOR_DEFINED_PRIMARY
from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.ncci_tables import (
    CURRENT_QUARTER,
    Layout,
    NcciSource,
    Reader,
    csv_rows,
    normalised,
    quarter_release,
    require_code,
    require_header,
    to_date,
    to_int,
)


@dataclass(frozen=True, slots=True)
class AocRow:
    primary: str
    add_on: str
    edit_type: int
    dates: dict[str, date | None]
    """Edit, add-on and primary effective/deletion dates where the layout gives them."""
    notes: str


def aoc_record(row: AocRow, release: Release) -> Record:
    if row.primary == CONTRACTOR_DEFINED_PRIMARY:
        pairing = (
            f"Add-on code {row.add_on} is listed with primary {CONTRACTOR_DEFINED_PRIMARY}, "
            "meaning no specific primary code."
        )
        title = f"AOC {row.add_on}: no specific primary (type {row.edit_type})"
    else:
        pairing = f"Add-on code {row.add_on} may be reported with primary code {row.primary}."
        title = f"AOC {row.add_on} with primary {row.primary} (type {row.edit_type})"
    text = (
        f"{pairing} Edit type {row.edit_type}: {AOC_TYPE_MEANINGS[row.edit_type]}. An add-on "
        "code is paid only when an acceptable primary service is also paid to the same "
        "practitioner for the same patient on the same date of service."
    )
    if row.notes:
        text += f" Special instructions: {row.notes}."
    data: dict[str, Any] = {
        "primary": row.primary,
        "add_on": row.add_on,
        "edit_type": row.edit_type,
        "contractor_defined_primary": row.primary == CONTRACTOR_DEFINED_PRIMARY,
    }
    data.update({name: day.isoformat() for name, day in row.dates.items() if day is not None})
    if row.notes:
        data["special_instruction_notes"] = row.notes
    return Record(
        ref=f"AOC:{row.primary}/{row.add_on}",
        source=release.source,
        release=release.release,
        kind="aoc",
        title=title,
        text=text,
        code=row.add_on,
        effective=row.dates.get("edit_effective"),
        terminated=_aoc_end(row.dates),
        data=data,
    )


def _aoc_end(dates: dict[str, date | None]) -> date | None:
    """The edit ends when it is deleted, or when its add-on or primary code is."""
    ends = [
        day
        for name in ("edit_deleted", "add_on_deleted", "primary_deleted")
        if (day := dates.get(name)) is not None
    ]
    return min(ends, default=None)


def aoc_reader(read_rows: Callable[[Path], Iterator[AocRow]]) -> Reader:
    def read(path: Path, release: Release) -> Iterator[Record]:
        for row in read_rows(path):
            yield aoc_record(row, release)

    return read


RESHAPED_AOC_COLUMNS = ("primary_code", "add_on_code", "aoc_edit_type")


def read_reshaped_aoc(path: Path) -> Iterator[AocRow]:
    rows = csv_rows(path, "utf-8")
    require_header(path, rows, RESHAPED_AOC_COLUMNS)
    for line, row in rows:
        if len(row) != len(RESHAPED_AOC_COLUMNS):
            raise SourceFormatError(path, f"expected 3 columns, found {len(row)}", line=line)
        primary, add_on, edit_type = (cell.strip() for cell in row)
        yield AocRow(
            require_code(path, primary, line, "primary code"),
            require_code(path, add_on, line, "add-on code"),
            to_int(path, edit_type, line, "AOC edit type", AOC_TYPE_MEANINGS),
            {},
            "",
        )


AOC_COLUMN_NAMES = {
    "add_on": ("Add-on Code",),
    "add_on_effective": ("Add-on Code Effective Date", "AOC Eff Dt"),
    "add_on_deleted": ("Add-on Code Deletion Date", "AOC Del Dt"),
    "primary": ("Primary Code",),
    "primary_effective": ("Primary Code Effective Date", "Primary Code Eff Dt"),
    "primary_deleted": ("Primary Code Deletion Date", "Primary Code Del Dt"),
    "edit_type": ("AOC Edit Type",),
    "edit_effective": ("AOC Edit Effective Date", "AOC Edit Eff Dt"),
    "edit_deleted": ("AOC Edit Deletion Date", "AOC Edit Del Dt"),
    "notes": ("Special Instruction Notes",),
}
"""Header names of the official AOC workbook (CMS has spelled them `AOC_DelDT`, `AOC Del Dt`,
`AOC Del Dt (Julian)`, `Add-on Code Deletion Date`): compared by letters and digits only."""

AOC_DATE_FIELDS = tuple(
    name for name in AOC_COLUMN_NAMES if name.endswith(("_effective", "_deleted"))
)
OFFICIAL_AOC_HEADER_SEARCH = 10


def _header_key(cell: object) -> str:
    key = re.sub(r"[^0-9a-z]", "", normalised(cell).replace("julian", ""))
    return key.replace("effectivedate", "effdt").replace("deletiondate", "deldt")


AOC_FIELD_BY_KEY = {
    _header_key(name): field for field, names in AOC_COLUMN_NAMES.items() for name in names
}


def read_official_aoc(path: Path) -> Iterator[AocRow]:
    """The official AOC workbook (AOC_V2024Q3-MCR.xlsx): a copyright row, a header row, then
    one row per add-on/primary pair; dates are Julian YYYYDDD, blank when none."""
    rows = _xlsx_rows(path)
    columns = _official_aoc_columns(path, rows)
    width = max(columns.values()) + 1
    for line, row in rows:
        cells = [_cell_text(cell) for cell in row]
        if not any(cells):
            continue
        cells += [""] * (width - len(cells))
        value = {field: cells[at] for field, at in columns.items()}
        yield AocRow(
            require_code(path, value["primary"], line, "primary code"),
            require_code(path, value["add_on"], line, "add-on code"),
            to_int(path, value["edit_type"], line, "AOC edit type", AOC_TYPE_MEANINGS),
            {
                field: to_date(
                    path, value[field], line, field.replace("_", " ") + " date", julian=True
                )
                for field in AOC_DATE_FIELDS
                if field in value
            },
            value.get("notes", ""),
        )


def _xlsx_rows(path: Path) -> Iterator[tuple[int, tuple[object, ...]]]:
    from openpyxl import load_workbook  # here, not at the top: only this layout needs it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors
        raise SourceFormatError(path, f"not a readable xlsx workbook ({exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _cell_text(cell: object) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def _official_aoc_columns(
    path: Path, rows: Iterator[tuple[int, tuple[object, ...]]]
) -> dict[str, int]:
    for line, row in rows:
        columns = {
            AOC_FIELD_BY_KEY[key]: at
            for at, key in enumerate(map(_header_key, row))
            if key in AOC_FIELD_BY_KEY
        }
        if {"add_on", "primary", "edit_type"} <= columns.keys():
            return columns
        if line >= OFFICIAL_AOC_HEADER_SEARCH:
            break
    raise SourceFormatError(
        path,
        "no header row with 'Add-on Code', 'Primary Code' and 'AOC Edit Type' in the first "
        f"{OFFICIAL_AOC_HEADER_SEARCH} rows",
        hint="check that this is the official NCCI add-on code workbook (AOC_V*.xlsx)",
    )


def aoc_downloads() -> list[DownloadSpec]:
    """The add-on code zip (fixed-width text + xlsx) linked from
    https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-add-code-edits;
    its slug is our best guess and the least certain of the NCCI URLs."""
    year, quarter = CURRENT_QUARTER
    name = f"aoc-v{year}q{quarter}-mcr.zip"
    return [
        DownloadSpec(
            url=f"https://www.cms.gov/files/zip/{name}",
            release=quarter_release(year, quarter),
            filename=name,
            unzip=True,
            members=("*.xlsx",),
        )
    ]


ADD_ON_CODES = NcciSource(
    name="ncci-aoc",
    table="records",
    layouts=(
        Layout("ncci_add_on_code_edits_*.csv", aoc_reader(read_reshaped_aoc)),
        Layout("aoc_v*.xlsx", aoc_reader(read_official_aoc)),
    ),
    download_specs=aoc_downloads,
)

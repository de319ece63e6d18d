"""Reader for the xlsx of the Alpha-Numeric HCPCS File: the same records as the text file,
one row per procedure or modifier, the long description already joined (48 columns)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from medref.errors import SourceFormatError
from medref.sources.hcpcs_layout import (
    CODE,
    DETAIL_FIELDS,
    LONG_DESCRIPTION,
    MODIFIER_FIRST,
    PROCEDURE_FIRST,
    RIC,
    HcpcsEntry,
    LayoutField,
)

Cell = str | int | float | None


def read_xlsx(path: Path) -> Iterator[HcpcsEntry]:
    """Entries in sheet order; `line` is the spreadsheet row number."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise SourceFormatError(
            path,
            f"not a readable xlsx workbook ({error})",
            hint="download the CMS zip again; the xlsx inside is probably truncated",
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        columns = _columns(next(rows, None), path)
        for number, row in enumerate(rows, start=2):
            if any(cell not in (None, "") for cell in row):
                yield _entry(row, columns, path, number)
    finally:
        workbook.close()


def _columns(header: Sequence[Cell] | None, path: Path) -> dict[str, int]:
    """Column index of every header the layout needs; a missing one means another file."""
    found = {str(name).strip(): index for index, name in enumerate(header or ()) if name}
    needed = [CODE.column, RIC.column, LONG_DESCRIPTION.column]
    needed += [column for field in DETAIL_FIELDS for column in field.columns()]
    missing = [column for column in needed if column not in found]
    if missing:
        raise SourceFormatError(
            path,
            f"the first row lacks the columns {', '.join(missing)}: not the HCPCS record sheet",
            line=1,
            hint="point medref at HCPC*_ANWEB_*.xlsx, not the transaction report or NOC list",
        )
    return found


def _entry(row: Sequence[Cell], columns: dict[str, int], path: Path, number: int) -> HcpcsEntry:
    def text(field: LayoutField, column: str) -> str:
        return _cell_text(row[columns[column]], field, path, number)

    ric = text(RIC, RIC.column).strip()
    if ric not in (PROCEDURE_FIRST, MODIFIER_FIRST):
        raise SourceFormatError(
            path,
            f"unknown RECID {ric!r} (the xlsx holds first lines only: 3 procedure, 7 modifier)",
            line=number,
        )
    code = text(CODE, CODE.column).strip()
    if not code:
        raise SourceFormatError(path, f"no code in column {CODE.column}", line=number)
    raw = {
        field.name: [text(field, column) for column in field.columns()] for field in DETAIL_FIELDS
    }
    long_lines = [text(LONG_DESCRIPTION, LONG_DESCRIPTION.column)]
    return HcpcsEntry(code, ric == MODIFIER_FIRST, long_lines, raw, path, number)


def _cell_text(value: Cell, field: LayoutField, path: Path, number: int) -> str:
    """Cells are text; Excel turns some dates into numbers, which lose no digits at width."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value).zfill(field.length)
    raise SourceFormatError(
        path, f"{field.column}: {value!r} is neither text nor a whole number", line=number
    )

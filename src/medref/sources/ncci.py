"""NCCI edit tables: procedure-to-procedure pairs, medically unlikely edits, add-on codes.

Six sources share the mirror folder `ncci/<release>/`, where the release is the first month
of the quarter the tables govern (`2024-07` = July 1 to September 30, 2024). Each source
reads either the reshaped CSVs of the shared mirror or the official CMS files of the quarter,
never both at once:

    source                  reshaped (../shared/cms)                official CMS file
    ncci-ptp-practitioner   ncci_ptp_practitioner_*.csv(.gz)        ccipra-v*-f1..f4.txt
    ncci-ptp-outpatient     ncci_ptp_outpatient_hospital_*.csv(.gz) ccioph-v*-f1..f4.txt
    ncci-mue-practitioner   ncci_mue_practitioner_*.csv             MCR_MUE_PractitionerServices_*.csv
    ncci-mue-outpatient     ncci_mue_outpatient_hospital_*.csv      MCR_MUE_*OutpatientHospital*.csv
    ncci-mue-dme            ncci_mue_dme_supplier_*.csv             MCR_MUE_DMESupplier*.csv
    ncci-aoc                ncci_add_on_code_edits_*.csv            AOC_V*.xlsx

PTP pairs (millions of rows) go to the PTP table as `PtpEdit` rows; MUEs and add-on code
edits become citable records (`MUE:J1100`, `AOC:99215/G2212`).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import IO, Any, Literal

from medref.errors import SourceFormatError
from medref.records import PtpEdit, Record, parse_date
from medref.sources.base import DownloadSpec, Release

FOLDER = "ncci"
PARSER_VERSION = "1"

CURRENT_QUARTER = (2024, 3)
"""Quarter whose official files `downloads()` names: the quarter of the shared mirror.
Bump it each quarter (CMS posts new tables about two weeks before the quarter starts)."""

MODIFIER_INDICATORS = frozenset({"0", "1", "9"})
CONTRACTOR_DEFINED_PRIMARY = "CCCCC"

MAI_MEANINGS = {
    1: "a claim line edit: the limit applies to the units on each claim line",
    2: "a date of service edit based on policy: the limit is absolute for all units of the "
    "code on one date of service",
    3: "a date of service edit based on clinical benchmarks: the limit applies to all units "
    "on one date of service, and units above it may be paid on appeal when the records "
    "show they were medically necessary",
}

AOC_TYPE_MEANINGS = {
    1: "the CPT and HCPCS files list every acceptable primary code, and contractors allow "
    "no other primary code",
    2: "no specific primary codes are listed; each Medicare contractor decides which primary "
    "codes are acceptable",
    3: "some acceptable primary codes are listed, and contractors may accept other primary "
    "codes as well",
}

HCPCS_CODE = re.compile(r"[0-9A-Z]{5}")
RELEASE_NAME = re.compile(r"(\d{4})-(\d{2})")


# -- the sources ----------------------------------------------------------------------------


Reader = Callable[[Path, Release], Iterator[Record | PtpEdit]]


@dataclass(frozen=True, slots=True)
class Layout:
    """One file layout a source accepts: which file names, and the function that reads them."""

    pattern: str
    """Lower-case glob matched against a file's lower-cased name."""
    read: Reader
    multipart: bool = False
    """True when a release splits the table across several files (official PTP f1..f4)."""


@dataclass(frozen=True, slots=True)
class NcciSource:
    name: str
    table: Literal["records", "ptp"]
    layouts: tuple[Layout, ...]
    download_specs: Callable[[], list[DownloadSpec]]
    folder: str = FOLDER
    parser_version: str = PARSER_VERSION

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        releases = []
        for folder in sorted(path for path in base.iterdir() if path.is_dir()):
            files = tuple(sorted(p for p in folder.iterdir() if self._layout_of(p) is not None))
            if files:
                start, end = quarter_bounds(folder)
                releases.append(Release(self.name, folder.name, files, start, end))
        return releases

    def parse(self, release: Release) -> Iterator[Record | PtpEdit]:
        layout = self._single_layout(release)
        for path in release.files:
            yield from layout.read(path, release)

    def downloads(self) -> list[DownloadSpec]:
        return self.download_specs()

    def _layout_of(self, path: Path) -> Layout | None:
        if not path.is_file():
            return None
        name = path.name.lower()
        return next((layout for layout in self.layouts if fnmatch(name, layout.pattern)), None)

    def _single_layout(self, release: Release) -> Layout:
        """The one layout of the release's files: two layouts, or two copies, would double rows."""
        layouts = {self._layout_of(path) for path in release.files}
        folder = release.files[0].parent if release.files else Path(release.release)
        if None in layouts or not layouts:
            raise SourceFormatError(
                folder,
                f"{self.name} cannot read these files: {[p.name for p in release.files]}",
                hint="list only files that discover() found for this source",
            )
        if len(layouts) > 1:
            raise SourceFormatError(
                folder,
                f"{self.name} has both the reshaped and the official table in one release",
                hint="keep one of them in the release folder",
            )
        layout = layouts.pop()
        assert layout is not None
        if len(release.files) > 1 and not layout.multipart:
            raise SourceFormatError(
                folder,
                f"{self.name} found {len(release.files)} copies of its table: "
                f"{[p.name for p in release.files]}",
                hint="keep one file per table in the release folder",
            )
        return layout


def quarter_bounds(folder: Path) -> tuple[date, date]:
    """First and last day of the quarter a release folder (`2024-07`) governs."""
    match = RELEASE_NAME.fullmatch(folder.name)
    if match is None or int(match[2]) not in (1, 4, 7, 10):
        raise SourceFormatError(
            folder,
            "an NCCI release folder must be named for the first month of its quarter",
            hint="rename it YYYY-01, YYYY-04, YYYY-07 or YYYY-10 (e.g. 2024-07)",
        )
    year, month = int(match[1]), int(match[2])
    start = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 10 else date(year, month + 3, 1)
    return start, following - timedelta(days=1)


# -- shared reading helpers -----------------------------------------------------------------


def csv_rows(path: Path, encoding: str, **dialect: Any) -> Iterator[tuple[int, list[str]]]:
    """(line, row) pairs of a CSV or tab-delimited table, gzip or plain, with decoding and
    truncation errors named by file and line. Blank lines are left out."""
    line = 0
    try:
        with _open_text(path, encoding) as handle:
            reader = csv.reader(handle, **dialect)
            for row in reader:
                line = reader.line_num
                if row:
                    yield line, row
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceFormatError(
            path, f"the file is damaged or truncated ({exc})", line=line + 1
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            path, f"the file is not {encoding} text ({exc.reason})", line=line + 1
        ) from exc


def _open_text(path: Path, encoding: str) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def require_header(
    path: Path, rows: Iterator[tuple[int, list[str]]], expected: tuple[str, ...]
) -> None:
    line, found = next(rows, (1, None))
    if found is None or tuple(cell.strip() for cell in found) != expected:
        raise SourceFormatError(
            path,
            f"expected the columns {', '.join(expected)}; found {found}",
            line=line,
            hint="use the reshaped table as published in the mirror, or the official CMS file",
        )


def require_code(path: Path, value: str, line: int, what: str) -> str:
    if HCPCS_CODE.fullmatch(value) is None:
        raise SourceFormatError(
            path, f"{what} {value!r} is not a 5-character HCPCS/CPT code", line=line
        )
    return value


def to_date(path: Path, value: str, line: int, what: str, *, julian: bool = False) -> date | None:
    """YYYYMMDD, ISO or MM/DD/YYYY (and Julian YYYYDDD where the layout uses it, as the AOC
    workbook does); blank or `*` = no date."""
    value = value.strip()
    try:
        if julian and len(value) == 7 and value.isdigit():
            return date(int(value[:4]), 1, 1) + timedelta(days=_day_of_year(value[4:]) - 1)
        return parse_date(value)
    except ValueError:
        raise SourceFormatError(path, f"{what} {value!r} is not a valid date", line=line) from None


def _day_of_year(digits: str) -> int:
    day = int(digits)
    if not 1 <= day <= 366:
        raise ValueError(digits)
    return day


def to_int(path: Path, value: str, line: int, what: str, allowed: Iterable[int]) -> int:
    allowed = tuple(allowed)
    if not value.strip().isdigit() or int(value) not in allowed:
        raise SourceFormatError(
            path,
            f"{what} {value!r} is not one of {', '.join(map(str, allowed))}",
            line=line,
        )
    return int(value)


def normalised(cell: object) -> str:
    """Header text compared without case or spacing (`HCPCS/\\nCPT Code` = `hcpcs/cpt code`)."""
    return " ".join(str(cell or "").split()).lower()


# -- PTP: reshaped CSV ----------------------------------------------------------------------

RESHAPED_PTP_COLUMNS = (
    "column_1",
    "column_2",
    "deletion_date",
    "modifier_indicator",
    "ptp_edit_rationale",
)


def read_reshaped_ptp(path: Path, release: Release) -> Iterator[PtpEdit]:
    """The mirror's PTP table. Kept lean: 2.5 million rows, so dates are parsed once per value
    and repeated strings shared."""
    deletion_dates: dict[str, date | None] = {"": None}
    rationales: dict[str, str] = {}
    intern = sys.intern
    rows = csv_rows(path, "utf-8")
    require_header(path, rows, RESHAPED_PTP_COLUMNS)
    for line, row in rows:
        try:
            column1, column2, deleted, indicator, rationale = row
        except ValueError:
            raise SourceFormatError(
                path, f"expected 5 columns, found {len(row)}", line=line
            ) from None
        if indicator not in MODIFIER_INDICATORS:
            raise _bad_modifier(path, indicator, line)
        if len(column1) != 5 or len(column2) != 5:
            require_code(path, column1, line, "column 1 code")
            require_code(path, column2, line, "column 2 code")
        if deleted not in deletion_dates:
            deletion_dates[deleted] = to_date(path, deleted, line, "deletion date")
        yield PtpEdit(
            intern(column1),
            intern(column2),
            None,
            deletion_dates[deleted],
            indicator,
            rationales.setdefault(rationale, rationale),
            line,
        )


def _bad_modifier(path: Path, indicator: str, line: int) -> SourceFormatError:
    return SourceFormatError(path, f"modifier indicator {indicator!r} is not 0, 1 or 9", line=line)


# -- PTP: official CMS text files -------------------------------------------------------------

OFFICIAL_PTP_HEADER_SEARCH = 30
"""The header row ("Column 1", "Column 2", ...) comes after a copyright line and a title."""


def read_official_ptp(path: Path, release: Release) -> Iterator[PtpEdit]:
    """One part (f1..f4) of an official PTP table: tab-delimited cp1252 text, a copyright line
    and a title, then a header wrapped over several rows whose first cell is blank."""
    rows = csv_rows(path, "cp1252", delimiter="\t", quoting=csv.QUOTE_NONE)
    _skip_to_ptp_header(path, rows)
    in_header = True
    for line, row in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if in_header and not cells[0]:
            continue  # the header's continuation rows ("prior to 1996", "*=no data", ...)
        in_header = False
        yield _official_ptp_edit(path, cells, line)


def _skip_to_ptp_header(path: Path, rows: Iterator[tuple[int, list[str]]]) -> None:
    for line, row in rows:
        if len(row) >= 2 and normalised(row[0]) == "column 1" and normalised(row[1]) == "column 2":
            return
        if line >= OFFICIAL_PTP_HEADER_SEARCH:
            break
    raise SourceFormatError(
        path,
        f"no 'Column 1 / Column 2' header row in the first {OFFICIAL_PTP_HEADER_SEARCH} lines",
        hint="check that this is an official NCCI PTP text file (ccipra/ccioph .txt)",
    )


def _official_ptp_edit(path: Path, cells: list[str], line: int) -> PtpEdit:
    while len(cells) > 7 and not cells[-1]:
        cells.pop()
    if len(cells) == 6:
        cells.append("")
    if len(cells) != 7:
        raise SourceFormatError(
            path,
            f"expected 7 tab-separated columns (column 1, column 2, prior-to-1996 flag, "
            f"effective date, deletion date, modifier indicator, rationale), found {len(cells)}",
            line=line,
        )
    column1, column2, before_1996, effective, deleted, indicator, rationale = cells
    require_code(path, column1, line, "column 1 code")
    require_code(path, column2, line, "column 2 code")
    if before_1996 not in ("", "*"):
        raise SourceFormatError(
            path, f"the prior-to-1996 flag {before_1996!r} is neither '*' nor blank", line=line
        )
    if indicator not in MODIFIER_INDICATORS:
        raise _bad_modifier(path, indicator, line)
    if not (len(effective) == 8 and effective.isdigit()):
        raise SourceFormatError(path, f"effective date {effective!r} is not YYYYMMDD", line=line)
    return PtpEdit(
        column1,
        column2,
        to_date(path, effective, line, "effective date"),
        to_date(path, deleted, line, "deletion date"),
        indicator,
        rationale,
        line,
    )


# -- MUE ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MueService:
    """One of the three MUE tables."""

    label: str
    """As the reshaped table's `mue_service` column writes it: `Practitioner`."""
    wording: str
    """As our titles and texts name it: `practitioner`, `DME supplier`."""
    header_keyword: str
    """What the official table's "... Services MUE Values" header must contain."""


PRACTITIONER = MueService("Practitioner", "practitioner", "practitioner")
OUTPATIENT_HOSPITAL = MueService(
    "Outpatient Hospital", "outpatient hospital", "outpatient hospital"
)
DME_SUPPLIER = MueService("DME Supplier", "DME supplier", "dme supplier")


@dataclass(frozen=True, slots=True)
class MueRow:
    code: str
    units: int
    mai: int
    rationale: str
    line: int


def mue_record(row: MueRow, service: MueService, release: Release) -> Record:
    units = f"{row.units} unit" + ("" if row.units == 1 else "s")
    text = (
        f"Medically Unlikely Edit for {row.code} on {service.wording} claims: at most {units} "
        f"of service for one beneficiary. MUE adjudication indicator {row.mai} makes it "
        f"{MAI_MEANINGS[row.mai]}. CMS rationale: {row.rationale}."
    )
    if row.units == 0:
        text += f" A value of 0 means the code is not expected on {service.wording} claims."
    return Record(
        ref=f"MUE:{row.code}",
        source=release.source,
        release=release.release,
        kind="mue",
        title=f"MUE {row.code} ({service.wording}): {units}, MAI {row.mai}",
        text=text,
        code=row.code,
        data={
            "units": row.units,
            "mai": row.mai,
            "rationale": row.rationale,
            "service": service.label,
        },
    )


def mue_reader(
    read_rows: Callable[[Path, MueService], Iterator[MueRow]], service: MueService
) -> Reader:
    """A reader that turns one MUE layout's rows into records, refusing a code listed twice."""

    def read(path: Path, release: Release) -> Iterator[Record]:
        seen: dict[str, int] = {}
        for row in read_rows(path, service):
            if row.code in seen:
                raise SourceFormatError(
                    path,
                    f"{row.code} is listed twice (first on line {seen[row.code]})",
                    line=row.line,
                )
            seen[row.code] = row.line
            yield mue_record(row, service, release)

    return read


RESHAPED_MUE_COLUMNS = ("hcpcs_code", "mue_units", "mue_mai", "mue_rationale", "mue_service")


def read_reshaped_mue(path: Path, service: MueService) -> Iterator[MueRow]:
    rows = csv_rows(path, "utf-8")
    require_header(path, rows, RESHAPED_MUE_COLUMNS)
    for line, row in rows:
        if len(row) != len(RESHAPED_MUE_COLUMNS):
            raise SourceFormatError(path, f"expected 5 columns, found {len(row)}", line=line)
        code, units, mai, rationale, row_service = (cell.strip() for cell in row)
        if row_service != service.label:
            raise SourceFormatError(
                path,
                f"service {row_service!r} does not belong in the {service.label} table",
                line=line,
                hint="check that the file is the right one of the three MUE tables",
            )
        yield MueRow(
            require_code(path, code, line, "HCPCS/CPT code"),
            _units(path, units, line),
            to_int(path, mai, line, "MUE adjudication indicator", MAI_MEANINGS),
            rationale,
            line,
        )


def _units(path: Path, value: str, line: int) -> int:
    if not value.isdigit():
        raise SourceFormatError(
            path, f"MUE value {value!r} is not a whole number of units", line=line
        )
    return int(value)


OFFICIAL_MUE_HEADER_SEARCH = 20


def read_official_mue(path: Path, service: MueService) -> Iterator[MueRow]:
    """An official MUE CSV: a quoted multi-line copyright notice, then the header
    `HCPCS/CPT Code, <Service> Services MUE Values, MUE Adjudication Indicator, MUE Rationale`
    (the first cell has a line break inside its quotes), then one row per code. The indicator
    cell holds the digit and its label: `3 Date of Service Edit: Clinical`."""
    rows = csv_rows(path, "cp1252")
    code_at, units_at, mai_at, rationale_at = _official_mue_columns(path, rows, service)
    width = max(code_at, units_at, mai_at, rationale_at) + 1
    for line, row in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < width:
            raise SourceFormatError(
                path, f"expected at least {width} columns, found {len(cells)}", line=line
            )
        yield MueRow(
            require_code(path, cells[code_at], line, "HCPCS/CPT code"),
            _units(path, cells[units_at], line),
            to_int(
                path,
                cells[mai_at].split(" ", 1)[0],
                line,
                "MUE adjudication indicator",
                MAI_MEANINGS,
            ),
            cells[rationale_at],
            line,
        )


def _official_mue_columns(
    path: Path, rows: Iterator[tuple[int, list[str]]], service: MueService
) -> tuple[int, int, int, int]:
    for line, row in rows:
        header = [normalised(cell) for cell in row]
        if header[0].replace(" ", "") == "hcpcs/cptcode":
            return (
                0,
                _official_mue_units_column(path, header, service),
                _column(path, header, "mue adjudication indicator"),
                _column(path, header, "mue rationale"),
            )
        if line >= OFFICIAL_MUE_HEADER_SEARCH:
            break
    raise SourceFormatError(
        path,
        f"no 'HCPCS/CPT Code' header row in the first {OFFICIAL_MUE_HEADER_SEARCH} lines",
        hint="check that this is an official NCCI MUE table (MCR_MUE_*.csv)",
    )


def _official_mue_units_column(path: Path, header: list[str], service: MueService) -> int:
    at = _column(path, header, "mue values")
    if service.header_keyword not in header[at]:
        raise SourceFormatError(
            path,
            f"this is the table of {header[at]!r}, not the {service.label} services table",
            hint="check which of the three MUE tables the file is",
        )
    return at


def _column(path: Path, header: list[str], wanted: str) -> int:
    for at, name in enumerate(header):
        if wanted in name:
            return at
    raise SourceFormatError(path, f"the header has no {wanted!r} column: {header}")


# -- Add-on code edits ----------------------------------------------------------------------


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


# -- official download locations ------------------------------------------------------------
# URL patterns as CMS used them in 2024-2026, from our best knowledge of the NCCI pages
# (https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits);
# CMS re-mints the slugs every quarter, so check them against the pages when bumping
# CURRENT_QUARTER. The full PTP tables sit behind the AMA licence click-through
# (cms.gov/license/ama?file=...), which a person accepts once.


def _quarter_release(year: int, quarter: int) -> str:
    return f"{year}-{3 * quarter - 2:02d}"


def ptp_downloads(setting: str, prefix: str) -> Callable[[], list[DownloadSpec]]:
    def specs() -> list[DownloadSpec]:
        year, quarter = CURRENT_QUARTER
        version = f"v{year - 1994}{quarter - 1}r0"  # 2024 Q3 -> v302r0
        return [
            DownloadSpec(
                url=f"https://www.cms.gov/files/zip/medicare-ncci-{year}q{quarter}-{setting}"
                f"-ptp-edits-{prefix}-{version}-f{part}.zip",
                release=_quarter_release(year, quarter),
                filename=f"{prefix}-{version}-f{part}.zip",
                unzip=True,
                members=("*.txt", "*.TXT"),
            )
            for part in range(1, 5)
        ]

    return specs


def mue_downloads(slug: str) -> Callable[[], list[DownloadSpec]]:
    def specs() -> list[DownloadSpec]:
        year, quarter = CURRENT_QUARTER
        name = f"medicare-ncci-{year}-q{quarter}-{slug}-services-mue-table.zip"
        return [
            DownloadSpec(
                url=f"https://www.cms.gov/files/zip/{name}",
                release=_quarter_release(year, quarter),
                filename=name,
                unzip=True,
                members=("*.csv",),
            )
        ]

    return specs


def aoc_downloads() -> list[DownloadSpec]:
    """The add-on code zip (fixed-width text + xlsx) linked from
    https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-add-code-edits;
    its slug is our best guess and the least certain of the NCCI URLs."""
    year, quarter = CURRENT_QUARTER
    name = f"aoc-v{year}q{quarter}-mcr.zip"
    return [
        DownloadSpec(
            url=f"https://www.cms.gov/files/zip/{name}",
            release=_quarter_release(year, quarter),
            filename=name,
            unzip=True,
            members=("*.xlsx",),
        )
    ]


# -- the registry ---------------------------------------------------------------------------


def _mue_source(
    name: str, service: MueService, reshaped: str, official: str, slug: str
) -> NcciSource:
    return NcciSource(
        name=name,
        table="records",
        layouts=(
            Layout(reshaped, mue_reader(read_reshaped_mue, service)),
            Layout(official, mue_reader(read_official_mue, service)),
        ),
        download_specs=mue_downloads(slug),
    )


SOURCES = [
    NcciSource(
        name="ncci-ptp-practitioner",
        table="ptp",
        layouts=(
            Layout("ncci_ptp_practitioner_*.csv*", read_reshaped_ptp),
            Layout("ccipra*.txt", read_official_ptp, multipart=True),
        ),
        download_specs=ptp_downloads("practitioner", "ccipra"),
    ),
    NcciSource(
        name="ncci-ptp-outpatient",
        table="ptp",
        layouts=(
            Layout("ncci_ptp_outpatient_hospital_*.csv*", read_reshaped_ptp),
            Layout("ccioph*.txt", read_official_ptp, multipart=True),
        ),
        download_specs=ptp_downloads("hospital", "ccioph"),
    ),
    _mue_source(
        "ncci-mue-practitioner",
        PRACTITIONER,
        "ncci_mue_practitioner_*.csv",
        "mcr_mue_practitionerservices*.csv",
        "practitioner",
    ),
    _mue_source(
        "ncci-mue-outpatient",
        OUTPATIENT_HOSPITAL,
        "ncci_mue_outpatient_hospital_*.csv",
        "mcr_mue_*outpatienthospital*.csv",
        "facility-outpatient-hospital",
    ),
    _mue_source(
        "ncci-mue-dme",
        DME_SUPPLIER,
        "ncci_mue_dme_supplier_*.csv",
        "mcr_mue_dmesupplier*.csv",
        "dme-supplier",
    ),
    NcciSource(
        name="ncci-aoc",
        table="records",
        layouts=(
            Layout("ncci_add_on_code_edits_*.csv", aoc_reader(read_reshaped_aoc)),
            Layout("aoc_v*.xlsx", aoc_reader(read_official_aoc)),
        ),
        download_specs=aoc_downloads,
    ),
]

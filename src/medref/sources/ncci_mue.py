"""NCCI medically unlikely edits (MUE): the practitioner, outpatient hospital and DME supplier
tables, as citable records `MUE:J1100`.

    reshaped (../shared/cms)                 official CMS file
    ncci_mue_practitioner_*.csv              MCR_MUE_PractitionerServices_*.csv
    ncci_mue_outpatient_hospital_*.csv       MCR_MUE_*OutpatientHospital*.csv
    ncci_mue_dme_supplier_*.csv              MCR_MUE_DMESupplier*.csv
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medref.codes.ncci import MAI_MEANINGS
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
    to_int,
)


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
    if not (value.isascii() and value.isdigit()):  # not '²', which int() refuses
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


def mue_downloads(slug: str) -> Callable[[], list[DownloadSpec]]:
    def specs() -> list[DownloadSpec]:
        year, quarter = CURRENT_QUARTER
        name = f"medicare-ncci-{year}-q{quarter}-{slug}-services-mue-table.zip"
        return [
            DownloadSpec(
                url=f"https://www.cms.gov/files/zip/{name}",
                release=quarter_release(year, quarter),
                filename=name,
                unzip=True,
                members=("*.csv",),
            )
        ]

    return specs


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


PRACTITIONER_MUE = _mue_source(
    "ncci-mue-practitioner",
    PRACTITIONER,
    "ncci_mue_practitioner_*.csv",
    "mcr_mue_practitionerservices*.csv",
    "practitioner",
)
OUTPATIENT_MUE = _mue_source(
    "ncci-mue-outpatient",
    OUTPATIENT_HOSPITAL,
    "ncci_mue_outpatient_hospital_*.csv",
    "mcr_mue_*outpatienthospital*.csv",
    "facility-outpatient-hospital",
)
DME_MUE = _mue_source(
    "ncci-mue-dme",
    DME_SUPPLIER,
    "ncci_mue_dme_supplier_*.csv",
    "mcr_mue_dmesupplier*.csv",
    "dme-supplier",
)

"""Medicare Physician Fee Schedule relative value file (PPRRVU): payment policy indicators.

One record per code and modifier row (`PFS:99213`, `PFS:71046-26`), its indicators decoded
into words: status, global surgery days, PC/TC, multiple procedure, bilateral, assistant,
co-surgeon and team surgery, endoscopic base, RVUs and conversion factor. What each indicator
value means is a domain fact of `medref.codes.pfs_indicators`.

Releases are folders `pfs/<YYYY-MM>/` named for the month the release takes effect
(RVU25A = `2025-01`, RVU25B = `2025-04`); the CSV has title rows, then a header wrapped over
several rows whose last row starts with `HCPCS`.

CPT (numeric, F/T/U/M-suffixed) and CDT (D-code) descriptors are AMA/ADA text: they never
reach a record, even from a licensed copy of the file. Level II descriptors are public.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from medref.codes.hcpcs_ranges import public_descriptor
from medref.codes.patterns import PROCEDURE_CODE
from medref.codes.pfs_indicators import INDICATORS, PAYMENT_MODIFIERS
from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release

REQUIRED_COLUMNS = (
    "hcpcs",
    "mod",
    "description",
    "status_code",
    "work_rvu",
    "non_fac_pe_rvu",
    "non_fac_na_indicator",
    "facility_pe_rvu",
    "facility_na_indicator",
    "mp_rvu",
    "non_facility_total",
    "facility_total",
    "pctc_ind",
    "glob_days",
    "pre_op",
    "intra_op",
    "post_op",
    "mult_proc",
    "bilat_surg",
    "asst_surg",
    "co_surg",
    "team_surg",
    "endo_base",
    "conv_factor",
)

FLOAT_COLUMNS = frozenset(
    {
        "work_rvu",
        "non_fac_pe_rvu",
        "facility_pe_rvu",
        "mp_rvu",
        "non_facility_total",
        "facility_total",
        "pre_op",
        "intra_op",
        "post_op",
        "conv_factor",
        "non_facility_pe_used_for_opps_payment_amount",
        "facility_pe_used_for_opps_payment_amount",
        "mp_used_for_opps_payment_amount",
    }
)
INT_COLUMNS = frozenset(
    {"pctc_ind", "mult_proc", "bilat_surg", "asst_surg", "co_surg", "team_surg", "calculation_flag"}
)

RELEASE_NAME = re.compile(r"(\d{4})-(\d{2})")
HEADER_SEARCH = 30
ENCODING = "cp1252"
DOS_EOF = "\x1a"


@dataclass(frozen=True, slots=True)
class PfsSource:
    name: str = "pfs"
    folder: str = "pfs"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        found = [
            (folder, release_start(folder), files)
            for folder in sorted(p for p in base.iterdir() if p.is_dir())
            if (files := rvu_files(folder))
        ]
        found.sort(key=lambda item: item[1])
        return [
            Release(
                self.name,
                folder.name,
                files,
                start,
                found[at + 1][1] - timedelta(days=1) if at + 1 < len(found) else None,
            )
            for at, (folder, start, files) in enumerate(found)
        ]

    def parse(self, release: Release) -> Iterator[Record]:
        if len(release.files) != 1:
            raise SourceFormatError(
                release.files[0].parent if release.files else release.release,
                f"expected one PPRRVU csv, found {[p.name for p in release.files]}",
                hint="keep one relative value file per release folder (the non-QPP one where "
                "CMS publishes two)",
            )
        for row in read_rvu_rows(release.files[0]):
            yield pfs_record(row, release)

    def downloads(self) -> list[DownloadSpec]:
        """RVU25A from https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files.
        The zip's slug carries the date it was last reposted, so this URL is our best
        knowledge of the January 2025 posting; check it on the page for a new release."""
        return [
            DownloadSpec(
                url="https://www.cms.gov/files/zip/rvu25a-updated-01-10-2025.zip",
                release="2025-01",
                filename="rvu25a-updated-01-10-2025.zip",
                unzip=True,
                members=("PPRRVU*.csv", "GPCI*.csv", "*LOCCO.csv", "RVU25A*.pdf"),
            )
        ]


def rvu_files(folder: Path) -> tuple[Path, ...]:
    return tuple(
        sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.name.upper().startswith("PPRRVU") and p.suffix.lower() == ".csv"
        )
    )


def release_start(folder: Path) -> date:
    match = RELEASE_NAME.fullmatch(folder.name)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise SourceFormatError(
            folder,
            "a PFS release folder must be named for the month it takes effect",
            hint="rename it YYYY-MM (RVU25A = 2025-01, RVU25B = 2025-04)",
        )
    return date(int(match[1]), int(match[2]), 1)


# -- reading the CSV ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RvuRow:
    values: dict[str, Any]
    """Every column by snake_case name, numbers converted."""
    line: int
    path: Path


def read_rvu_rows(path: Path) -> Iterator[RvuRow]:
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            reader = csv.reader(handle, strict=True)
            columns = read_columns(path, reader)
            seen: dict[tuple[str, str], int] = {}
            for row in reader:
                if is_blank(row):
                    continue
                values = typed_values(path, columns, row, reader.line_num)
                key = (values["hcpcs"], values["mod"])
                if key in seen:
                    raise SourceFormatError(
                        path,
                        f"{'-'.join(filter(None, key))} is listed twice (first on line {seen[key]})",
                        line=reader.line_num,
                    )
                seen[key] = reader.line_num
                yield RvuRow(values, reader.line_num, path)
    except csv.Error as exc:
        raise SourceFormatError(path, f"malformed CSV ({exc})", line=reader.line_num) from exc
    except UnicodeDecodeError as exc:
        raise SourceFormatError(path, f"the file is not {ENCODING} text ({exc.reason})") from exc


def is_blank(row: list[str]) -> bool:
    """Empty, or only the DOS end-of-file mark (Ctrl-Z) CMS leaves on the last line."""
    return not "".join(row).replace(DOS_EOF, "").strip()


def read_columns(path: Path, reader: Iterator[list[str]]) -> list[str]:
    """Column names from the wrapped header: the `HCPCS` row and the caption rows above it."""
    above: list[list[str]] = []
    for _ in range(HEADER_SEARCH):
        row = next(reader, None)
        if row is None:
            break
        if row and row[0].strip().upper() == "HCPCS":
            columns = stacked_names(above, row)
            missing = [name for name in REQUIRED_COLUMNS if name not in columns]
            if missing:
                raise SourceFormatError(
                    path,
                    f"the header lacks the columns {', '.join(missing)}",
                    hint="check that this is the PPRRVU file of the RVU release",
                )
            return columns
        above.append(row)
    raise SourceFormatError(
        path,
        f"no header row starting with HCPCS in the first {HEADER_SEARCH} lines",
        hint="check that this is the PPRRVU csv of the RVU release, not another file of the zip",
    )


def stacked_names(above: list[list[str]], last: list[str]) -> list[str]:
    """Join each column's caption cells top-down: `NON-FAC` + `PE RVU` = `non_fac_pe_rvu`.
    Captions are the rows right above `HCPCS` whose first three cells are blank; a title row
    (text in those cells) or an empty row ends them."""
    captions: list[list[str]] = []
    for row in reversed(above):
        cells = [cell.strip() for cell in row]
        if not any(cells) or any(cells[:3]):
            break
        captions.insert(0, cells)
    names = []
    for at, cell in enumerate(last):
        parts = [row[at] for row in captions if at < len(row) and row[at]] + [cell.strip()]
        names.append(snake_case(" ".join(parts)))
    return names


def snake_case(caption: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", caption.lower()))


def typed_values(path: Path, columns: list[str], row: list[str], line: int) -> dict[str, Any]:
    if len(row) != len(columns):
        raise SourceFormatError(
            path, f"expected {len(columns)} columns, found {len(row)}", line=line
        )
    values: dict[str, Any] = {}
    for name, cell in zip(columns, row, strict=True):
        cell = cell.strip()
        try:
            if name in FLOAT_COLUMNS:
                values[name] = float(cell)
            elif name in INT_COLUMNS:
                values[name] = int(cell)
            else:
                values[name] = cell
        except ValueError:
            raise SourceFormatError(path, f"{name} {cell!r} is not a number", line=line) from None
    if PROCEDURE_CODE.fullmatch(values["hcpcs"]) is None:
        raise SourceFormatError(
            path, f"HCPCS {values['hcpcs']!r} is not a 5-character code", line=line
        )
    if not public_descriptor(values["hcpcs"]):
        values["description"] = ""  # CPT or CDT: AMA/ADA text stays out
    return values


# -- the record -----------------------------------------------------------------------------


def pfs_record(row: RvuRow, release: Release) -> Record:
    values = row.values
    code, modifier = values["hcpcs"], values["mod"]
    ident = f"{code}-{modifier}" if modifier else code
    title = f"PFS {ident}: status {values['status_code']}, global {values['glob_days']}"
    if values["description"]:
        title += f" ({values['description']})"
    return Record(
        ref=f"PFS:{ident}",
        source=release.source,
        release=release.release,
        kind="pfs",
        title=title,
        text=" ".join(describe(row, ident, release)),
        code=code,
        data=values,
    )


def describe(row: RvuRow, ident: str, release: Release) -> Iterator[str]:
    """The row's indicators in words, one sentence each."""
    values = row.values
    label = f"{ident} ({values['description']})" if values["description"] else ident
    yield f"Medicare Physician Fee Schedule, release {release.release}: {label}."
    if values["mod"]:
        yield f"Modifier {values['mod']} row: {decode(row, 'mod', PAYMENT_MODIFIERS)}."
    for column, (name, table) in INDICATORS.items():
        yield f"{name} {values[column]}: {decode(row, column, table)}."
    if values["endo_base"]:
        yield f"Endoscopic base code {values['endo_base']}."
    shares = [values["pre_op"], values["intra_op"], values["post_op"]]
    if any(shares):
        pre, intra, post = (f"{share:.0%}" for share in shares)
        yield (
            f"Global package split: pre-operative {pre}, intra-operative {intra}, "
            f"post-operative {post}."
        )
    yield (
        f"RVUs: work {values['work_rvu']:.2f}, non-facility practice expense "
        f"{values['non_fac_pe_rvu']:.2f}, facility practice expense "
        f"{values['facility_pe_rvu']:.2f}, malpractice {values['mp_rvu']:.2f}; total "
        f"{values['non_facility_total']:.2f} non-facility and {values['facility_total']:.2f} "
        "facility."
    )
    for column, setting in (
        ("non_fac_na_indicator", "non-facility"),
        ("facility_na_indicator", "facility"),
    ):
        if values[column] == "NA":
            yield (
                f"No {setting} practice expense RVU (NA): the service is rarely or never "
                f"performed in the {setting} setting."
            )
    if values.get("not_used_for_medicare_payment"):
        yield "The file marks these RVUs as not used for Medicare payment."
    yield f"Conversion factor {values['conv_factor']:.4f}."


def decode(row: RvuRow, column: str, table: dict[str, str]) -> str:
    value = str(row.values[column])
    if value not in table:
        raise SourceFormatError(
            row.path,
            f"{column} {value!r} is not a value the RVU documentation defines ({', '.join(table)})",
            line=row.line,
            hint="add its meaning from the release's RVU documentation to the decoding table "
            "in medref/codes/pfs_indicators.py, or download the file again",
        )
    return table[value]


PFS = PfsSource()
SOURCES = [PFS]

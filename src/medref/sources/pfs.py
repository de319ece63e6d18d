"""Medicare Physician Fee Schedule relative value file (PPRRVU): payment policy indicators.

One record per code and modifier row (`PFS:99213`, `PFS:71046-26`), its indicators decoded
into words: status, global surgery days, PC/TC, multiple procedure, bilateral, assistant,
co-surgeon and team surgery, endoscopic base, RVUs and conversion factor. The decoding tables
below restate the definitions of the RVU file documentation (RVU25A, Attachment A and the
record layout) in our own words.

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

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release

STATUS_CODES = {
    "A": "active code, paid separately under the fee schedule when covered (the status alone "
    "is not a national coverage decision)",
    "B": "bundled code: payment is always included in the payment for other services, and "
    "any RVUs shown are not used for payment",
    "C": "contractor-priced: the Medicare contractor sets the RVUs and payment, usually case "
    "by case after reviewing documentation",
    "D": "deleted code, from the start of the year",
    "E": "excluded from the fee schedule by regulation; when covered, it is paid under other rules",
    "F": "deleted or discontinued code, with no grace period",
    "G": "not valid for Medicare, which uses another code for the service (90-day grace period)",
    "H": "deleted component: the code's professional or technical component row was deleted",
    "I": "not valid for Medicare, which uses another code for the service (no grace period)",
    "J": "anesthesia service: no RVUs and no fee schedule amount",
    "M": "measurement code, for reporting only",
    "N": "not covered by Medicare",
    "P": "bundled or excluded: no RVUs and no separate fee schedule payment; bundled into the "
    "physician service when furnished incident to it, otherwise paid under other provisions",
    "R": "restricted coverage: special coverage instructions apply, and covered services are "
    "contractor-priced",
    "T": "paid only when no other fee schedule service is billed by the same provider on the "
    "same date; otherwise bundled into that service",
    "X": "statutory exclusion: not a physician service for fee schedule purposes, so no fee "
    "schedule payment",
}

GLOBAL_DAYS = {
    "000": "0-day global period: pre- and postoperative work on the day of the procedure is "
    "in the payment, and E/M services that day are generally not paid separately",
    "010": "10-day global period: the payment covers the day of the procedure and 10 days "
    "after it, and E/M services in that window are generally not paid separately",
    "090": "90-day global period (major surgery): the payment covers the day before, the day "
    "of the procedure and 90 days after it",
    "MMM": "maternity code: the usual global surgery period does not apply",
    "XXX": "the global surgery concept does not apply",
    "YYY": "the contractor decides whether a global period applies and sets it when pricing",
    "ZZZ": "the code goes with another service and falls within that service's global period",
}

PCTC_INDICATORS = {
    "0": "physician service that cannot be split into professional and technical components; "
    "modifiers 26 and TC do not apply",
    "1": "diagnostic test with professional and technical components; modifiers 26 and TC "
    "may be used",
    "2": "professional component only (a stand-alone interpretation code); modifiers 26 and "
    "TC do not apply",
    "3": "technical component only (a stand-alone code for the staff and equipment part, or a "
    "test covered only as a diagnostic test); modifiers 26 and TC do not apply",
    "4": "global test only (a stand-alone code for the whole test, which also has "
    "professional-only and technical-only codes); modifiers 26 and TC do not apply",
    "5": "incident-to service furnished by auxiliary staff under direct supervision; not "
    "payable to the practitioner for hospital inpatients or outpatients; modifiers 26 and TC "
    "do not apply",
    "6": "laboratory physician interpretation, paid separately from the test (the test is "
    "paid under the laboratory fee schedule); modifier TC does not apply",
    "7": "physical therapy service not payable when an independently practising therapist "
    "furnishes it to a hospital outpatient or inpatient",
    "8": "physician interpretation paid only for an abnormal smear of a hospital inpatient; no "
    "technical component is recognised",
    "9": "the professional/technical component concept does not apply",
}

MULTIPLE_PROCEDURE = {
    "0": "no multiple procedure reduction: paid at the lower of the charge and the fee "
    "schedule amount",
    "1": "the multiple procedure rules in effect before 1995 apply (100%, 50%, 25%, 25%, 25%, "
    "then by report)",
    "2": "standard multiple procedure reduction: ranked by fee schedule amount, 100% for the "
    "highest and 50% for each of the next procedures, then by report",
    "3": "multiple endoscopy rules apply with other endoscopies that share its endoscopic "
    "base code",
    "4": "diagnostic imaging reduction: with another image of the same family in the same "
    "session, the technical component of the lower-priced ones is paid at 50% and their "
    "professional component is reduced by 5%",
    "5": "practice expense reduction for certain therapy services (50% of the practice "
    "expense of the second and later services)",
    "6": "diagnostic cardiovascular reduction: 25% off the technical component of the second "
    "and later procedures",
    "7": "diagnostic ophthalmology reduction: 20% off the technical component of the second "
    "and later procedures",
    "9": "the multiple procedure concept does not apply",
}
"""Indicator 8 is not defined in the RVU25A documentation, so it is not decoded."""

BILATERAL_SURGERY = {
    "0": "no 150% bilateral adjustment: both sides together are paid at most 100% of the "
    "single-code amount (anatomy or a separate bilateral code rules it out)",
    "1": "the 150% bilateral adjustment applies when billed with modifier 50, with RT and LT, "
    "or with 2 units",
    "2": "the RVUs already assume a bilateral procedure: no 150% adjustment, and both sides "
    "together are paid at most 100% of the single-code amount",
    "3": "each side is paid on its own, up to 100% of the fee schedule amount per side "
    "(mostly radiology and other diagnostic tests)",
    "9": "the bilateral surgery concept does not apply",
}

ASSISTANT_AT_SURGERY = {
    "0": "an assistant at surgery is paid only with documentation of medical necessity",
    "1": "an assistant at surgery may not be paid (statutory restriction)",
    "2": "an assistant at surgery may be paid",
    "9": "the assistant-at-surgery concept does not apply",
}

CO_SURGEONS = {
    "0": "co-surgeons (modifier 62) are not permitted",
    "1": "co-surgeons may be paid with documentation that two surgeons were medically necessary",
    "2": "co-surgeons are permitted without documentation when the two-specialty requirement "
    "is met",
    "9": "the co-surgeon concept does not apply",
}

TEAM_SURGERY = {
    "0": "team surgeons (modifier 66) are not permitted",
    "1": "team surgeons may be paid, by report, with documentation that a team was medically "
    "necessary",
    "2": "team surgeons are permitted and paid by report",
    "9": "the team surgery concept does not apply",
}

MODIFIERS = {
    "26": "professional component",
    "TC": "technical component",
    "53": "discontinued procedure (separate RVUs for a procedure the physician ended early)",
}

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

DECODED_COLUMNS = (
    ("status_code", "Status", STATUS_CODES),
    ("glob_days", "Global surgery", GLOBAL_DAYS),
    ("pctc_ind", "PC/TC indicator", PCTC_INDICATORS),
    ("mult_proc", "Multiple procedure indicator", MULTIPLE_PROCEDURE),
    ("bilat_surg", "Bilateral surgery indicator", BILATERAL_SURGERY),
    ("asst_surg", "Assistant at surgery indicator", ASSISTANT_AT_SURGERY),
    ("co_surg", "Co-surgeon indicator", CO_SURGEONS),
    ("team_surg", "Team surgery indicator", TEAM_SURGERY),
)

LEVEL_II_CODE = re.compile(r"[A-CE-V]\d{4}")
"""HCPCS Level II codes, whose descriptors are public; D-codes are CDT (ADA) and excluded."""
HCPCS_CODE = re.compile(r"[0-9A-Z]{5}")
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
            reader = csv.reader(handle)
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
    if HCPCS_CODE.fullmatch(values["hcpcs"]) is None:
        raise SourceFormatError(
            path, f"HCPCS {values['hcpcs']!r} is not a 5-character code", line=line
        )
    if LEVEL_II_CODE.fullmatch(values["hcpcs"]) is None:
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
        yield f"Modifier {values['mod']} row: {decode(row, 'mod', MODIFIERS)}."
    for column, name, table in DECODED_COLUMNS:
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
            "in medref/sources/pfs.py, or download the file again",
        )
    return table[value]


PFS = PfsSource()
SOURCES = [PFS]

"""NCCI procedure-to-procedure (PTP) edit tables, practitioner and outpatient hospital.

    reshaped (../shared/cms)                   official CMS files
    ncci_ptp_practitioner_*.csv(.gz)           ccipra-v*-f1..f4.txt
    ncci_ptp_outpatient_hospital_*.csv(.gz)    ccioph-v*-f1..f4.txt

PTP pairs (millions of rows) go to the PTP table as `PtpEdit` rows, not records.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from medref.codes.ncci import PTP_MODIFIER_INDICATORS
from medref.errors import SourceFormatError
from medref.records import PtpEdit
from medref.sources.base import DownloadSpec, Release
from medref.sources.ncci_tables import (
    CURRENT_QUARTER,
    Layout,
    NcciSource,
    csv_rows,
    normalised,
    quarter_release,
    require_code,
    require_header,
    to_date,
)

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
        if indicator not in PTP_MODIFIER_INDICATORS:
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
    if indicator not in PTP_MODIFIER_INDICATORS:
        raise _bad_modifier(path, indicator, line)
    if not (len(effective) == 8 and effective.isascii() and effective.isdigit()):
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


# -- official download locations ------------------------------------------------------------
# URL patterns as CMS used them in 2024-2026, from our best knowledge of the NCCI pages
# (https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits);
# CMS re-mints the slugs every quarter, so check them against the pages when bumping
# CURRENT_QUARTER. The full PTP tables sit behind the AMA licence click-through
# (cms.gov/license/ama?file=...), which a person accepts once.


def ptp_downloads(setting: str, prefix: str) -> Callable[[], list[DownloadSpec]]:
    def specs() -> list[DownloadSpec]:
        year, quarter = CURRENT_QUARTER
        version = f"v{year - 1994}{quarter - 1}r0"  # 2024 Q3 -> v302r0
        return [
            DownloadSpec(
                url=f"https://www.cms.gov/files/zip/medicare-ncci-{year}q{quarter}-{setting}"
                f"-ptp-edits-{prefix}-{version}-f{part}.zip",
                release=quarter_release(year, quarter),
                filename=f"{prefix}-{version}-f{part}.zip",
                unzip=True,
                members=("*.txt", "*.TXT"),
            )
            for part in range(1, 5)
        ]

    return specs


PRACTITIONER_PTP = NcciSource(
    name="ncci-ptp-practitioner",
    table="ptp",
    layouts=(
        Layout("ncci_ptp_practitioner_*.csv*", read_reshaped_ptp),
        Layout("ccipra*.txt", read_official_ptp, multipart=True),
    ),
    download_specs=ptp_downloads("practitioner", "ccipra"),
)
OUTPATIENT_PTP = NcciSource(
    name="ncci-ptp-outpatient",
    table="ptp",
    layouts=(
        Layout("ncci_ptp_outpatient_hospital_*.csv*", read_reshaped_ptp),
        Layout("ccioph*.txt", read_official_ptp, multipart=True),
    ),
    download_specs=ptp_downloads("hospital", "ccioph"),
)

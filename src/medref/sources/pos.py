"""Place of service codes: the two-digit codes a professional claim gives for where a service
was furnished, and whether Medicare pays it at the facility or non-facility fee schedule rate.

Reads `pos/*.csv` with the columns pos_code, pos_type, pos_name, pos_description (the mirror's
reshaped copy of the CMS code set), or the CMS code set page itself (`pos/*.html`, see
pos_html.py), which does not give the facility/non-facility setting. A folder without release subfolders is the release
`current`; release subfolders (`pos/2025-01/`) are read each as its own release. Codes CMS
has not assigned (`Unassigned` rows) become records too, so that "what is POS 30?" has an
answer.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.pos_html import read_pos_html

COLUMNS = ("pos_code", "pos_type", "pos_name", "pos_description")
UNASSIGNED = "Unassigned"
RATE_SETTINGS = {
    "Facility": "Medicare pays practitioners' services here at the facility rate of the "
    "physician fee schedule",
    "Non-Facility": "Medicare pays practitioners' services here at the non-facility rate of "
    "the physician fee schedule",
}
POS_CODE = re.compile(r"\d{2}")
CURRENT = "current"
ENCODING = "utf-8"


@dataclass(frozen=True, slots=True)
class PosSource:
    name: str = "pos"
    folder: str = "pos"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        subfolders = sorted(p for p in base.iterdir() if p.is_dir() and csv_files(p))
        if subfolders:
            return [Release(self.name, p.name, csv_files(p)) for p in subfolders]
        files = csv_files(base)
        return [Release(self.name, CURRENT, files)] if files else []

    def parse(self, release: Release) -> Iterator[Record]:
        seen: dict[str, Path] = {}
        for path in release.files:
            for record in read_pos_file(path, release):
                assert record.code is not None
                if record.code in seen:
                    raise SourceFormatError(
                        path,
                        f"POS {record.code} is also listed in {seen[record.code].name}",
                        hint="keep one place-of-service table per release",
                    )
                seen[record.code] = path
                yield record

    def downloads(self) -> list[DownloadSpec]:
        """The CMS code set page (an HTML table, read by pos_html.py; it has no
        facility/non-facility column, which the mirror's reshaped CSV adds)."""
        return [
            DownloadSpec(
                url="https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets",
                release=CURRENT,
                filename="place-of-service-code-sets.html",
            )
        ]


def csv_files(folder: Path) -> tuple[Path, ...]:
    """The code-set files of a folder: the CSV form, or the CMS page saved as HTML."""
    return tuple(
        sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".html"))
    )


def read_pos_file(path: Path, release: Release) -> Iterator[Record]:
    if path.suffix.lower() == ".csv":
        yield from read_pos(path, release)
        return
    for line, code, name, description in read_pos_html(path):
        unassigned = name.lower() == UNASSIGNED.lower()
        yield pos_record(
            path, [code, UNASSIGNED if unassigned else "", name, description], line, release
        )


def read_pos(path: Path, release: Release) -> Iterator[Record]:
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None or tuple(cell.strip() for cell in header) != COLUMNS:
                raise SourceFormatError(
                    path,
                    f"expected the columns {', '.join(COLUMNS)}; found {header}",
                    line=1,
                    hint="use the place-of-service CSV of the mirror",
                )
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield pos_record(path, [cell.strip() for cell in row], reader.line_num, release)
    except csv.Error as exc:
        raise SourceFormatError(path, f"malformed CSV ({exc})", line=reader.line_num) from exc
    except UnicodeDecodeError as exc:
        raise SourceFormatError(path, f"the file is not {ENCODING} text ({exc.reason})") from exc


def pos_record(path: Path, row: list[str], line: int, release: Release) -> Record:
    if len(row) != len(COLUMNS):
        raise SourceFormatError(path, f"expected 4 columns, found {len(row)}", line=line)
    code, setting, name, description = row
    if POS_CODE.fullmatch(code) is None:
        raise SourceFormatError(path, f"POS code {code!r} is not two digits", line=line)
    if setting and setting != UNASSIGNED and setting not in RATE_SETTINGS:
        raise SourceFormatError(
            path,
            f"pos_type {setting!r} is not Facility, Non-Facility or {UNASSIGNED}",
            line=line,
        )
    assigned = setting != UNASSIGNED
    if assigned:
        sentence = description if description.endswith(".") else f"{description}."
        rate = f" {RATE_SETTINGS[setting]}." if setting else ""
        text = f"Place of service {code}, {name}: {sentence}{rate}"
    else:
        text = f"Place of service code {code} is unassigned: CMS has not given it a meaning."
    return Record(
        ref=f"POS:{code}",
        source=release.source,
        release=release.release,
        kind="pos",
        title=name if assigned else f"Unassigned ({code})",
        text=text,
        code=code,
        data={
            "pos_code": code,
            "pos_type": setting or None,
            "name": name,
            "description": description,
            "assigned": assigned,
            "facility_rate": setting == "Facility" if assigned and setting else None,
        },
    )


POS = PosSource()
SOURCES = [POS]

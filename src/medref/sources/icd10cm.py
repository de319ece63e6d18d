"""ICD-10-CM diagnosis codes (CDC/CMS), one release per folder of `icd10cm/`.

A release folder is named for the fiscal year (`2025`: October 1 2024 - September 30 2025)
or for the month of an update (`2026-04`: from April 1 2026). It holds one of, in order of
preference: the tabular XML (`*tabular*.xml`: hierarchy, notes, 7th characters), the CMS
order file (`icd10cm_order_*.txt`), or the reshaped CSV (`icd10cm_*_codes.csv`). Other
folders (such as `gems-2018`, the ICD-9 mappings) are not releases of codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from medref import refs
from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.icd10cm_codes import IcdCode, describe
from medref.sources.icd10cm_lists import read_codes_csv, read_order_file
from medref.sources.icd10cm_tabular import read_tabular

FISCAL_YEAR = re.compile(r"^(\d{4})$")
UPDATE_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
Reader = Callable[[Path], Iterable[IcdCode]]
# (glob, reader), most informative first
LAYOUTS: tuple[tuple[str, Reader], ...] = (
    ("*tabular*.xml", read_tabular),
    ("icd10cm?order?*.txt", read_order_file),
    ("icd10cm_*_codes.csv", read_codes_csv),
)
CURRENT_RELEASE = "2026"
CURRENT_FILES = (
    ("https://www.cms.gov/files/zip/2026-code-tables-tabular-and-index.zip", "*tabular*.xml"),
    (
        "https://www.cms.gov/files/zip/2026-code-descriptions-tabular-order.zip",
        "*icd10cm?order?*.txt",
    ),
)


@dataclass(slots=True)
class Icd10cmSource:
    name: str = "icd10cm"
    folder: str = "icd10cm"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        return discover_releases(root / self.folder, self.name)

    def parse(self, release: Release) -> Iterator[Record]:
        for path in release.files:
            for entry in reader_for(path)(path):
                yield to_record(entry, self.name, release.release)

    def downloads(self) -> list[DownloadSpec]:
        return [
            DownloadSpec(
                url=url,
                release=CURRENT_RELEASE,
                filename=url.rsplit("/", 1)[1],
                unzip=True,
                members=(member,),
            )
            for url, member in CURRENT_FILES
        ]


ICD10CM = Icd10cmSource()
SOURCES = [ICD10CM]


def to_record(entry: IcdCode, source: str, release: str) -> Record:
    return Record(
        ref=refs.make("ICD10CM", entry.code),
        source=source,
        release=release,
        kind="code",
        title=entry.title,
        text=describe(entry),
        code=entry.code,
        parent=refs.make("ICD10CM", entry.parent) if entry.parent else None,
        data=entry.data,
    )


def reader_for(path: Path) -> Reader:
    for pattern, reader in LAYOUTS:
        if path.match(pattern):
            return reader
    raise SourceFormatError(
        path,
        "not a known ICD-10-CM layout",
        hint="give a tabular XML, an icd10cm_order_*.txt order file or an icd10cm_*_codes.csv",
    )


def discover_releases(folder: Path, source: str) -> list[Release]:
    """Release folders holding a known layout, ordered by the date they take effect."""
    found: list[tuple[date, date | None, str, Path]] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        period = release_period(path.name)
        data = _data_file_in(path) if period and path.is_dir() else None
        if period is not None and data is not None:
            found.append((*period, path.name, data))
    found.sort()
    releases: list[Release] = []
    for index, (effective, natural_end, name, data) in enumerate(found):
        until = natural_end
        if index + 1 < len(found):
            day_before_next = found[index + 1][0] - timedelta(days=1)
            until = day_before_next if until is None else min(until, day_before_next)
        releases.append(Release(source, name, (data,), effective=effective, until=until))
    return releases


def release_period(name: str) -> tuple[date, date | None] | None:
    """`2025` -> (2024-10-01, 2025-09-30); `2026-04` -> (2026-04-01, None); else None."""
    year = FISCAL_YEAR.match(name)
    if year:
        fiscal = int(year[1])
        return date(fiscal - 1, 10, 1), date(fiscal, 9, 30)
    month = UPDATE_MONTH.match(name)
    if month:
        return date(int(month[1]), int(month[2]), 1), None
    return None


def _data_file_in(folder: Path) -> Path | None:
    """The folder's most informative code file; order-file addenda list changes, not codes."""
    for pattern, _ in LAYOUTS:
        candidates = [path for path in sorted(folder.glob(pattern)) if "addenda" not in path.name]
        if len(candidates) > 1:
            names = ", ".join(path.name for path in candidates)
            raise SourceFormatError(
                folder,
                f"several ICD-10-CM files of one layout ({names})",
                hint="keep one release per folder",
            )
        if candidates:
            return candidates[0]
    return None

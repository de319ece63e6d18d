"""PFS geographic practice cost indices (GPCI2025.csv of the RVU release zip): one record per
Medicare payment locality, `GPCI:<MAC>-<locality>` (`GPCI:01112-05`), with its work, practice
expense and malpractice GPCIs kept as the file writes them (text, so prices are computed in
exact decimals).

The file has a title row, a header row starting `Medicare Administrative Contractor`, one row
per locality (MAC, state, locality number, name, the three GPCIs) and footnotes: `*` on a
name marks the 1.5 work GPCI floor of Alaska (MIPPA), `**` the 1.0 practice expense floor of
frontier states (ACA). Releases share the PFS folders (`pfs/<YYYY-MM>/`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.pfs import PFS, release_start

HEADER_START = "medicare administrative contractor"
MAC = re.compile(r"\d{4,5}")
FLOORS = {
    "**": "practice expense GPCI 1.0 floor for frontier states (ACA)",
    "*": "work GPCI 1.5 floor in Alaska (MIPPA)",
}
ENCODING = "cp1252"


def pfs_releases(
    source: str, root: Path, folder: str, wanted: Callable[[Path], bool]
) -> list[Release]:
    """Releases of a file that ships in the PFS release folders, dated like the RVU file."""
    base = root / folder
    if not base.is_dir():
        return []
    found = []
    for path in sorted(p for p in base.iterdir() if p.is_dir()):
        files = tuple(sorted(p for p in path.iterdir() if p.is_file() and wanted(p)))
        if files:
            found.append((path, release_start(path), files))
    found.sort(key=lambda item: item[1])
    return [
        Release(
            source,
            path.name,
            files,
            start,
            found[at + 1][1] - timedelta(days=1) if at + 1 < len(found) else None,
        )
        for at, (path, start, files) in enumerate(found)
    ]


def locality_id(mac: str, locality: str) -> str:
    """`1112`, `5` -> `01112-05`: MAC numbers have 5 digits, locality numbers 2."""
    return f"{int(mac):05d}-{int(locality):02d}"


def one_file(release: Release, what: str) -> Path:
    if len(release.files) != 1:
        raise SourceFormatError(
            release.files[0].parent if release.files else release.release,
            f"expected one {what} file, found {[p.name for p in release.files]}",
            hint=f"keep one {what} csv per PFS release folder",
        )
    return release.files[0]


def gpci_value(path: Path, line: int, name: str, cell: str) -> str:
    try:
        value = Decimal(cell.strip())
    except InvalidOperation:
        raise SourceFormatError(path, f"{name} {cell!r} is not a number", line=line) from None
    if not Decimal("0.1") <= value <= Decimal("5"):
        raise SourceFormatError(path, f"{name} {cell!r} is not a plausible GPCI", line=line)
    return str(value)


@dataclass(frozen=True, slots=True)
class GpciSource:
    name: str = "pfs-gpci"
    folder: str = "pfs"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        return pfs_releases(
            self.name,
            root,
            self.folder,
            lambda p: p.name.upper().startswith("GPCI") and p.suffix.lower() == ".csv",
        )

    def parse(self, release: Release) -> Iterator[Record]:
        path = one_file(release, "GPCI")
        try:
            with path.open(encoding=ENCODING, newline="") as handle:
                yield from gpci_records(path, csv.reader(handle), release)
        except UnicodeDecodeError as exc:
            raise SourceFormatError(
                path, f"the file is not {ENCODING} text ({exc.reason})"
            ) from exc

    def downloads(self) -> list[DownloadSpec]:
        """GPCI2025.csv is a member of the RVU zip the PFS source downloads."""
        return [
            DownloadSpec(spec.url, spec.release, spec.filename, spec.unzip, ("GPCI*.csv",))
            for spec in PFS.downloads()
        ]


def gpci_records(path: Path, reader: Iterator[list[str]], release: Release) -> Iterator[Record]:
    header_seen = False
    seen: dict[str, int] = {}
    line = 0
    for line, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not header_seen:
            header_seen = bool(cells) and cells[0].lower().startswith(HEADER_START)
            continue
        if not cells or not MAC.fullmatch(cells[0]):
            continue  # blank rows and the footnotes after the table
        if len(cells) < 7:
            raise SourceFormatError(path, f"expected 7 columns, found {len(cells)}", line=line)
        mac, state, number, name = cells[:4]
        ident = locality_id(mac, number)
        if ident in seen:
            raise SourceFormatError(
                path, f"locality {ident} is listed twice (first on line {seen[ident]})", line=line
            )
        seen[ident] = line
        work, pe, mp = (
            gpci_value(path, line, label, cell)
            for label, cell in zip(("work GPCI", "PE GPCI", "MP GPCI"), cells[4:7], strict=True)
        )
        floors = [words for mark, words in FLOORS.items() if name.endswith(mark)]
        clean = name.rstrip("*").strip()
        text = (
            f"Medicare payment locality {ident} ({state}, {clean}), PFS release "
            f"{release.release}: work GPCI {work}, practice expense GPCI {pe}, malpractice "
            f"GPCI {mp}."
        )
        if floors:
            text += f" The work or PE GPCI reflects a floor: {floors[0]}."
        yield Record(
            ref=f"GPCI:{ident}",
            source=release.source,
            release=release.release,
            kind="gpci",
            title=f"GPCI {ident}: {state} {clean}",
            text=text,
            code=ident,
            data={
                "mac": f"{int(mac):05d}",
                "state": state,
                "locality": f"{int(number):02d}",
                "name": clean,
                "work": work,
                "pe": pe,
                "mp": mp,
                "floor": floors[0] if floors else None,
                "line": line,
            },
        )
    if not seen:
        raise SourceFormatError(
            path,
            "no GPCI rows found (a header row starting 'Medicare Administrative Contractor' "
            "followed by MAC, state, locality, name and three GPCIs)",
            line=line or None,
            hint="check that this is the GPCI csv of the RVU release",
        )


GPCI = GpciSource()
SOURCES = [GPCI]

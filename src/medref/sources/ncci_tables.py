"""What the six NCCI sources share: the quarterly release folder, the source class that picks
one file layout per release, and the checked readers of table cells.

Releases are named for the first month of the quarter the tables govern (`2024-07` = July 1
to September 30, 2024). Each source reads either the reshaped CSVs of the shared mirror or the
official CMS files of the quarter, never both at once.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import IO, Any, Literal

from medref.codes.patterns import PROCEDURE_CODE
from medref.errors import SourceFormatError
from medref.records import PtpEdit, Record, parse_date
from medref.sources.base import DownloadSpec, Release

FOLDER = "ncci"
PARSER_VERSION = "1"

CURRENT_QUARTER = (2024, 3)
"""Quarter whose official files `downloads()` names: the quarter of the shared mirror.
Bump it each quarter (CMS posts new tables about two weeks before the quarter starts)."""

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
    """(line, row) pairs of a CSV or tab-delimited table, gzip or plain, read strictly to the
    end (a quote still open at the end of the file is an error, not a last row), with
    decoding and truncation errors named by file and line. Blank lines are left out."""
    line = 0
    try:
        with _open_text(path, encoding) as handle:
            reader = csv.reader(handle, strict=True, **dialect)
            for row in reader:
                line = reader.line_num
                if row:
                    yield line, row
    except csv.Error as exc:
        raise SourceFormatError(path, f"malformed CSV ({exc})", line=line + 1) from exc
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
    if PROCEDURE_CODE.fullmatch(value) is None:
        raise SourceFormatError(
            path, f"{what} {value!r} is not a 5-character HCPCS/CPT code", line=line
        )
    return value


def to_date(path: Path, value: str, line: int, what: str, *, julian: bool = False) -> date | None:
    """YYYYMMDD, ISO or MM/DD/YYYY (and Julian YYYYDDD where the layout uses it, as the AOC
    workbook does); blank or `*` = no date."""
    value = value.strip()
    try:
        if julian and len(value) == 7 and value.isascii() and value.isdigit():
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
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()) or int(digits) not in allowed:
        raise SourceFormatError(
            path,
            f"{what} {value!r} is not one of {', '.join(map(str, allowed))}",
            line=line,
        )
    return int(value)


def normalised(cell: object) -> str:
    """Header text compared without case or spacing (`HCPCS/\\nCPT Code` = `hcpcs/cpt code`)."""
    return " ".join(str(cell or "").split()).lower()


def quarter_release(year: int, quarter: int) -> str:
    """The release folder name of a quarter: (2024, 3) -> `2024-07`."""
    return f"{year}-{3 * quarter - 2:02d}"

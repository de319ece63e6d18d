"""The place-of-service code set as CMS publishes it: an HTML page whose table has the
columns "Place of Service Code(s)", "Place of Service Name" and "Place of Service
Description". Ranges such as `27-30` (unassigned codes) are expanded to one row per code.
The page does not say whether a place is a facility, so those rows carry no rate setting.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from medref.errors import SourceFormatError

CODE_CELL = re.compile(r"^(\d{2})(?:\s*[-–]\s*(\d{2}))?$")


class _Tables(HTMLParser):
    """Collects every table as rows of cell texts, with the source line of each row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[int, list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append((self.getpos()[0], self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_pos_html(path: Path) -> list[tuple[int, str, str, str]]:
    """(line, code, name, description) for every code of the page's POS table."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(path, f"the page is not UTF-8 ({exc.reason})") from exc
    parser = _Tables()
    parser.feed(text)
    for table in parser.tables:
        if table and "place of service code" in " ".join(table[0][1]).lower():
            return _rows(path, table[1:])
    raise SourceFormatError(
        path,
        "no table headed 'Place of Service Code(s)'",
        hint="save the CMS place-of-service code set page as HTML, or use the CSV form",
    )


def _rows(path: Path, table: list[tuple[int, list[str]]]) -> list[tuple[int, str, str, str]]:
    rows: list[tuple[int, str, str, str]] = []
    for line, cells in table:
        if not any(cells):
            continue
        if len(cells) < 3:
            raise SourceFormatError(
                path, f"expected code, name and description; found {cells}", line=line
            )
        match = CODE_CELL.match(cells[0])
        if match is None:
            raise SourceFormatError(path, f"{cells[0]!r} is not a POS code or range", line=line)
        first = int(match.group(1))
        last = int(match.group(2) or first)
        rows.extend((line, f"{code:02d}", cells[1], cells[2]) for code in range(first, last + 1))
    return rows

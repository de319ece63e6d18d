"""Reading the Medicare Coverage Database bulk exports (`ncd.zip`, `current_lcd.zip`,
`current_article.zip`).

Each export is a zip holding a data dictionary, an Access database and a second zip of CSV
tables (`ncd.zip` -> `ncd_csv.zip` -> `ncd_trkg.csv`, ...). The CSVs are comma separated with
double-quoted fields that contain commas, HTML and line breaks. Recent exports are UTF-8;
older ones were written as Windows-1252, so that is the fallback (and Latin-1, which decodes
any byte, after it).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

from medref.errors import SourceFormatError
from medref.records import parse_date

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
NESTING_LIMIT = 3
"""Zips inside zips are followed this deep (the exports use two levels)."""
EXPORT_HINT = "download the export zip again from the Medicare Coverage Database downloads page"
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>|&[#a-zA-Z0-9]+;")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?")

csv.field_size_limit(1 << 28)  # narrative cells run to tens of kilobytes; the default is 128 KiB

Opener = Callable[[], IO[bytes]]


def read_table(
    archive: Path, table: str, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of CSV `table` wherever it sits in `archive`; every row has
    every header column. Errors name the archive, the member path and the line."""
    try:
        with zipfile.ZipFile(archive) as outer:
            found = _search(outer, str(archive), table.lower(), NESTING_LIMIT)
            if found is None:
                raise SourceFormatError(
                    archive,
                    f"no {table} inside this archive (nor in the zips it holds)",
                    hint=EXPORT_HINT,
                )
            where, opener = found
            yield from _rows(where, opener, _encoding(opener), required)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise SourceFormatError(
            archive, f"not a complete zip archive, truncated or damaged ({error})", hint=EXPORT_HINT
        ) from None


def has_table(archive: Path, table: str) -> bool:
    try:
        with zipfile.ZipFile(archive) as outer:
            return _search(outer, str(archive), table.lower(), NESTING_LIMIT) is not None
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return False  # read_table of the main table reports the damage


def _rows(
    where: str, opener: Opener, encoding: str, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    with opener() as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding=encoding, newline=""), strict=True)
        try:
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise SourceFormatError(
                    where, f"missing column(s) {', '.join(missing)}", line=1, hint=EXPORT_HINT
                )
            for row in reader:
                if None in row or None in row.values():
                    raise SourceFormatError(
                        where,
                        f"the row does not have the {len(header)} fields of the header",
                        line=reader.line_num,
                        hint=EXPORT_HINT,
                    )
                yield reader.line_num, row
        except csv.Error as error:
            raise SourceFormatError(
                where, f"not readable as CSV ({error})", line=reader.line_num, hint=EXPORT_HINT
            ) from None


def _search(
    zipped: zipfile.ZipFile, where: str, name: str, depth: int
) -> tuple[str, Opener] | None:
    """`archive!inner.zip!name` and a way to open it, looking into nested zips."""
    for info in zipped.infolist():
        if Path(info.filename).name.lower() == name:
            return f"{where}!{info.filename}", partial(zipped.open, info)
    if depth == 0:
        return None
    for info in zipped.infolist():
        if info.filename.lower().endswith(".zip"):
            inner = zipfile.ZipFile(io.BytesIO(zipped.read(info)))
            found = _search(inner, f"{where}!{info.filename}", name, depth - 1)
            if found:
                return found
    return None


def _encoding(opener: Opener) -> str:
    """UTF-8 when the whole member decodes as UTF-8, else Windows-1252, else Latin-1."""
    for encoding in ENCODINGS[:-1]:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with opener() as raw:
                while piece := raw.read(1 << 20):
                    decoder.decode(piece)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return ENCODINGS[-1]  # Latin-1 decodes any byte


def export_date(value: str, where: str, line: int, column: str) -> date | None:
    """`2008-03-13`, `2002-11-27 12:10:46[.133]` or `03/13/2008`; blank is no date."""
    value = value.strip()
    if not value:
        return None
    iso = ISO_DATE.fullmatch(value)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        return parse_date(value.split()[0])
    except ValueError:
        raise SourceFormatError(
            where, f"{column} {value!r} is not a date", line=line, hint=EXPORT_HINT
        ) from None


def html_to_text(value: str) -> str:
    """Visible text of an HTML cell, one line per paragraph, list item or table row;
    a cell without markup keeps its own line breaks."""
    if not HTML_TAG.search(value):
        lines = (" ".join(line.split()) for line in value.splitlines())
    else:
        collector = _TextCollector()
        collector.feed(value)
        collector.close()
        lines = (" ".join(line.split()) for line in "".join(collector.parts).splitlines())
    return "\n".join(line for line in lines if line)


class _TextCollector(HTMLParser):
    BLOCKS = frozenset(
        ("p", "div", "br", "li", "tr", "ul", "ol", "table", "blockquote", "pre", "dt", "dd")
    ) | {f"h{level}" for level in range(1, 7)}
    HIDDEN = frozenset(("script", "style"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data.replace("\n", " "))

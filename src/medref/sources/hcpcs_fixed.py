"""Reader for the official HCPCS text file (HCPC*_ANWEB*.txt): 320-byte cp1252 records.

A procedure or modifier is one first line (RIC 3 or 7) carrying the detail fields, followed by
continuation lines (RIC 4 or 8) that carry only more of the long description.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medref.errors import SourceFormatError
from medref.sources.hcpcs_layout import (
    CODE,
    DETAIL_FIELDS,
    LONG_DESCRIPTION,
    MODIFIER,
    MODIFIER_FIRST,
    MODIFIER_NEXT,
    PROCEDURE_FIRST,
    PROCEDURE_NEXT,
    RECORD_LENGTH,
    RIC,
    HcpcsEntry,
)

ENCODING_HINT = "use the official file from the CMS zip unchanged (Windows-1252 text)"
CONTROL_BYTE = re.compile(r"[\x00-\x1f\x7f]")
"""Bytes no record of the official file holds (printable text padded with blanks)."""


def read_fixed_width(path: Path) -> Iterator[HcpcsEntry]:
    """Entries in file order, continuation lines joined onto their first line."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise SourceFormatError(
            path, "the file holds NUL bytes: it is not cp1252 text (UTF-16?)", hint=ENCODING_HINT
        )
    current: HcpcsEntry | None = None
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip(b" "):
            continue  # blank lines: the January 2026 file ends with a line of spaces
        line = _decode(raw, path, number)
        ric = line[RIC.span]
        if ric in (PROCEDURE_FIRST, MODIFIER_FIRST):
            if current is not None:
                yield current
            current = _first_line(line, ric == MODIFIER_FIRST, path, number)
        elif ric in (PROCEDURE_NEXT, MODIFIER_NEXT):
            _check_continuation(current, line, ric == MODIFIER_NEXT, path, number)
            assert current is not None  # _check_continuation raised otherwise
            current.long_lines.append(line[LONG_DESCRIPTION.span])
        else:
            raise SourceFormatError(
                path,
                f"unknown record identification code {ric!r} in position 11 "
                "(the layout defines 3, 4, 7 and 8)",
                line=number,
            )
    if current is not None:
        yield current


def _decode(raw: bytes, path: Path, number: int) -> str:
    """Check the record length and decode it; a longer line padded with blanks is accepted."""
    if len(raw) != RECORD_LENGTH:
        if _looks_utf8(raw):
            raise SourceFormatError(
                path, "the record is UTF-8 encoded, not cp1252", line=number, hint=ENCODING_HINT
            )
        if len(raw) < RECORD_LENGTH or raw[RECORD_LENGTH:].strip(b" "):
            raise SourceFormatError(
                path,
                f"the record is {len(raw)} bytes long, expected {RECORD_LENGTH}",
                line=number,
            )
        raw = raw[:RECORD_LENGTH]
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise SourceFormatError(
            path,
            f"byte 0x{raw[error.start]:02x} at position {error.start + 1} is not cp1252 text",
            line=number,
            hint=ENCODING_HINT,
        ) from None
    control = CONTROL_BYTE.search(text)
    if control is not None:
        raise SourceFormatError(
            path,
            f"byte 0x{ord(control.group()):02x} at position {control.start() + 1} is a control "
            "character, not text: the record holds garbage bytes",
            line=number,
        )
    return text


def _looks_utf8(raw: bytes) -> bool:
    if raw.isascii():
        return False
    try:
        return len(raw.decode("utf-8").rstrip(" ")) <= RECORD_LENGTH
    except UnicodeDecodeError:
        return False


def _first_line(line: str, modifier: bool, path: Path, number: int) -> HcpcsEntry:
    code = line[(MODIFIER if modifier else CODE).span].strip()
    if not code:
        raise SourceFormatError(path, "a first line without a code in positions 1-5", line=number)
    raw = {field.name: [line[part] for part in field.slices()] for field in DETAIL_FIELDS}
    long_lines = [line[LONG_DESCRIPTION.span]]
    return HcpcsEntry(code, modifier, long_lines, raw, path, number)


def _check_continuation(
    current: HcpcsEntry | None, line: str, modifier: bool, path: Path, number: int
) -> None:
    code = line[(MODIFIER if modifier else CODE).span].strip()
    if current is None or current.modifier != modifier or current.code != code:
        kind = "modifier" if modifier else "procedure"
        raise SourceFormatError(
            path,
            f"continuation line of {kind} {code!r} without its first line (RIC "
            f"{MODIFIER_FIRST if modifier else PROCEDURE_FIRST}) just before it",
            line=number,
        )

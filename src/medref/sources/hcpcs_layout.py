"""The HCPCS record layout (HCPC2026_recordlayout.txt): where every field sits, in the
320-byte text file and in the xlsx of the same release, and how its text becomes a value.

Both readers produce `HcpcsEntry` objects holding each field's raw occurrences, so that one
function (`field_values`) types them and the two inputs cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from medref.errors import SourceFormatError
from medref.records import parse_date

RECORD_LENGTH = 320
PROCEDURE_FIRST, PROCEDURE_NEXT, MODIFIER_FIRST, MODIFIER_NEXT = "3", "4", "7", "8"

FieldType = Literal["text", "list", "date", "int"]
FieldValue = str | list[str] | int | None


@dataclass(frozen=True, slots=True)
class LayoutField:
    """One field of the layout: 1-based start, width, repeats (OCCURS MAX) and xlsx header."""

    name: str
    start: int
    length: int
    column: str
    occurs: int = 1
    kind: FieldType = "text"

    @property
    def span(self) -> slice:
        """Where the (first occurrence of the) field sits in a decoded 320-character line."""
        return slice(self.start - 1, self.start - 1 + self.length)

    def slices(self) -> list[slice]:
        first = self.start - 1
        return [
            slice(first + i * self.length, first + (i + 1) * self.length)
            for i in range(self.occurs)
        ]

    def columns(self) -> list[str]:
        """xlsx headers: `PRICE1`..`PRICE4` for repeated fields, the header itself otherwise."""
        if self.occurs == 1:
            return [self.column]
        return [f"{self.column}{i}" for i in range(1, self.occurs + 1)]


# Positions 1-5 (code), 6-10 (sequence) and 11 (RIC) identify the line; 12-91 is the long
# description (joined over continuation lines); 92-293 hold the detail of first lines only.
DETAIL_FIELDS: tuple[LayoutField, ...] = (
    LayoutField("short_description", 92, 28, "SHORT DESCRIPTION"),
    LayoutField("pricing_indicators", 120, 2, "PRICE", occurs=4, kind="list"),
    LayoutField("multiple_pricing", 128, 1, "MULT_PI"),
    LayoutField("cim", 129, 6, "CIM", occurs=3, kind="list"),
    LayoutField("mcm", 147, 8, "MCM", occurs=3, kind="list"),
    LayoutField("statute", 171, 10, "STATUTE"),
    LayoutField("lab_cert", 181, 3, "LABCERT", occurs=8, kind="list"),
    LayoutField("xrefs", 205, 5, "XREF", occurs=5, kind="list"),
    LayoutField("coverage", 230, 1, "COV"),
    LayoutField("asc_group", 231, 2, "ASC_GRP"),
    LayoutField("asc_date", 233, 8, "ASC_DT", kind="date"),
    LayoutField("mog_group", 241, 3, "OPPS"),
    LayoutField("mog_policy", 244, 1, "OPPS_PI"),
    LayoutField("mog_date", 245, 8, "OPPS_DT", kind="date"),
    LayoutField("procnote", 253, 4, "PROCNOTE"),
    LayoutField("betos", 257, 3, "BETOS"),
    LayoutField("tos", 261, 1, "TOS", occurs=5, kind="list"),
    LayoutField("anes_units", 266, 3, "ANEST_BU", kind="int"),
    LayoutField("add_date", 269, 8, "ADD DT", kind="date"),
    LayoutField("effective_date", 277, 8, "ACT EFF DT", kind="date"),
    LayoutField("termination_date", 285, 8, "TERM DT", kind="date"),
    LayoutField("action_code", 293, 1, "ACTION CD"),
)
CODE = LayoutField("code", 1, 5, "HCPC")
MODIFIER = LayoutField("modifier", 4, 2, "HCPC")
RIC = LayoutField("ric", 11, 1, "RECID")
LONG_DESCRIPTION = LayoutField("long_description", 12, 80, "LONG DESCRIPTION")


@dataclass(slots=True)
class HcpcsEntry:
    """One procedure or modifier as read, before typing: raw occurrences of every field."""

    code: str
    modifier: bool
    long_lines: list[str]
    raw: dict[str, list[str]]
    path: Path
    line: int

    @property
    def long_description(self) -> str:
        """Continuation lines joined; runs of blanks collapsed (the xlsx keeps the file's
        double spaces, the text file's line breaks fall between words)."""
        return " ".join(" ".join(self.long_lines).split())


def field_values(entry: HcpcsEntry) -> dict[str, FieldValue]:
    """Typed values by readable name; dates as ISO strings so the dict stays JSON."""
    values: dict[str, FieldValue] = {"long_description": entry.long_description}
    for field in DETAIL_FIELDS:
        values[field.name] = _typed(field, entry)
    return values


def _typed(field: LayoutField, entry: HcpcsEntry) -> FieldValue:
    texts = [text.strip() for text in entry.raw[field.name]]
    if field.kind == "list":
        return [text for text in texts if text]
    text = texts[0]
    if not text:
        return None
    if field.kind == "date":
        return _date(text, field, entry).isoformat()
    if field.kind == "int":
        if not (text.isascii() and text.isdigit()):
            raise _bad_value(entry, field, text, "a whole number")
        return int(text)
    return text


def _date(text: str, field: LayoutField, entry: HcpcsEntry) -> date:
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        raise _bad_value(entry, field, text, "a date YYYYMMDD")
    try:
        parsed = parse_date(text)
    except ValueError:
        raise _bad_value(entry, field, text, "a date YYYYMMDD") from None
    assert parsed is not None  # eight digits never parse to "no date"
    return parsed


def _bad_value(entry: HcpcsEntry, field: LayoutField, text: str, wanted: str) -> SourceFormatError:
    return SourceFormatError(
        entry.path,
        f"{entry.code}: {field.name} is {text!r}, expected {wanted} (positions "
        f"{field.start}-{field.start + field.length - 1} of the record layout)",
        line=entry.line,
    )

"""One IOM manual section, whatever file it was read from, and how sections become records.

The JSONL export and the chapter PDFs both give a section as a number, a heading and a
body that starts with the section's revision line `(Rev. 11287; Issued: ...)`. The same
rules apply to both: a heading that wraps onto the body is moved back, the revision line
is kept in the text and also read into metadata, and a section with nothing but its
revision line (and legacy manual citations) is flagged `reserved`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from medref.errors import SourceFormatError
from medref.records import Record

PUBLICATION_TITLES = {
    "100-02": "Medicare Benefit Policy Manual",
    "100-03": "Medicare National Coverage Determinations Manual",
    "100-04": "Medicare Claims Processing Manual",
}

SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*")
REVISION = re.compile(r"\((Rev\b[^)]*)\)")
"""`(Rev. 11287; Issued:03-02-22; ...)`; one typo in the real text nests a parenthesis
(`Imple(mentation: 05-09-23)`), which `[^)]*` still spans up to the closing one."""
HEADING_OVERFLOW_LIMIT = 200
"""A body that starts with up to this many characters before its revision line holds the
end of a heading that wrapped onto a second line."""
LEGACY_CITATIONS = re.compile(r"(?:[A-Z]{1,4}\d?-[\d.-]+,?\s*)*")
"""Pre-2003 manual citations printed under a heading: `B3-4821, A3-3113, HO-235`."""
EFFECTIVE = re.compile(r"Effective\W*(\d{1,2})-(\d{1,2})-\s*(\d{4}|\d{2})\b")


@dataclass(frozen=True, slots=True)
class IomSection:
    publication: str
    """`100-04`."""
    chapter: int
    section: str
    """`40.8`."""
    heading: str
    """The heading without its number."""
    body: str
    """Official text, whitespace cleaned, starting with the revision line when there is one."""
    chapter_title: str | None
    source_url: str | None
    page_start: int | None
    page_end: int | None
    chapter_transmittal: str | None
    """The chapter's latest revision (`Rev. 13316, issued 2025-07-24`)."""
    origin: Path
    line: int | None
    """Line of `origin` (JSONL) where the section was read, for error messages."""

    @property
    def ref(self) -> str:
        return f"IOM:{self.publication}/{self.chapter}/{self.section}"


def clean_whitespace(text: str) -> str:
    """Collapse runs of blanks inside lines and drop empty lines."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def reattach_heading_overflow(heading: str, body: str) -> tuple[str, str]:
    """Move the end of a two-line heading from the start of the body back onto the heading
    (`Using ABNs for ... Claims When` + `Denials Under §1834(a)(17)(B) ... Are Expected`)."""
    if body.startswith("(Rev"):
        return heading, body
    revision = REVISION.search(body)
    if revision is None or revision.start() > HEADING_OVERFLOW_LIMIT:
        return heading, body
    overflow = body[: revision.start()].strip()
    return f"{heading} {overflow}".strip(), body[revision.start() :]


def transmittal(body: str) -> str | None:
    """The section's revision line without its parentheses, when the body starts with one."""
    match = REVISION.match(body)
    return " ".join(match.group(1).split()) if match else None


def is_reserved(body: str) -> bool:
    """True when the body holds nothing but its revision line and legacy citations: a
    heading over subsections, or a section `Reserved for future use`."""
    match = REVISION.match(body)
    rest = body[match.end() :] if match else body
    return LEGACY_CITATIONS.fullmatch(rest.strip()) is not None


def effective_date(revision: str | None) -> date | None:
    """The `Effective: MM-DD-YY` date of a revision line; None when it gives none."""
    match = EFFECTIVE.search(revision or "")
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def to_records(sections: Iterable[IomSection], source: str, release: str) -> Iterator[Record]:
    """Records in reading order, each linked to its nearest enclosing section present in the
    same release (40.8 -> 40; 30.6.12.7 -> 30.6.12, or 30.6 when 30.6.12 is absent)."""
    by_ref: dict[str, IomSection] = {}
    for section in sections:
        earlier = by_ref.get(section.ref)
        if earlier is not None:
            raise SourceFormatError(
                section.origin,
                f"section {section.ref} appears twice (also in {earlier.origin.name}"
                + (f", line {earlier.line}" if earlier.line else "")
                + ")",
                line=section.line,
                hint="keep one copy of each chapter in a release folder",
            )
        by_ref[section.ref] = section
    for section in by_ref.values():
        yield _record(section, _enclosing(section, by_ref), source, release)


def _enclosing(section: IomSection, by_ref: dict[str, IomSection]) -> str | None:
    head = f"IOM:{section.publication}/{section.chapter}/"
    number = section.section
    while "." in number:
        number = number.rsplit(".", 1)[0]
        if head + number in by_ref:
            return head + number
    return None


def _record(section: IomSection, parent: str | None, source: str, release: str) -> Record:
    revision = transmittal(section.body)
    return Record(
        ref=section.ref,
        source=source,
        release=release,
        kind="section",
        title=f"{section.publication} ch.{section.chapter} §{section.section} {section.heading}",
        text=section.body,
        effective=effective_date(revision),
        parent=parent,
        data={
            "publication": section.publication,
            "publication_title": PUBLICATION_TITLES.get(section.publication),
            "chapter": section.chapter,
            "chapter_title": section.chapter_title,
            "section": section.section,
            "heading": section.heading,
            "source_url": section.source_url,
            "transmittal": revision,
            "chapter_transmittal": section.chapter_transmittal,
            "page_start": section.page_start,
            "page_end": section.page_end,
            "reserved": is_reserved(section.body),
        },
    )

"""Reader for the IOM section export (`sections-*.jsonl`): one JSON object a line with the
official text of one manual section (`id`, `publication`, `chapter`, `section_label`,
`heading`, `body`, `source_url`, `expression_date`, ...)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medref.errors import SourceFormatError
from medref.sources.iom_sections import (
    SECTION_NUMBER,
    IomSection,
    clean_whitespace,
    reattach_heading_overflow,
)
from medref.sources.jsonl import json_objects

REQUIRED = ("id", "publication", "chapter", "section_label", "heading", "body")
PUBLICATION = re.compile(r"100-\d\d")
EXPORT_HINT = "restore the file from the export; each line must be one complete JSON object"


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every section line (see jsonl.json_objects)."""
    return json_objects(path, REQUIRED, EXPORT_HINT)


def newest_expression_month(path: Path) -> str | None:
    """`YYYY-MM` of the newest `expression_date` (the date of the chapter text), if any."""
    dates = [
        str(row["expression_date"]) for _, row in read_rows(path) if row.get("expression_date")
    ]
    return max(dates)[:7] if dates else None


def read_sections(path: Path) -> Iterator[IomSection]:
    for number, row in read_rows(path):
        yield _section(row, path, number)


def _section(row: dict[str, Any], path: Path, number: int) -> IomSection:
    publication = str(row["publication"])
    chapter = str(row["chapter"])
    label = str(row["section_label"])
    if not PUBLICATION.fullmatch(publication) or not (chapter.isascii() and chapter.isdigit()):
        raise SourceFormatError(
            path,
            f"publication {publication!r} / chapter {chapter!r} is not like 100-04 / 12",
            line=number,
            hint=EXPORT_HINT,
        )
    if not SECTION_NUMBER.fullmatch(label):
        raise SourceFormatError(
            path,
            f"section_label {label!r} is not a section number like 40.8",
            line=number,
            hint=EXPORT_HINT,
        )
    expected_id = f"pub{publication}/ch{int(chapter)}/{label}"
    if row["id"] != expected_id:
        raise SourceFormatError(
            path,
            f"id {row['id']!r} does not match its fields ({expected_id!r})",
            line=number,
            hint=EXPORT_HINT,
        )
    heading = re.sub(rf"^{re.escape(label)}\s*[-–—]?\s*", "", clean_whitespace(str(row["heading"])))
    heading, body = reattach_heading_overflow(heading, clean_whitespace(str(row["body"])))
    return IomSection(
        publication=publication,
        chapter=int(chapter),
        section=label,
        heading=heading,
        body=body,
        chapter_title=row.get("chapter_title"),
        source_url=row.get("source_url"),
        page_start=row.get("page_start"),
        page_end=row.get("page_end"),
        chapter_transmittal=row.get("latest_transmittal"),
        origin=path,
        line=number,
    )

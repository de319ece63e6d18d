"""Reader for the official IOM chapter PDFs (`clm104c12.pdf`, `bp102c15.pdf`,
`ncd103c1_Part1.pdf`): text extracted with pypdf, split into sections on headings such as
`40.2 - Billing Requirements for Global Surgeries`.

A chapter PDF opens with a title page and a table of contents that lists every heading
once more; the body heading is the last occurrence of a number, and it is followed within
a few lines by the section's `(Rev. ...)` line. Lines repeated at the top or bottom of most
pages (running headers, footers, page numbers) are dropped before splitting.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from medref.errors import SourceFormatError
from medref.sources.iom_sections import (
    PUBLICATION_TITLES,
    REVISION,
    IomSection,
    clean_whitespace,
    reattach_heading_overflow,
)

MANUAL_FILE_CODES = {"clm104": "100-04", "bp102": "100-02", "ncd103": "100-03"}
FILE_NAME = re.compile(r"(clm104|bp102|ncd103)c(\d+)(?:_part\d+)?\.pdf", re.IGNORECASE)
DOWNLOAD_BASE = "https://www.cms.gov/regulations-and-guidance/guidance/manuals/downloads/"
HEADING = re.compile(r"(\d+(?:\.\d+)*)\s*[-–—]\s*([^\d\s].*)")
"""`40.2 - Billing ...`; the heading starts with a letter, so `10-01-03` and `2 - 3 days` do not."""
TOC_LEADER = re.compile(r"(?:\.\s*){4,}\d*$|…\s*\d*$")
CHAPTER_LINE = re.compile(r"Chapter\s+(\d+)\s*[-–—]\s*(\S.*?)(?:\s*Table of Contents.*)?$", re.I)
BLOCK_START = re.compile(r"(?:[A-Za-z]\.|\d+\.|\(\d+\)|\([a-z]\)|[•●▪-])\s")
"""Lines that start a paragraph or list item; other lines continue the previous one."""
REVISION_LOOKAHEAD = 3
"""Lines after a heading within which its `(Rev. ...)` line appears (after a wrapped heading)."""
EDGE_LINES = 2
"""Lines at the top and at the bottom of a page where running headers and footers sit."""
OFFICIAL_HINT = (
    "use the official chapter PDF from cms.gov (a scanned or re-typeset PDF cannot be split "
    "into sections)"
)


def read_sections(path: Path) -> list[IomSection]:
    pages = _strip_furniture(_page_lines(path))
    publication, chapter, chapter_title = _identify(path, pages[0] if pages else [])
    lines = [(number, text) for number, page in enumerate(pages, start=1) for text in page]
    starts = _heading_positions(lines)
    if not starts:
        raise SourceFormatError(
            path,
            "no section headings like '40.2 - Billing Requirements for Global Surgeries' "
            "followed by a '(Rev. ...)' line were found",
            hint=OFFICIAL_HINT,
        )
    revision = REVISION.search(" ".join(pages[0]))
    sections = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        heading_match = HEADING.fullmatch(lines[start][1])
        assert heading_match is not None  # _heading_positions only returns heading lines
        heading, body = _split_inline_revision(
            heading_match.group(2).strip(), _join(text for _, text in lines[start + 1 : end])
        )
        heading, body = reattach_heading_overflow(heading, body)
        sections.append(
            IomSection(
                publication=publication,
                chapter=chapter,
                section=heading_match.group(1),
                heading=heading,
                body=body,
                chapter_title=chapter_title,
                source_url=DOWNLOAD_BASE + path.name if FILE_NAME.fullmatch(path.name) else None,
                page_start=lines[start][0],
                page_end=lines[end - 1][0],
                chapter_transmittal=" ".join(revision.group(1).split()) if revision else None,
                origin=path,
                line=None,
            )
        )
    return sections


def _page_lines(path: Path) -> list[list[str]]:
    try:
        reader = PdfReader(path)
        texts = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise SourceFormatError(
            path, f"not a readable PDF ({error})", hint="download the chapter PDF again"
        ) from None
    return [
        [" ".join(line.split()) for line in text.splitlines() if line.strip()] for text in texts
    ]


def _strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and the lines that recur at a page edge on at least half the pages."""
    shapes: Counter[str] = Counter()
    for page in pages:
        shapes.update({_shape(line) for line in page[:EDGE_LINES] + page[-EDGE_LINES:]})
    threshold = max(2, (len(pages) + 1) // 2)
    recurring = {shape for shape, count in shapes.items() if count >= threshold}
    return [
        [
            line
            for index, line in enumerate(page)
            if not (
                (index < EDGE_LINES or index >= len(page) - EDGE_LINES)
                and (line.isdigit() or _shape(line) in recurring)
            )
        ]
        for page in pages
    ]


def _shape(line: str) -> str:
    """The line with its numbers blanked, so `Page 3` and `Page 4` are the same footer."""
    return re.sub(r"\d+", "#", line)


def _identify(path: Path, first_page: list[str]) -> tuple[str, int, str | None]:
    """Publication, chapter and chapter title from the file name, or from the first page."""
    chapter_line = next((m for line in first_page if (m := CHAPTER_LINE.search(line))), None)
    chapter_title = chapter_line.group(2).strip() if chapter_line else None
    named = FILE_NAME.match(path.name)
    if named:
        chapter = int(named.group(2))
        if chapter_line and int(chapter_line.group(1)) != chapter:
            raise SourceFormatError(
                path,
                f"the file name says chapter {chapter} but the first page says chapter "
                f"{chapter_line.group(1)}",
                hint="rename the file after the chapter it holds",
            )
        return MANUAL_FILE_CODES[named.group(1).lower()], chapter, chapter_title
    first_text = " ".join(first_page).lower()
    publication = next(
        (code for code, title in PUBLICATION_TITLES.items() if title.lower() in first_text), None
    )
    if publication is None or chapter_line is None:
        raise SourceFormatError(
            path,
            "cannot tell the manual and chapter: the file name is not like clm104c12.pdf and "
            "the first page names no IOM manual and 'Chapter N - Title'",
            hint="keep the official file name (clm104cNN.pdf, bp102cNN.pdf, ncd103cNN.pdf)",
        )
    return publication, int(chapter_line.group(1)), chapter_title


def _heading_positions(lines: list[tuple[int, str]]) -> list[int]:
    """Line indexes of the body headings. A number listed more than once (table of contents,
    then body) is taken at its last occurrence followed by a revision line, else its last;
    a number seen once counts only when a revision line follows it."""
    occurrences: dict[str, list[int]] = {}
    for index, (_, text) in enumerate(lines):
        match = HEADING.fullmatch(text)
        if match:
            occurrences.setdefault(match.group(1), []).append(index)
    positions = []
    for indexes in occurrences.values():
        body = [i for i in indexes if not TOC_LEADER.search(lines[i][1])]
        revised = [i for i in body if _revision_follows(lines, i)]
        if revised:
            positions.append(revised[-1])
        elif len(indexes) > 1 and body:
            positions.append(body[-1])
    return sorted(positions)


def _revision_follows(lines: list[tuple[int, str]], index: int) -> bool:
    """A `(Rev. ...)` line right after the heading or after the rest of a wrapped heading;
    a sentence (`10 - 20 percent of claims ...`) ends with a period, a heading does not."""
    if lines[index][1].endswith("."):
        return False
    if "(Rev" in lines[index][1]:
        return True
    for _, text in lines[index + 1 : index + 1 + REVISION_LOOKAHEAD]:
        if text.startswith("(Rev"):
            return True
        if text.endswith(".") or HEADING.fullmatch(text):
            return False
    return False


def _split_inline_revision(heading: str, body: str) -> tuple[str, str]:
    """A revision line extracted onto the heading's own line goes back to the body."""
    revision = REVISION.search(heading)
    if revision is None:
        return heading, body
    return heading[: revision.start()].strip(), f"{heading[revision.start() :]} {body}".strip()


def _join(lines: Iterable[str]) -> str:
    """Join wrapped lines into paragraphs; list items and lettered paragraphs start anew."""
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and not BLOCK_START.match(line) and not line.startswith("(Rev"):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return clean_whitespace("\n".join(paragraphs))

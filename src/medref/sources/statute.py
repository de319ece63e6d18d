"""The statute: Social Security Act title XVIII, 42 U.S.C. 1395 to 1395lll. One record per
section (`USC:42/1395y`), per subsection (`USC:42/1395y(a)`) and per paragraph and deeper
unit (`USC:42/1395y(a)(1)`, `USC:42/1395y(a)(1)(A)`), each holding the text of its whole
subtree; a very long section's own record holds its first part only, the rest being in its
subsections.

Input: the Markdown export, one file per section (`42usc1395y.md`), read by
`statute_markdown`. The official form is the US Code at uscode.house.gov, published as
XHTML pages and USLM XML; neither is parsed yet, only the Markdown export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Literal

from medref.records import PtpEdit, Record
from medref.sources.base import DownloadSpec, Release, Source
from medref.sources.statute_markdown import (
    LEVELS,
    SUBSECTION,
    StatuteNode,
    StatuteSection,
    read_section,
)

EXPORT_RELEASE = "2022"
"""The Markdown export is the Code's text as of late 2022 and its files carry no date, so a
flat folder of it is this release; a release folder (`statute/ssa-title-18/2026-09/`) is
named by the folder."""
SECTION_TEXT_LIMIT = 20_000
"""Characters of a section's own record; longer sections (1395ww runs to 375,000) keep
their full text in their subsection records."""
SUBCHAPTER_PAGE = (
    "https://uscode.house.gov/view.xhtml?path=/prelim@title42/chapter7/subchapter18&edition=prelim"
)


class StatuteSource:
    name = "statute"
    folder = "statute/ssa-title-18"
    parser_version = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        releases = []
        flat = _inputs(base)
        if flat:
            releases.append(Release(self.name, EXPORT_RELEASE, flat))
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            files = _inputs(folder)
            if files:
                releases.append(Release(self.name, folder.name, files))
        return sorted(releases, key=lambda release: release.release)

    def parse(self, release: Release) -> Iterator[Record | PtpEdit]:
        for path in release.files:
            yield from section_records(read_section(path), release.release)

    def downloads(self) -> list[DownloadSpec]:
        """Subchapter XVIII of title 42 chapter 7 as published (an XHTML page). medref parses
        only the Markdown export so far: a downloaded page is kept but not read."""
        month = date.today().strftime("%Y-%m")
        return [DownloadSpec(SUBCHAPTER_PAGE, month, "42usc-chapter7-subchapter18.html")]


def _inputs(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(folder.glob("42usc1395*.md")))


def section_records(section: StatuteSection, release: str) -> Iterator[Record]:
    ref = f"USC:42/{section.number}"
    text = "\n".join(section.lines)
    truncated = len(text) > SECTION_TEXT_LIMIT
    if truncated:
        text = text[: text.rfind("\n", 0, SECTION_TEXT_LIMIT)]
    yield Record(
        ref=ref,
        source="statute",
        release=release,
        kind="section",
        title=f"42 U.S.C. {section.number} — {section.heading}",
        text=text,
        data={
            "title": 42,
            "section": section.number,
            "heading": section.heading,
            "truncated": truncated,
        },
    )
    by_path = {node.path: node for node in section.nodes}
    for node in section.nodes:
        yield Record(
            ref=ref + node.citation,
            source="statute",
            release=release,
            kind="subsection" if node.level == SUBSECTION and len(node.path) == 1 else "paragraph",
            title=f"42 U.S.C. {section.number}{node.citation} — "
            + (_nearest_heading(node, by_path) or section.heading),
            text="\n".join(node.lines),
            parent=ref + "".join(f"({marker})" for marker in node.path[:-1]),
            data={
                "title": 42,
                "section": section.number,
                "path": list(node.path),
                "level": LEVELS[node.level],
                "heading": node.heading,
            },
        )


def _nearest_heading(node: StatuteNode, by_path: dict[tuple[str, ...], StatuteNode]) -> str | None:
    for depth in range(len(node.path), 0, -1):
        heading = by_path[node.path[:depth]].heading
        if heading:
            return heading
    return None


STATUTE = StatuteSource()
SOURCES: list[Source] = [STATUTE]

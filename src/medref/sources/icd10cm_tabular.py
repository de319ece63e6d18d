"""Reader for the ICD-10-CM tabular list XML (CDC/CMS `icd10cm-tabular-*.xml`).

Every `<diag>` becomes a code: categories, subcategories and leaves. A `<sevenChrDef>` applies
to every code below it (the nearest one wins); a leaf under one is not billable itself but
expands into one billable code per 7th character, padded with the placeholder X to six
characters first (S02.0 -> S02.0XXA). Chapter and block travel down as data, not records.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.parsers import expat

from medref.codes.icd10 import is_printed_cm
from medref.errors import SourceFormatError
from medref.sources.icd10cm_codes import IcdCode

ROOT_TAG = "ICD10CM.tabular"
NOTE_ELEMENTS = {
    "inclusionTerm": "inclusion_terms",
    "includes": "includes",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional",
    "codeAlso": "code_also",
    "notes": "notes",
    "sevenChrNote": "seventh_character_note",
}
# A rule the tabular states only in prose (a <notes> of category S06): "7th characters D and
# S do not apply to codes in category S06 with 6th character 7 [...] or 8". The CMS code
# files list S06.1X7A but no S06.1X7D.
SEVENTH_NOT_APPLICABLE = {("S06", "7"): "DS", ("S06", "8"): "DS"}
RANGE_SUFFIX = re.compile(r"\s*\([A-Z][0-9A-Z][0-9A-Z.\-]*\)\s*$")
XML_HINT = "download the tabular XML again; the file is damaged or truncated"


@dataclass(frozen=True, slots=True)
class _Place:
    """What a code inherits from above: its chapter and block, and the 7th characters."""

    chapter: str
    chapter_title: str
    block: str
    block_title: str
    seventh: tuple[tuple[str, str], ...] = ()


def read_tabular(path: Path) -> Iterator[IcdCode]:
    """All codes in tabular order, each 7th-character expansion right after its leaf."""
    root, lines = parse_with_lines(path)
    tree = _Tree(path, lines)
    if root.tag != ROOT_TAG:
        raise tree.error(root, f"the root element is <{root.tag}>, not <{ROOT_TAG}>")
    chapters = root.findall("chapter")
    if not chapters:
        raise tree.error(root, "no <chapter> elements: not the tabular list")
    for chapter in chapters:
        number = tree.text(chapter, "name")
        chapter_title = RANGE_SUFFIX.sub("", tree.text(chapter, "desc"))
        for section in chapter.findall("section"):
            block = section.get("id")
            if not block:
                raise tree.error(section, "a <section> without its id attribute (e.g. E08-E13)")
            block_title = RANGE_SUFFIX.sub("", tree.text(section, "desc"))
            place = _Place(number, chapter_title, block, block_title)
            for diag in section.findall("diag"):
                yield from tree.codes(diag, None, place)


def parse_with_lines(path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The element tree and the line each element starts on, for errors that name a line
    (ElementTree alone forgets them)."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def start(tag: str, attributes: dict[str, str]) -> None:
        lines[builder.start(tag, attributes)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        with path.open("rb") as handle:
            parser.ParseFile(handle)
    except expat.ExpatError as error:
        problem = f"malformed XML: {expat.ErrorString(error.code)} (column {error.offset + 1})"
        raise SourceFormatError(path, problem, line=error.lineno, hint=XML_HINT) from None
    return builder.close(), lines


@dataclass(slots=True)
class _Tree:
    path: Path
    lines: dict[ET.Element, int]
    seen: set[str] = field(default_factory=set)

    def codes(self, diag: ET.Element, parent: str | None, place: _Place) -> Iterator[IcdCode]:
        """The code of `diag`, then its descendants and 7th-character expansions."""
        code, title = self.claim(diag), self.text(diag, "desc")
        seventh = self.seventh_characters(diag) or place.seventh
        children = diag.findall("diag")
        if not children:
            seventh = _applicable(code, seventh)
        place = replace(place, seventh=seventh)
        expanded = [] if children else self.expand(diag, code, seventh)
        data = _place_data(place) | self.notes(diag)
        data["placeholder"] = diag.get("placeholder") == "true"
        data["children"] = [self.text(child, "name") for child in children]
        data["children"] += [full for full, _, _ in expanded]
        data["billable"] = not data["children"]
        yield IcdCode(code, title, data["billable"], parent, data)
        for child in children:
            yield from self.codes(child, code, place)
        for full, character, meaning in expanded:
            leaf = _place_data(place) | {"placeholder": False, "children": [], "billable": True}
            leaf["seventh_character"] = character
            yield IcdCode(full, f"{title}, {meaning}", True, code, leaf)

    def claim(self, diag: ET.Element) -> str:
        """The code of `diag`, checked for form and for being listed once."""
        code = self.text(diag, "name")
        if not is_printed_cm(code):
            raise self.error(diag, f"{code!r} is not an ICD-10-CM code")
        if code in self.seen:
            raise self.error(diag, f"{code} is listed twice")
        self.seen.add(code)
        return code

    def expand(
        self, diag: ET.Element, code: str, seventh: tuple[tuple[str, str], ...]
    ) -> list[tuple[str, str, str]]:
        """(`S02.0XXA`, `A`, meaning), ...: pad with X to six characters, add the 7th."""
        bare = code.replace(".", "")
        if seventh and len(bare) > 6:
            raise self.error(diag, f"{code} already has seven characters but a 7th is defined")
        padded = bare.ljust(6, "X")
        expanded = []
        for character, meaning in seventh:
            full = f"{padded[:3]}.{padded[3:]}{character}"
            if full in self.seen:
                raise self.error(diag, f"{full} is listed and also made by adding a 7th character")
            self.seen.add(full)
            expanded.append((full, character, meaning))
        return expanded

    def seventh_characters(self, diag: ET.Element) -> tuple[tuple[str, str], ...]:
        definition = diag.find("sevenChrDef")
        if definition is None:
            return ()
        pairs = []
        for extension in definition.findall("extension"):
            character = extension.get("char", "")
            if len(character) != 1:
                raise self.error(extension, f"7th character {character!r} is not one character")
            pairs.append((character, _words(extension)))
        return tuple(pairs)

    def notes(self, diag: ET.Element) -> dict[str, list[str]]:
        """Note lists by data key, only those the tabular gives this code."""
        found: dict[str, list[str]] = {}
        for child in diag:
            key = NOTE_ELEMENTS.get(child.tag)
            if key is not None:
                found.setdefault(key, []).extend(_words(note) for note in child.findall("note"))
            elif child.tag == "visualImpairment":
                found["visual_impairment"] = _visual_impairment(child)
        return found

    def text(self, element: ET.Element, tag: str) -> str:
        value = element.findtext(tag)
        if value is None or not value.strip():
            raise self.error(element, f"<{element.tag}> without <{tag}>")
        return " ".join(value.split())

    def error(self, element: ET.Element, problem: str) -> SourceFormatError:
        return SourceFormatError(self.path, problem, line=self.lines.get(element), hint=XML_HINT)


def _place_data(place: _Place) -> dict[str, Any]:
    data: dict[str, Any] = {
        "chapter": place.chapter,
        "chapter_title": place.chapter_title,
        "block": place.block,
        "block_title": place.block_title,
    }
    if place.seventh:
        data["seventh_characters"] = dict(place.seventh)
    return data


def _applicable(code: str, seventh: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    bare = code.replace(".", "")
    excluded = SEVENTH_NOT_APPLICABLE.get((bare[:3], bare[5:6]), "")
    return tuple(pair for pair in seventh if pair[0] not in excluded)


def _words(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _visual_impairment(table: ET.Element) -> list[str]:
    """The H54 table as rows: its headings, then `Category 1: 6/18 to 6/60; ...`."""
    rows = []
    for category in table.findall("visCategory"):
        number = category.findtext("value")
        if number is None:
            rows.append(" | ".join(_words(heading) for heading in category.iter("heading")))
            continue
        ranges = [
            " to ".join(_words(value) for value in visual_range.iter("value"))
            for visual_range in category.findall("visRange")
        ]
        rows.append(f"Category {number.strip()}: " + "; ".join(ranges))
    return rows

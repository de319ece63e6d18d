"""Reader for the Markdown export of the Social Security Act title XVIII (42 U.S.C. 1395 to
1395lll), one file per section (`42usc1395y.md`), into a tree of subsections and paragraphs.

The layout: `# 42 U.S.C. § 1395y. Title`; `#### § 1395y. Title` repeated before each block;
`##### (a) Heading` for each subsection (repeated, as context, when a block continues one);
then one paragraph a line: `(1)`, `(A) which, except ...`, `(i) ...`, plain lines for text
that follows a heading or ends a list. Deeper lines are sometimes marked `######## (B) ...`:
the first time such a line appears it is content, later repeats are context and skipped.

Levels follow the Code's drafting style: subsection (a), paragraph (1), subparagraph (A),
clause (i), subclause (I), item (aa), subitem (AA). A marker such as `(i)` or `(I)` can be a
letter or a roman numeral; it is read as whatever continues the sequence on the current
path (`(I)` after `(H)`) or starts the next level down (`(I)` under a clause). When both
fit, the line before decides: one ending a list item (`;`, `.`, `, and`, `or`) is followed
by a sibling, one that introduces a list (`the lesser of`, `—`, a bare `(2)`) by a child.
Failing both, a later letter or number of a level on the path is a sibling after units the
export leaves out (struck or repealed: `(C)` after `(A)`). A marker that fits nothing, or
repeats a path already read (the Code has a few duplicate designations), stays text of the
paragraph before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from medref.errors import SourceFormatError

LEVELS = ("subsection", "paragraph", "subparagraph", "clause", "subclause", "item", "subitem")
SUBSECTION, PARAGRAPH, SUBPARAGRAPH, CLAUSE, SUBCLAUSE, ITEM, SUBITEM = range(len(LEVELS))

TITLE = re.compile(r"# 42 U\.S\.C\. § (\S+?)\.\s+(.+)")
SUBSECTION_HEADING = re.compile(r"##### \(([a-z]+)\)\s*(.*)")
SECTION_REPEAT = re.compile(r"#### §")
CONTEXT_HEADING = re.compile(r"#{6,} (.*)")
LEADING_MARKER = re.compile(r"\(([0-9]+|[a-z]+|[A-Z]+)\)")
ROMAN = re.compile(r"(x{0,3})(ix|iv|v?i{0,3})")
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
FOOTNOTE = re.compile(r"(?<=[,;.])\s+\d+$")
"""A footnote number after the punctuation that ends a line (`..., 1`)."""
CLOSES_ITEM = re.compile(r"(?:[;.,]|\band|\bor)$")
NOT_A_HEADING = re.compile(
    r"\b(?:shall|means|may|is|are|has|have|if|of|by|to|that|the|which)$|\bshall\b"
)
EXPORT_HINT = "use the Markdown export unchanged (one section a file, '# 42 U.S.C. § ...' first)"


@dataclass
class StatuteNode:
    """A subsection, paragraph or deeper unit, with the text of its whole subtree."""

    path: tuple[str, ...]
    """Markers from the subsection down, without parentheses: ("a", "1", "A")."""
    level: int
    value: int
    heading: str | None
    lines: list[str] = field(default_factory=list)

    @property
    def citation(self) -> str:
        return "".join(f"({marker})" for marker in self.path)


@dataclass
class StatuteSection:
    number: str
    """`1395y`, `1395w-4` (ASCII hyphen, as in the file name)."""
    heading: str
    lines: list[str] = field(default_factory=list)
    nodes: list[StatuteNode] = field(default_factory=list)
    """In document order."""


def read_section(path: Path) -> StatuteSection:
    lines = path.read_text(encoding="utf-8").splitlines()
    return _Reader(path, lines).read()


class _Reader:
    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.section = StatuteSection("", "")
        self.by_path: dict[tuple[str, ...], StatuteNode] = {}
        self.stack: list[StatuteNode] = []
        self.seen: set[str] = set()
        self.previous = ""
        self.body_subsections = not any(SUBSECTION_HEADING.match(line) for line in lines)

    def read(self) -> StatuteSection:
        numbered = [(number, line.strip()) for number, line in enumerate(self.lines, 1)]
        content = [(number, line) for number, line in numbered if line]
        if not content:
            raise SourceFormatError(self.path, "the file is empty", hint=EXPORT_HINT)
        self._title(*content[0])
        for number, line in content[1:]:
            self._line(number, line)
        return self.section

    def _title(self, number: int, line: str) -> None:
        match = TITLE.fullmatch(line)
        if match is None:
            raise SourceFormatError(
                self.path,
                "the first line is not '# 42 U.S.C. § <section>. <title>'",
                line=number,
                hint=EXPORT_HINT,
            )
        self.section.number = match.group(1).replace("–", "-")
        self.section.heading = match.group(2).strip()
        if self.path.stem != f"42usc{self.section.number}":
            raise SourceFormatError(
                self.path,
                f"the heading names § {self.section.number}, the file name another",
                line=number,
                hint="rename the file after the section it holds",
            )

    def _line(self, number: int, line: str) -> None:
        if SECTION_REPEAT.match(line):
            return
        subsection = SUBSECTION_HEADING.fullmatch(line)
        if subsection:
            self._subsection(subsection.group(1), subsection.group(2).strip())
            return
        context = CONTEXT_HEADING.fullmatch(line)
        if context:
            line = context.group(1).strip()
            if line in self.seen:
                return
        elif line.startswith("#"):
            raise SourceFormatError(
                self.path,
                "a heading of a level the export does not use",
                line=number,
                hint=EXPORT_HINT,
            )
        self._content(line)

    def _subsection(self, marker: str, heading: str) -> None:
        key = (marker,)
        node = self.by_path.get(key)
        if node is None:
            node = self._new(key, SUBSECTION, _letter_value(marker), heading or None)
            self.stack = [node]
            self._append(f"({marker}) {heading}".strip())
        elif self.stack[:1] != [node]:
            self.stack = [node]

    def _content(self, line: str) -> None:
        rest, opened = line, None
        while match := LEADING_MARKER.match(rest):
            node = self._place(match.group(1))
            if node is None:
                break
            opened, rest = node, rest[match.end() :].lstrip()
        if opened is not None and rest and _heading_like(rest):
            opened.heading = rest
        self._append(line)

    def _place(self, marker: str) -> StatuteNode | None:
        """Push the node `marker` opens, or None when it continues no sequence here."""
        siblings: list[tuple[int, int, int]] = []
        skips: list[tuple[int, int, int]] = []  # a sibling after struck or repealed ones
        children: list[tuple[int, int]] = []
        top = self.stack[-1].level if self.stack else -1
        for level, value in _readings(marker):
            if level == SUBSECTION and not self.body_subsections:
                continue
            for depth, node in enumerate(self.stack):
                if node.level == level and value == node.value + 1:
                    siblings.append((depth, level, value))
                elif node.level == level and value > node.value:
                    skips.append((depth, level, value))
            if value == 1 and level > top:
                children.append((level, value))
        if children and (not siblings or not _closes_item(self.previous)):
            depth, (level, value) = len(self.stack), min(children)
        elif siblings or skips:
            depth, level, value = max(siblings or skips)
        else:
            return None
        key = (*(self.stack[depth - 1].path if depth else ()), marker)
        if key in self.by_path:
            return None
        node = self._new(key, level, value, None)
        self.stack = [*self.stack[:depth], node]
        return node

    def _new(
        self, key: tuple[str, ...], level: int, value: int, heading: str | None
    ) -> StatuteNode:
        node = StatuteNode(key, level, value, heading)
        self.by_path[key] = node
        self.section.nodes.append(node)
        return node

    def _append(self, line: str) -> None:
        self.section.lines.append(line)
        for node in self.stack:
            node.lines.append(line)
        self.seen.add(line)
        self.previous = line


def _readings(marker: str) -> list[tuple[int, int]]:
    """Every (level, value) the marker can stand for."""
    if marker.isdigit():
        return [(PARAGRAPH, int(marker))]
    lower = marker.lower()
    readings = []
    if len(set(lower)) == 1:
        letters = SUBSECTION if marker.islower() else SUBPARAGRAPH
        readings.append((letters, _letter_value(lower)))
        if len(marker) == 2:
            readings.append((ITEM if marker.islower() else SUBITEM, ord(lower[0]) - 96))
    roman = _roman_value(lower)
    if roman:
        readings.append((CLAUSE if marker.islower() else SUBCLAUSE, roman))
    return readings


def _letter_value(marker: str) -> int:
    """a=1 ... z=26, aa=27, bb=28 ... (letters run on doubled after z)."""
    return 26 * (len(marker) - 1) + ord(marker[0].lower()) - 96


def _roman_value(marker: str) -> int | None:
    """Roman numerals up to xxxix, the most a list in the Code runs to."""
    if not marker or not ROMAN.fullmatch(marker):
        return None
    total = 0
    for index, char in enumerate(marker):
        value = ROMAN_VALUES[char]
        following = ROMAN_VALUES[marker[index + 1]] if index + 1 < len(marker) else 0
        total += -value if value < following else value
    return total


def _closes_item(line: str) -> bool:
    """True when `line` ends a list item rather than introducing a list."""
    if LEADING_MARKER.sub("", line).strip() == "":
        return False
    return CLOSES_ITEM.search(FOOTNOTE.sub("", line.rstrip())) is not None


def _heading_like(text: str) -> bool:
    """`In general`, `Beneficiary protections`: short, capitalised, not a sentence."""
    return (
        len(text) <= 80
        and text[0].isupper()
        and text[-1] not in ".,;:—–-"
        and NOT_A_HEADING.search(text) is None
    )

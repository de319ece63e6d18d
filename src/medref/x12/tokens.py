"""ASC X12 text into segments: the delimiters an interchange header (ISA) declares, then one
segment at a time, as lists of elements.

The ISA is fixed width (106 characters, its elements padded to their sizes), so its fourth
character is the element separator, ISA11 the repetition separator, ISA16 the component
(sub-element) separator and the character after ISA16 the segment terminator. Each
interchange may declare its own. Line breaks between (or inside) segments are dropped unless
the terminator is itself a line break, so wrapped and unwrapped files read the same.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from medref.errors import InputError

ISA_LENGTH = 106
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
"""Characters of ISA01..ISA16 (X12 5010 interchange control header)."""
CHUNK = 1 << 20
LINE_BREAKS = str.maketrans("", "", "\r\n")


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    repetition: str
    segment: str


def read_delimiters(text: str) -> Delimiters | None:
    """The delimiters the interchange header at the start of `text` declares, or None when
    `text` does not start with an ISA whose delimiters can be read."""
    if len(text) < 4 or not text.startswith("ISA"):
        return None
    element = text[3]
    if element.isalnum() or element in " \r\n":
        return None
    parts = text[: ISA_LENGTH + 200].split(element, 16)
    if len(parts) < 17 or len(parts[16]) < 2:
        return None
    component, segment = parts[16][0], parts[16][1]
    if segment == " " or segment == element:
        return None
    repetition = parts[11] if len(parts[11]) == 1 and not parts[11].isalnum() else ""
    return Delimiters(element, component, repetition, segment)


def isa_problem(fields: list[str]) -> str:
    """What is wrong with the form of an ISA segment (its elements as read), or ""."""
    values = fields[1:]
    if len(values) != len(ISA_WIDTHS):
        return (
            f"the interchange header has {len(values)} elements where an ISA has {len(ISA_WIDTHS)}"
        )
    length = sum(map(len, fields)) + len(fields)  # the separators and the terminator
    if length == ISA_LENGTH and all(map(int.__eq__, map(len, values), ISA_WIDTHS)):
        return ""
    wrong = [
        f"ISA{at:02d} has {len(value)} characters where {width} are required"
        for at, (value, width) in enumerate(zip(values, ISA_WIDTHS, strict=True), start=1)
        if len(value) != width
    ]
    return (
        f"the interchange header is {length} characters long; an ISA is fixed at "
        f"{ISA_LENGTH} ({'; '.join(wrong)}): pad each ISA element to its size"
    )


class Tokenizer:
    """Segments of an X12 stream, each a list of its elements (the segment id first).
    `number` is the 1-based position of the last segment handed out in the file;
    `delimiters` those of the interchange being read."""

    def __init__(self, handle: TextIO, chunk: int = CHUNK) -> None:
        self.handle = handle
        self.chunk = chunk
        self.number = 0
        self.delimiters: Delimiters | None = None

    def __iter__(self) -> Iterator[list[str]]:
        text = self.handle.read(self.chunk).lstrip("\ufeff \t\r\n")
        while text:
            if len(text) <= ISA_LENGTH + 200:
                text = self.more(text)
            found = read_delimiters(text)
            if found is not None:
                self.delimiters = found
            elif self.delimiters is None:
                raise InputError(
                    f"not an X12 interchange: it starts {text[:20]!r}, not with an ISA header "
                    "declaring its delimiters"
                )
            # text after an interchange that is not an ISA is read with the delimiters
            # before it, so each of its segments is reported as outside an interchange
            text = yield from self.interchange(text, found or self.delimiters)
            text = text.lstrip(" \t\r\n")

    def more(self, text: str) -> str:
        """`text` and the next chunk (to see a whole header)."""
        return text + self.handle.read(self.chunk)

    def interchange(self, text: str, delimiters: Delimiters) -> Generator[list[str], None, str]:
        """Segments up to and including IEA; returns the text after it (the next interchange
        may declare other delimiters)."""
        term, element = delimiters.segment, delimiters.element
        keep_breaks = term in "\r\n"
        rest = text
        while True:
            if not keep_breaks:
                rest = rest.translate(LINE_BREAKS)
            pieces = rest.split(term)
            rest = pieces.pop()
            for at, piece in enumerate(pieces):
                piece = piece.strip("\r\n") if keep_breaks else piece
                if not piece:
                    continue
                self.number += 1
                fields = piece.split(element)
                yield fields
                if fields[0] == "IEA":
                    tail = term.join(pieces[at + 1 :])
                    return (tail + term + rest) if tail else rest
            more = self.handle.read(self.chunk)
            if not more:
                if rest.strip(" \t\r\n"):
                    self.number += 1
                    yield rest.strip("\r\n").split(element)
                return ""
            rest += more


def looks_like_x12(head: str) -> bool:
    """Whether text starts like an X12 interchange (an ISA with readable delimiters)."""
    return read_delimiters(head.lstrip("\ufeff \t\r\n")) is not None


def ccyymmdd(text: str) -> date | None:
    """An X12 date (CCYYMMDD), or None when `text` is not one."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None

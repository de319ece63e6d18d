"""CSV rows that can never swallow, abort or lose the rest of a file.

Claim fields never hold a line break, so every row of a claim file is one physical line.
`CsvRows` reads the file in chunks of about a mebibyte, splits them into lines and parses
them with the `csv` module; a line with a problem is parsed on its own and its problem kept
in `problems` (by line number):
- a line over `MAX_LINE` characters (skipped to its end without holding it);
- bytes that are not UTF-8 (the file is decoded with `surrogateescape`, so one bad byte
  spoils its line, not the file);
- a quote opened and not closed on the line: the csv module would read on into the next
  lines, making one field of the rest of the file; here the line stands alone and is an
  error, and the next line is read as a row of its own.
A problem line's row holds its cells as far as they read (so it still names its claim).
Every physical line gives one row (a blank line `[]`), so row k is line k + 1. A chunk with
no quote, no non-ASCII character and no overlong line (nearly every chunk of a real file) is
parsed in one call, with no per-line Python work.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

MAX_LINE = 65_536
"""Longest line read (characters); a claim row is a few hundred."""
CLAIM_PREFIX = 4_096
"""Of an overlong line, the start kept to tell which claim the row belongs to."""
CHUNK = 1 << 20


class CsvRows:
    def __init__(self, handle: TextIO, max_line: int = MAX_LINE, chunk: int = CHUNK) -> None:
        self.handle = handle
        self.max_line = max_line
        self.chunk = chunk
        self.line = 0
        """Lines handed out so far."""
        self.problems: dict[int, str] = {}
        """Problems of lines read so far, by line number; the reader takes them."""

    def batches(self) -> Iterator[list[list[str]]]:
        """Rows, one per physical line, a chunk at a time."""
        read, limit = self.handle.read, self.max_line
        pending = ""
        skipped: int | None = None
        """Characters of an overlong line skipped so far, while skipping to its end."""
        while True:
            chunk = read(self.chunk)
            if not chunk:
                break
            if skipped is not None:
                end = chunk.find("\n")
                if end < 0:
                    skipped += len(chunk)
                    continue
                skipped += end
                yield [self.overlong(pending, skipped)]
                pending, skipped, chunk = "", None, chunk[end + 1 :]
            text = pending + chunk
            pieces = text.split("\n")
            pending = pieces.pop()
            if len(pending) > limit:
                skipped = len(pending)
            if pieces:
                yield self.parse(pieces, text)
        if skipped is not None:
            yield [self.overlong(pending, skipped)]
        elif pending:
            yield self.parse([pending], pending)

    def parse(self, lines: list[str], chunk: str) -> list[list[str]]:
        first = self.line + 1
        self.line += len(lines)
        if '"' not in chunk and chunk.isascii() and max(map(len, lines)) <= self.max_line:
            try:
                return list(csv.reader(lines))
            except csv.Error:
                pass  # a stray carriage return: read line by line below
        return [self.row(text, first + at) for at, text in enumerate(lines)]

    def row(self, text: str, number: int) -> list[str]:
        """One line parsed alone, its problem recorded."""
        problem = None
        if len(text) > self.max_line:
            problem = too_long(len(text), self.max_line)
            text = text[:CLAIM_PREFIX]
        elif not text.isascii() and has_undecodable(text):
            problem = "the line has bytes that are not UTF-8 text: save the file as UTF-8"
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        elif '"' in text and not closed_quotes(text):
            problem = (
                "a quote on this line is not closed on it, or not followed by a comma (claim "
                "fields hold no line breaks): fix or remove the stray quote"
            )
        try:
            cells = next(csv.reader([text.replace("\r", " ") if problem else text]), [])
        except csv.Error as exc:
            problem = problem or f"the line is not CSV ({exc})"
            cells = next(csv.reader([text.replace("\r", " ")]), [])
        if problem is not None:
            self.problems[number] = problem
        return cells

    def overlong(self, start: str, size: int) -> list[str]:
        self.line += 1
        self.problems[self.line] = too_long(size, self.max_line)
        try:
            return next(csv.reader([start[:CLAIM_PREFIX].replace("\r", " ")]), [])
        except csv.Error:
            return []


def too_long(size: int, limit: int) -> str:
    return (
        f"the line holds {size:,} characters or more, over the {limit:,} a claim row may "
        "hold: check the file's quotes and line breaks"
    )


def has_undecodable(text: str) -> bool:
    """Lone surrogates are where `surrogateescape` kept bytes that are not UTF-8."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def closed_quotes(text: str) -> bool:
    """Whether every quoted field of a one-line CSV record is closed on the line."""
    try:
        for _ in csv.reader([text], strict=True):
            pass
    except csv.Error:
        return False
    return True

"""CSV rows that can never swallow, abort or lose the rest of a file.

Claim fields never hold a line break, so every row of a claim file is one physical line.
`CsvRows` reads the file a line at a time (at most `MAX_LINE` characters; a longer line is
skipped to its end without holding it) and parses it with the `csv` module; each row comes
with the problem of its line, if any:
- a line over `MAX_LINE` characters;
- bytes that are not UTF-8 (the file is decoded with `surrogateescape`, so one bad byte
  spoils its line, not the file);
- a quote opened and not closed on the line: the csv module would read on into the next
  lines, making one field of the rest of the file; here the line stands alone and is an
  error, and the next line is read as a row of its own.
A problem row comes back as its cells re-read from that line alone (so it still names its
claim) with the problem in `problems`; every physical line gives one row, blank ones `[]`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice
from typing import TextIO

CLAIM_PREFIX = 4_096
"""Of an overlong line, the start kept to tell which claim the row belongs to."""
MAX_LINE = 65_536
"""Longest line read (characters); a claim row is a few hundred."""
CHUNK = 65_536


class CsvRows:
    """`(row, problem)` per physical line; `line` is the number of the last line read."""

    def __init__(self, handle: TextIO, max_line: int = MAX_LINE) -> None:
        self.handle = handle
        self.max_line = max_line
        self.line = 0
        self.problems: dict[int, str] = {}
        """Problems of lines read so far, by line number; the reader pops them."""

    def lines(self) -> Iterator[str]:
        readline = self.handle.readline
        limit = self.max_line + 1
        while True:
            text = readline(limit)
            if not text:
                return
            self.line += 1
            if len(text) == limit and not text.endswith("\n"):
                size = len(text) + self.skip_rest()
                self.problems[self.line] = (
                    f"the line holds {size:,} characters or more, over the {self.max_line:,} a "
                    "claim row may hold: check the file's quotes and line breaks"
                )
                yield alone(text[:CLAIM_PREFIX])
                continue
            if not text.isascii() and has_undecodable(text):
                self.problems[self.line] = (
                    "the line has bytes that are not UTF-8 text: save the file as UTF-8"
                )
                yield alone(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                continue
            if '"' in text and not closed_quotes(text):
                self.problems[self.line] = (
                    "a quote on this line is not closed on it, or not followed by a comma (claim "
                    "fields hold no line breaks): fix or remove the stray quote"
                )
                yield alone(text)
                continue
            yield text

    def skip_rest(self) -> int:
        skipped = 0
        while True:
            chunk = self.handle.readline(CHUNK)
            skipped += len(chunk)
            if not chunk or chunk.endswith("\n"):
                return skipped

    def reader(self) -> Iterator[list[str]]:
        """One row per physical line (`[]` for a blank or problem line), so row k of the
        reader is line k + 1 of the file."""
        return csv.reader(self.lines())

    def batch(self, reader: Iterator[list[str]], size: int) -> list[list[str]]:
        """Up to `size` rows; a row the csv module refuses becomes a problem row."""
        batch: list[list[str]] = []
        while len(batch) < size:
            try:
                batch.extend(islice(reader, size - len(batch)))
                return batch
            except csv.Error as exc:
                self.problems[self.line] = f"the line is not CSV ({exc})"
                batch.append([])
        return batch


def alone(text: str) -> str:
    """A problem line re-written as one well-quoted line: its cells as far as they read (so
    the row still names its claim), never running on into the next line."""
    cells = next(csv.reader([text.replace("\r", " ").replace("\n", " ")]), [])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


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

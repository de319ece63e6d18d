"""Sentences of a record's text as exact spans: the units evidence is quoted in and the
build embeds. Noise (revision lines, cross-references, bullets) is trimmed from their
starts, short pieces merged, long ones (statute sentences run to pages) cut at clauses."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_SPAN = 360
"""Longer sentences (statute paragraphs run to pages) are cut at clause boundaries."""
MIN_SPAN = 25
"""Shorter pieces (list labels, headings) are merged into the next sentence."""

_BOUNDARY = re.compile(
    r"""(?:(?<=[.!?])["”’)\]]*(?P<gap>[ \t]+)(?=["“(\[]?[A-Z0-9•])  # end of a sentence
        | [ \t]*\n\s*\n\s*                                  # a blank line
        | [ \t]*\n(?=\s*(?:\#|[-*•]|\(?[0-9a-zA-Z]{1,4}[.)][ \t]))  # a list item or heading
        )""",
    re.VERBOSE,
)
_TRAILING_LABEL = re.compile(r"\s+\(?\d{1,2}[.)]$")
"""An inline list number left at a sentence's end ("... able to: 1.")."""
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Za-z]\.)+|\b(?:Sec|Secs|No|Nos|Pub|Rev|Stat|Vol|Ch|Pt|Par|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Inc|Co|Corp|Dr|Mr|Ms|St|vs|approx|cf|al|etc)\.)$"
)
_CLAUSE = re.compile(r"(?<=[;,:])\s+")
_LEADING_NOISE = re.compile(
    r"^(?:\(Rev\.[^)]*\)\s*|(?:[A-Z]{1,3}\d?-[\d.\-]+(?:\.[A-Z])?,?\s+)+|#+\s*|[•*-]\s+)+"
)


@dataclass(frozen=True, slots=True)
class Span:
    """`text[start:end]` of a record: a sentence, or a clause run of a long one."""

    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Sentences of `text` as exact spans, noise (revision lines, cross-references, bullets)
    trimmed from their starts, short pieces merged, long ones cut at clause boundaries."""
    raw: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start("gap") if match.group("gap") else match.start()
        if text[match.start() - 1 : match.start()] == "." and _ABBREVIATION.search(
            text[max(start, match.start() - 12) : match.start()]
        ):
            continue
        label = _TRAILING_LABEL.search(text, start, end)
        raw.append((start, label.start() if label else end))
        start = match.end()
    raw.append((start, len(text)))
    spans: list[Span] = []
    carry: int | None = None
    for begin, end in raw:
        begin = carry if carry is not None else _trim_start(text, begin, end)
        carry = None
        if end - begin < MIN_SPAN and not text[begin:end].rstrip().endswith("."):
            carry = begin
            continue
        spans.extend(_cut_long(text, begin, end))
    if carry is not None and len(text) - carry >= 1:
        spans.extend(_cut_long(text, carry, len(text)))
    return [span for span in spans if text[span.start : span.end].strip()]


def _trim_start(text: str, begin: int, end: int) -> int:
    """Skip revision lines, cross-reference ids and bullets: they are not the sentence."""
    match = _LEADING_NOISE.match(text, begin, end)
    trimmed = match.end() if match else begin
    while trimmed < end and text[trimmed].isspace():
        trimmed += 1
    return trimmed


def _cut_long(text: str, begin: int, end: int) -> list[Span]:
    """A sentence as one span, or, past MAX_SPAN, as runs of whole clauses (a quote should
    be readable, and statute sentences run to pages)."""
    end = _rstrip(text, begin, end)
    if end - begin <= MAX_SPAN:
        return [Span(begin, end)]
    cuts = [begin] + [m.end() for m in _CLAUSE.finditer(text, begin, end)] + [end]
    pieces: list[Span] = []
    piece_start = begin
    for previous, cut in itertools.pairwise(cuts):
        if cut - piece_start > MAX_SPAN and previous > piece_start:
            pieces.append(Span(piece_start, _rstrip(text, piece_start, previous)))
            piece_start = previous
    if pieces and end - piece_start < MIN_SPAN:
        pieces[-1] = Span(pieces[-1].start, end)
    else:
        pieces.append(Span(piece_start, end))
    return pieces


def _rstrip(text: str, begin: int, end: int) -> int:
    while end > begin and text[end - 1].isspace():
        end -= 1
    return end

"""Text helpers for answering: sentence spans that index the record text exactly, the
question's content terms (the retrieval tokenizer's terms, so evidence scoring and search
agree), numbers, and code-like tokens to validate against the loaded tables."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from medref.retrieval.tokenize import tokenize

MAX_SPAN = 360
"""Longer sentences (statute paragraphs run to pages) are cut at clause boundaries."""
MIN_SPAN = 25
"""Shorter pieces (list labels, headings) are merged into the next sentence."""

QUESTION_WORDS = frozenset(
    tokenize(
        "what which how much many long often does do mean means meaning define definition "
        "describe explain tell list use used using apply applies applied indicate "
        "indicates kind type there is are can could would should get"
    )
)
"""Words that shape a question but say nothing about its subject."""

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
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_FRAMING = re.compile(r"\b(?:counts?|qualif(?:y|ies))\s+as\b", re.IGNORECASE)
"""Framing verbs: "who counts as a physician" asks what "physician" means, and the
statute's definition never says "counts"."""
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+(?:[.,]\d+)*(?![A-Za-z0-9])")

CODE_PATTERNS = (
    re.compile(r"(?<![A-Za-z0-9])[A-V]\d{4}(?![A-Za-z0-9])"),  # HCPCS Level II
    re.compile(r"(?<![A-Za-z0-9$.,\-])\d{5}(?![A-Za-z0-9]|[.,]\d)"),  # CPT category I
    re.compile(r"(?<![A-Za-z0-9])\d{4}[FTUM](?![A-Za-z0-9])"),  # CPT II/III, PLA, MAAA
    re.compile(r"(?<![A-Za-z0-9.])[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}(?![A-Za-z0-9])"),  # ICD-10
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


def terms(text: str) -> list[str]:
    """Content terms in the retrieval tokenizer's vocabulary."""
    return tokenize(text)


def question_terms(question: str) -> list[str]:
    """The question's distinct content terms, question words left out."""
    seen: dict[str, None] = {}
    for term in tokenize(_FRAMING.sub(" as", _POSSESSIVE.sub("", question))):
        if term not in QUESTION_WORDS:
            seen.setdefault(term, None)
    return list(seen)


def numbers(text: str) -> list[str]:
    """Numbers as written (`62.5`, `1,000`, `12`), without codes' digits."""
    return _NUMBER.findall(text)


def code_tokens(text: str) -> list[str]:
    """Tokens shaped like a HCPCS, CPT or ICD-10-CM code: each must be in the loaded tables
    before an answer may show it."""
    return [match.group(0) for pattern in CODE_PATTERNS for match in pattern.finditer(text)]

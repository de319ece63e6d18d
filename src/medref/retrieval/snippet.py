"""Query-term-centred snippets: the stretch of a chunk that shows why it was found."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence

from medref.retrieval.tokenize import tokenize

SNIPPET_CHARS = 240


@functools.lru_cache(maxsize=1 << 16)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(tokenize(word))


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """The `width` characters of `text` holding the most query terms, cut at word edges."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    wanted = frozenset(terms)
    words = flat.split(" ")
    # every word's terms, in C (a chunk runs to thousands of words): where each word starts
    ends = list(itertools.accumulate(map(len, words)))
    held = map(wanted.isdisjoint, map(_word_terms, words))
    hits = [
        ends[at] - len(words[at]) + at
        for at in itertools.compress(range(len(words)), map(operator.not_, held))
    ]
    if not hits:
        return flat[:width].rsplit(" ", 1)[0] + " …"
    best_start, best_count = hits[0], 0
    for start in hits:
        count = sum(1 for other in hits if start <= other < start + width)
        if count > best_count:
            best_start, best_count = start, count
    begin = max(0, best_start - width // 4)
    if begin:
        begin = flat.find(" ", begin) + 1 or begin
    piece = flat[begin : begin + width]
    if begin + width < len(flat):
        piece = piece.rsplit(" ", 1)[0]
    return ("… " if begin else "") + piece + (" …" if begin + width < len(flat) else "")

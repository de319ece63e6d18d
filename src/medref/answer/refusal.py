"""When to say "The loaded sources do not answer this." instead of answering.

An answer needs evidence that holds most of what the question is about (its rare content
words, weighted by how rare they are in the knowledge base), every year and code the
question names, and a question about what the sources record rather than what will happen.
A refusal lists the closest sources and shows no code at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from medref.answer.types import Answer, Closest, Evidence
from medref.retrieval.search import Hit

MIN_COVERAGE = 0.5
"""Least weighted share of the question's content terms the best sentence (with its
context) must hold."""
MIN_SCORE = 0.65
"""Least evidence score (see evidence.py) of the best sentence: coverage alone lets a
question whose common words happen to meet in one statute sentence through."""
CLOSEST = 3
SPECULATIVE = re.compile(
    r"\b(?:will|going to)\b[^?]*\b(?:be|cost|change|rise|increase|go up)\b[^?]*"
    r"\b(?:in\s+(?:19|20)\d\d|next\s+(?:year|quarter|month)|the\s+future)\b"
    r"|\b(?:predict|forecast|projected|projection)\w*\b",
    re.IGNORECASE,
)
"""Questions about the future: the sources record rules in force, not what is to come."""
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
OUT_OF_SCOPE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("the future", SPECULATIVE),
    (
        "who holds an office now",
        re.compile(
            r"\bwho (?:is|are) (?:the |our )?(?:current|new|present|acting)\b", re.IGNORECASE
        ),
    ),
    (
        "contact details or opening hours",
        re.compile(
            r"\b(?:phone|telephone|fax) number\b|\be-?mail address\b|\bmailing address\b"
            r"|\bopening hours\b|\bwhat time does\b|\b(?:open|closed?) on (?:saturday|sunday)",
            re.IGNORECASE,
        ),
    ),
    (
        "account help",
        re.compile(r"\bpassword\b|\bhow (?:do|can) i (?:log|sign) ?in\b", re.IGNORECASE),
    ),
    (
        "a recommendation",
        re.compile(r"\brecommend(?:ation)?s?\b|\bbest\b[^?]*\bnear\b|\bnear me\b", re.IGNORECASE),
    ),
    (
        "market or personal data",
        re.compile(
            r"\bstock price\b|\bshare price\b|\bsalar(?:y|ies)\b|\bweather\b", re.IGNORECASE
        ),
    ),
)
"""Kinds of question the loaded sources never answer (they hold codes, edits, manuals,
coverage policy and the statute, not people, contacts, advice or forecasts)."""


def out_of_scope(question: str) -> str | None:
    """The kind of thing the question asks for when the sources never hold it."""
    return next((kind for kind, pattern in OUT_OF_SCOPE if pattern.search(question)), None)


def missing_years(question: str, chosen: Sequence[Evidence]) -> list[str]:
    """Years the question names that no chosen sentence mentions."""
    return [
        year
        for year in YEAR.findall(question)
        if not any(year in evidence.quote for evidence in chosen)
    ]


def closest(hits: Sequence[Hit], count: int = CLOSEST) -> list[Closest]:
    """The top distinct references of the search, for the user to read on."""
    found: dict[str, Closest] = {}
    for hit in hits:
        if hit.ref not in found:
            found[hit.ref] = Closest(hit.ref, hit.title, hit.source, hit.release)
        if len(found) == count:
            break
    return list(found.values())


def refuse(question: str, hits: Sequence[Hit], reason: str) -> Answer:
    """The fixed reply; `reason` says which test failed (shown as the notice)."""
    return Answer(
        question, [], [], answerable=False, closest=closest(hits), notice=reason, mode="refusal"
    )

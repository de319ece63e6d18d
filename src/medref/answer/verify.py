"""Check a model-written sentence against the evidence it cites: the sentence stays only
when its citations exist, its content words are mostly in the cited quotes, and every
number and code it states is written in them (and codes are in the loaded tables)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from medref.answer.codes import CodeTable
from medref.answer.text import QUESTION_WORDS, code_tokens, numbers, terms
from medref.answer.types import Evidence

MIN_SUPPORT = 0.6
"""Least share of a sentence's content terms found in its cited quotes."""
MARKER = re.compile(r"\s*\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"(?:[.!?](?:\s*\[\d{1,3}\])*|(?:\[\d{1,3}\])+(?=\s+[A-Z]))(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Checked:
    text: str
    """The sentence without its markers."""
    cited: tuple[int, ...]
    """Evidence numbers (1-based, as the prompt numbered them)."""
    problem: str | None


def split_sentences(text: str, final: bool) -> tuple[list[str], str]:
    """Complete sentences (markers kept with the sentence they end) and the unfinished rest.
    While more text may come (`final` false), a sentence counts as complete only once text
    other than a citation marker follows it."""
    found: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        after = text[match.end() :].lstrip()
        if not final and (not after or after.startswith("[")):
            break
        piece = text[start : match.end()].strip()
        if piece:
            found.append(piece)
        start = match.end()
    return found, text[start:]


def check(sentence: str, evidence: Sequence[Evidence], codes: CodeTable) -> Checked:
    cited = tuple(dict.fromkeys(int(n) for n in MARKER.findall(sentence)))
    text = MARKER.sub("", sentence).strip()
    if not cited:
        return Checked(text, cited, "no citation marker")
    if any(not 1 <= n <= len(evidence) for n in cited):
        return Checked(text, cited, "cites evidence that does not exist")
    quotes = " ".join(evidence[n - 1].quote for n in cited)
    return Checked(text, cited, _problem(text, quotes, codes))


def _problem(text: str, quotes: str, codes: CodeTable) -> str | None:
    content = {t for t in terms(text) if t not in QUESTION_WORDS}
    if content:
        quoted = set(terms(quotes))
        support = len(content & quoted) / len(content)
        if support < MIN_SUPPORT:
            return f"the cited text does not support it ({support:.0%} of its words)"
    quoted_numbers = set(numbers(quotes))
    missing = [n for n in numbers(text) if n not in quoted_numbers]
    if missing:
        return f"{', '.join(missing)} is not in the cited text"
    unknown = codes.unknown(text)
    if unknown:
        return f"{', '.join(unknown)} is not in the loaded tables"
    uncited = [c for c in code_tokens(text) if c not in quotes]
    if uncited:
        return f"{', '.join(uncited)} is not in the cited text"
    return None

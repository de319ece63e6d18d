"""Text helpers for answering: sentence spans that index the record text exactly, the
question's content terms (the retrieval tokenizer's terms, so evidence scoring and search
agree), numbers, and code-like tokens to validate against the loaded tables."""

from __future__ import annotations

import re

from medref.retrieval.tokenize import tokenize

QUESTION_WORDS = frozenset(
    tokenize(
        "what which how much many long often does do mean means meaning define definition "
        "describe explain tell list use used using apply applies applied indicate "
        "indicates kind type there is are can could would should get"
    )
)
"""Words that shape a question but say nothing about its subject."""

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

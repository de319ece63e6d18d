"""Questions that ask for a named kind of document by topic ("NCD for home oxygen therapy",
"is there an LCD on X", "which manual section covers X"): only a record of that kind about
the topic answers. A record is about the topic when its title holds most of the topic's
distinctive words (by rarity), or its text holds the topic as written; a record that merely
shares words with the topic ("home", "therapy", "oxygen desaturation" in the CPAP NCD) is
not, and the question is refused rather than answered from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from medref.answer.text import question_terms, terms
from medref.retrieval.route import NAMING_TERMS, QUERY_FILLER
from medref.retrieval.vocabulary import Vocabulary

MIN_TITLE_SHARE = 0.5
"""Least weighted share of the topic's distinctive words the record's title must hold."""
GENERIC = frozenset(
    terms(
        "therapy therapies treatment treatments service services coverage covered cover "
        "covers care home medicare patient patients beneficiary beneficiaries benefit "
        "benefits item items policy"
    )
)
"""Words that say what kind of thing a topic is, not which: every coverage document has them."""

_CONNECTOR = (
    r"\s+(?:that\s+|which\s+)?(?:for|on|about|covering|covers|cover|addressing|addresses"
    r"|regarding|governing|governs)\s+(?P<topic>[^?.;!]+)"
)
KINDS: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    (
        "NCD",
        frozenset({"ncd"}),
        re.compile(
            r"\b(?:NCDs?|national\s+coverage\s+(?:determinations?|decisions?))" + _CONNECTOR,
            re.IGNORECASE,
        ),
    ),
    (
        "LCD",
        frozenset({"lcd"}),
        re.compile(
            r"\b(?:LCDs?|local\s+coverage\s+(?:determinations?|decisions?))" + _CONNECTOR,
            re.IGNORECASE,
        ),
    ),
    (
        "manual section",
        frozenset({"iom"}),
        re.compile(
            r"\b(?:(?:IOM|manual)(?:\s+(?:sections?|chapters?))?"
            r"|(?:sections?|chapters?)\s+of\s+the\s+(?:[\w-]+\s+){0,4}manual)" + _CONNECTOR,
            re.IGNORECASE,
        ),
    ),
    (
        "statute section",
        frozenset({"statute"}),
        re.compile(
            r"\b(?:statut(?:e|ory)(?:\s+(?:sections?|provisions?))?"
            r"|sections?\s+of\s+the\s+(?:social\s+security\s+)?act)" + _CONNECTOR,
            re.IGNORECASE,
        ),
    ),
)
"""Each kind of document a question may ask for, the sources that hold it, and the pattern
that finds the asked topic after it."""
_QUALIFIER = re.compile(r"\s+(?:in|for|with|during|after|before|under)\s+", re.IGNORECASE)
"""Where a topic's subject ends and its setting begins ("perimetry | in glaucoma")."""
_TRAILING = re.compile(r"\s+(?:in|under|by|from)\s+medicare\s*$|\s+covered\s*$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """A document of a kind (held by `sources`) about `topic`: the subject as written, and its
    distinctive terms (the retrieval tokenizer's, generic words left out)."""

    kind: str
    sources: frozenset[str]
    topic: str
    terms: tuple[str, ...]

    def is_about(
        self, title: str, text: str, weight: Callable[[str], float], vocabulary: Vocabulary
    ) -> bool:
        """The record's title holds most of the topic (by rarity, abbreviations counting), or
        its text holds the topic as written (two words at least: one word is no phrase)."""
        held = vocabulary.with_equivalents(terms(title))
        total = sum(weight(term) for term in self.terms) or 1.0
        covered = sum(weight(term) for term in self.terms if term in held)
        if covered / total >= MIN_TITLE_SHARE:
            return True
        phrase = " ".join(self.topic.lower().split())
        return len(phrase.split()) > 1 and phrase in " ".join(text.lower().split())


def document_request(question: str) -> DocumentRequest | None:
    """The kind of document and the topic the question asks for, when it asks for one by
    topic; None when it asks no such thing or its topic has only generic words."""
    for kind, sources, pattern in KINDS:
        match = pattern.search(question)
        if match is None:
            continue
        topic = _ARTICLE.sub("", _TRAILING.sub("", match.group("topic").strip()))
        subject = _QUALIFIER.split(topic, maxsplit=1)[0]
        for words in (subject, topic):
            distinctive = [
                t for t in question_terms(words) if t not in GENERIC | NAMING_TERMS | QUERY_FILLER
            ]
            if distinctive:
                return DocumentRequest(kind, sources, words, tuple(distinctive))
        return None
    return None

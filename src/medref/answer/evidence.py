"""Gather scored evidence: split each retrieved record into sentences and score every
sentence (and every pair of neighbouring sentences) against the question.

A sentence scores by the share of the question's content terms it holds, each term weighted
by its rarity in the whole knowledge base (the BM25 index's document frequencies); a term
also counts when the sentence has a synonym of it (the retrieval synonym groups) or a longer
word it begins (`pay` in `payment`). Smaller credit goes to the record's heading matching,
to the kind of value the question asks for (a duration for "how long", a percentage or
amount for "how much", a count for "how many", a date for "when"), and to retrieval rank.
Quotes are exact spans of the record's text, so a citation can always be checked against
the record it names.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from medref.answer.guard import is_instruction
from medref.answer.text import MAX_SPAN, Span, numbers, question_terms, sentence_spans, terms
from medref.answer.types import Evidence
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.enrich import synonym_terms
from medref.retrieval.route import SOURCE_NAMES, citation_terms
from medref.retrieval.search import Hit, Searcher

OWN_WEIGHT = 0.6
"""Share of the score from the sentence's own terms; the rest from its context's."""
CONTEXT_SENTENCES = 2
HEADING_WEIGHT = 0.1
ANSWER_TYPE_BONUS = 0.45
RANK_WEIGHT = 0.15
LENGTH_PENALTY = 0.1
MAX_WINDOW = 520
"""Two neighbouring sentences are also scored as one quote ("... a copy of the signed ABN.
In general, it is 5 years ..."): an answer often sits in a sentence that refers back."""
DERIVATIONS = (
    "ment",
    "abl",
    "ag",
    "ation",
    "ition",
    "er",
    "or",
    "al",
    "ial",
    "ly",
    "iv",
    "ity",
    "anc",
    "enc",
    "ant",
    "ent",
)
"""Endings (as the stemmer leaves them) that make one word of another."""
MIN_ROOT = 4
MODIFIER_TERM = re.compile(r"mod[0-9a-z]{2}")
"""The tokenizer's `mod25` terms: the question's bare `25` term stands for the modifier, and
a sentence holds it only as a modifier (any way it is written: "modifier “-25”", "the -25
modifier"), not as "25 percent"."""

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (  # how long -> a duration
        re.compile(
            r"\bhow long\b|\btime limit\b|\bdeadline\b|\bretain|\bretention|\bkeep\b", re.IGNORECASE
        ),
        re.compile(
            r"\b\d+\s*(?:-\s*)?(?:calendar\s+)?(?:years?|months?|weeks?|days?|hours?|"
            r"minutes?)\b",
            re.IGNORECASE,
        ),
    ),
    (  # how much / what payment -> a percentage or an amount
        re.compile(
            r"\bhow much\b|\bpercent(?:age)?\b|\bpay(?:s|ment|ments)?\b|\bpaid\b"
            r"|\brates?\b|\bamount\b",
            re.IGNORECASE,
        ),
        re.compile(r"\d+(?:\.\d+)?\s*(?:percent\b|%)|\$\s?\d", re.IGNORECASE),
    ),
    (  # how many / how often -> a count of something
        re.compile(
            r"\bhow (?:many|often)\b|\bfrequency\b|\bper (?:year|month|week|day)\b", re.IGNORECASE
        ),
        re.compile(
            r"\b\d+\s+(?:[\w-]+\s+){0,3}?(?:visits?|sessions?|times?|units?|attempts?|"
            r"days?|months?|weeks?|years?|services?|treatments?)\b|\bper\s+(?:year|"
            r"month|week|day)\b|\bonce\b|\btwice\b",
            re.IGNORECASE,
        ),
    ),
    (  # what does X mean / how is X defined -> a definition
        re.compile(
            r"\bwhat (?:does|do|is|are)\b[^?]*\b(?:mean|means|indicate|stand for|signify|"
            r"represent)\b|\bdefin(?:e|es|ed|ition)\b|\b(?:counts?|qualif(?:y|ies)) as\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b(?:means?|is defined as|are defined as|refers? to|(?:is|are) used to|"
            r"identif(?:y|ies)|indicates?)\b|\b(?:is|are) (?:an? |the )?[\w-]+ "
            r"(?:which|that|who)\b",
            re.IGNORECASE,
        ),
    ),
    (  # what does X prohibit -> what may not be done
        re.compile(r"\bprohibit|\bforbid|\bbann?ed?\b|\bnot allowed\b|\bbarred\b", re.IGNORECASE),
        re.compile(
            r"\b(?:may not|shall not|must not|cannot|no payment may|prohibit\w*|"
            r"not (?:be )?(?:permitted|allowed|payable))\b",
            re.IGNORECASE,
        ),
    ),
    (  # when did ... -> a date
        re.compile(
            r"\bwhen (?:did|was|were)\b|\bsince when\b|\bwhat date\b"
            r"|\beffective date\b|\bbecome (?:payable|effective)\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b{_MONTH}\s+\d{{1,2}},\s+\d{{4}}|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
            rf"|\b(?:19|20)\d\d\b"
        ),
    ),
    (  # when must / under what conditions -> a condition or requirement
        re.compile(
            r"\bwhen (?:does|do|is|are|must|should|may|can)\b|\bunder what "
            r"(?:conditions|circumstances)\b|\bcriteria\b|\brequirements?\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b(?:only if|if the|unless|provided that|under the following|"
            r"(?:is|are) required|requires?|must (?:be|have|meet|give|issue|notify)|"
            r"(?:is|are) (?:only )?covered (?:only )?(?:when|if|for)|limited to)\b",
            re.IGNORECASE,
        ),
    ),
)
LIST_QUESTION = re.compile(
    r"\bwhat\b[^?]*\b(?:includ(?:e|es|ed)|components?|consists?|comprises?|contents?)\b",
    re.IGNORECASE,
)
"""What is included / what does X include: the answer is the list of the components."""
LIST_SHAPE = re.compile(r"[•▪◦](?s:.*)[•▪◦]|\(1\)(?s:.*)\(2\)")
"""A quote holding two items of a list."""
BULLETS = "•▪◦"
EXCLUSION = re.compile(r"\bnot\s+(?:be\s+)?includ|\bexclu", re.IGNORECASE)
LEAD_IN = re.compile(r"\bfollowing\b|\bbelow\b|:\s*$", re.IGNORECASE)
"""Words that introduce a list ("the services listed below", "the following:")."""
LEAD_IN_CHARS = 300
"""How far before a list's first item its lead-in is read when no item names one."""


@dataclass(frozen=True, slots=True)
class RecordSentences:
    """A record's sentence spans and the content terms of each, computed once per record."""

    record: Record
    spans: tuple[Span, ...]
    terms: tuple[frozenset[str], ...]
    title_terms: frozenset[str]


class SentenceCache:
    """Sentence splits per record (keyed by its text too: two builds may hold one reference
    and release with different text); the same records come back for related questions."""

    def __init__(self, limit: int = 4096) -> None:
        self._items: dict[tuple[str, str, str, int], RecordSentences] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, record: Record) -> RecordSentences:
        key = (record.source, record.ref, record.release, hash(record.text))
        with self._lock:
            found = self._items.get(key)
        if found is not None:
            return found
        spans = tuple(
            span
            for span in sentence_spans(record.text)
            if not is_instruction(record.text[span.start : span.end])
        )
        made = RecordSentences(
            record,
            spans,
            tuple(_with_synonyms(record.text[s.start : s.end]) for s in spans),
            _with_synonyms(record.title),
        )
        with self._lock:
            if len(self._items) >= self._limit:
                self._items.pop(next(iter(self._items)))
            self._items[key] = made
        return made


_CACHE = SentenceCache()


def _with_synonyms(text: str) -> frozenset[str]:
    """The text's terms and those of every synonym group it mentions ("OSA" also counts as
    "obstructive sleep apnea")."""
    found = terms(text)
    return frozenset([*found, *synonym_terms(found)])


class TermWeights:
    """Inverse document frequency of terms in the searcher's BM25 body index: a term the
    knowledge base never uses weighs most, a term in every chunk almost nothing."""

    def __init__(self, searcher: Searcher) -> None:
        index = searcher.body
        self._vocabulary = index.vocabulary
        self._indptr = index.weights.indptr
        self._documents = index.documents

    def frequency(self, term: str) -> int:
        row = self._vocabulary.get(term)
        return 0 if row is None else int(self._indptr[row + 1] - self._indptr[row])

    def weight(self, term: str) -> float:
        frequency = self.frequency(term)
        return math.log(1.0 + (self._documents - frequency + 0.5) / (frequency + 0.5))

    def related_words(self, term: str) -> list[str]:
        """Index words one derivational ending away from `term` (`pay`/`payment`,
        `coverag`/`cover`, `prohibit`/`prohibition`): the stemmer keeps them apart."""
        if not term.isalpha():
            return []
        longer = [term + ending for ending in DERIVATIONS]
        shorter = [
            term[: -len(ending)]
            for ending in DERIVATIONS
            if term.endswith(ending) and len(term) - len(ending) >= MIN_ROOT
        ]
        return [word for word in (*longer, *shorter) if word in self._vocabulary]


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    """What a sentence must hold to answer the question: weighted content terms, each with
    the forms that count as that term, and the kind of value asked for."""

    weights: dict[str, float]
    forms: dict[str, frozenset[str]]
    value: re.Pattern[str] | None
    question_numbers: frozenset[str]
    excluding: bool = False
    """The question asks what is excluded, not included."""

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0

    def coverage(self, held: frozenset[str]) -> float:
        """Weighted share of the question's terms that `held` contains in some form."""
        found = sum(w for t, w in self.weights.items() if not self.forms[t].isdisjoint(held))
        return found / self.total

    def gives_value(self, quote: str) -> bool:
        """The quote holds the kind of value asked for, beyond numbers the question gave."""
        if self.value is None:
            return False
        for match in self.value.finditer(quote):
            found = set(numbers(match.group(0)))
            if not found or not found <= self.question_numbers:
                return True
        return False

    def list_agrees(self, text: str, start: int) -> bool:
        """A list answers a list question only when its lead-in includes or excludes as
        the question does ("services not included" do not answer "what is included")."""
        if self.value is not LIST_SHAPE:
            return True
        return (EXCLUSION.search(list_lead_in(text, start)) is not None) == self.excluding


def profile(
    question: str, weights: TermWeights, ignore: frozenset[str] = frozenset()
) -> QuestionProfile:
    """The question's terms (less `ignore`), their forms and weights, and the value asked for."""
    asked = question_terms(question)
    wanted = [t for t in asked if not MODIFIER_TERM.fullmatch(t) and t not in ignore]
    forms = {
        term: frozenset({f"mod{term}"})
        if f"mod{term}" in asked
        else frozenset({term, *weights.related_words(term)})
        for term in wanted
    }
    value = next((shape for cue, shape in ANSWER_TYPES if cue.search(question)), None)
    if value is None and LIST_QUESTION.search(question):
        value = LIST_SHAPE
    return QuestionProfile(
        {t: weights.weight(t) for t in wanted},
        forms,
        value,
        frozenset(numbers(question)),
        excluding=EXCLUSION.search(question) is not None,
    )


def list_lead_in(text: str, start: int) -> str:
    """The words before the list the quote at `start` belongs to: back from the quote's
    first bullet over the items before it (each within MAX_SPAN of the next) to the stretch
    that introduces the list."""
    first = min((i for i in (text.find(b, start) for b in BULLETS) if i >= 0), default=start)
    while True:
        window = max(0, first - MAX_SPAN)
        previous = max(text.rfind(bullet, window, first) for bullet in BULLETS)
        if previous < 0:
            return text[max(0, first - LEAD_IN_CHARS) : first]
        if LEAD_IN.search(text, previous + 1, first):
            return text[previous + 1 : first]
        first = previous


CODE_PREFIXES = frozenset({"HCPCS", "CPT", "MOD", "ICD10CM", "POS", "PFS", "MUE", "AOC", "PTP"})


def is_code_record(ref: str) -> bool:
    """Code tables and edit rows, as opposed to prose (manuals, coverage, statute, vault)."""
    return ref.partition(":")[0] in CODE_PREFIXES


def hit_record(kb: KnowledgeBase, hit: Hit) -> Record | None:
    """The record a hit belongs to (PTP hits have none stored: the edit row is materialised)."""
    if hit.record_id is not None:
        return kb.record_by_id(hit.record_id)
    return kb.get(hit.ref, release=hit.release)


@dataclass(frozen=True, slots=True)
class Window:
    """One sentence, or two neighbouring ones, with its terms and its context's terms (the
    sentences around it and the record's heading: "it" in a sentence means the heading)."""

    start: int
    end: int
    terms: frozenset[str]
    context: frozenset[str]


def _windows(sentences: RecordSentences) -> Iterator[Window]:
    """Each sentence, and each pair of neighbouring sentences that is short enough and holds
    no instruction-like text between them."""
    spans, span_terms, text = sentences.spans, sentences.terms, sentences.record.text
    count = len(spans)

    def around(first: int, last: int) -> frozenset[str]:
        lo, hi = max(0, first - CONTEXT_SENTENCES), min(count, last + CONTEXT_SENTENCES + 1)
        return sentences.title_terms.union(*span_terms[lo:hi])

    for index, span in enumerate(spans):
        if not text[span.start : span.end].endswith(":"):  # a lead-in is read with its list
            yield Window(span.start, span.end, span_terms[index], around(index, index))
        if index + 1 < count:
            following = spans[index + 1]
            if following.end - span.start <= MAX_WINDOW and not is_instruction(
                text[span.end : following.start]
            ):
                yield Window(
                    span.start,
                    following.end,
                    span_terms[index] | span_terms[index + 1],
                    around(index, index + 1),
                )


def gather(
    kb: KnowledgeBase,
    hits: Sequence[Hit],
    question: str,
    weights: TermWeights,
) -> list[Evidence]:
    """Every sentence of the hits' records, scored, best first (one entry per distinct
    quote). Code records count only when the question named them (a routed hit). Words
    that cite a place ("under section 1833(b)") are not asked of the evidence, and words
    naming a source ("the Act", "NCD") are held by every record of that source."""
    wanted = profile(question, weights, ignore=citation_terms(question))
    found: dict[str, Evidence] = {}
    seen_records: set[tuple[str, str, str]] = set()
    for rank, hit in enumerate(hits):
        if is_code_record(hit.ref) and hit.via != "route":
            continue  # a code's row only answers a question that names the code
        record = hit_record(kb, hit)
        if record is None or (record.source, record.ref, record.release) in seen_records:
            continue
        seen_records.add((record.source, record.ref, record.release))
        sentences = _CACHE.get(record)
        named = SOURCE_NAMES.get(record.source, frozenset())
        heading = wanted.coverage(sentences.title_terms | named)
        for window in _windows(sentences):
            own = wanted.coverage(window.terms | named)
            if own <= 0.0:
                continue
            coverage = wanted.coverage(window.context | named)
            quote = record.text[window.start : window.end]
            score = (
                OWN_WEIGHT * own
                + (1 - OWN_WEIGHT) * coverage
                + HEADING_WEIGHT * heading
                + RANK_WEIGHT / (1 + rank)
            )
            if wanted.gives_value(quote) and wanted.list_agrees(record.text, window.start):
                score += ANSWER_TYPE_BONUS
            score -= LENGTH_PENALTY * len(quote) / MAX_WINDOW
            evidence = Evidence(
                record.ref,
                record.source,
                record.release,
                record.title,
                quote,
                window.start,
                score,
                coverage,
                rank,
            )
            if quote not in found or found[quote].score < score:
                found[quote] = evidence
    return sorted(found.values(), key=lambda e: -e.score)

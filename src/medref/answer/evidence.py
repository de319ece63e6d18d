"""Gather scored evidence: every sentence (and pair of neighbouring sentences) of the records
the search found, scored against what the question asks.

A window scores by the weighted share of the question's content terms it holds (its own
words, and the sentences around it with the record's heading), each term weighted by its
rarity in the knowledge base; a scenario's facts weigh less than the sentences that ask
(`Profile`). A term also counts when the window spells out or abbreviates it (the build's
vocabulary) or holds a word one derivation away (`pay` in `payment`). Smaller credit goes
to the kind of value the question wants (a duration for "how long", an amount for "how
much", a rule for "can we ..."), and to the retrieval rank of the record. Quotes are exact
spans of the record's text, so a citation can always be checked against its record.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from medref.answer.guard import is_instruction
from medref.answer.text import numbers, question_terms, terms
from medref.answer.types import Evidence
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.question import Asked, Question
from medref.retrieval.route import SOURCE_NAMES, citation_terms
from medref.retrieval.search import Hit, Searcher
from medref.retrieval.sentence_vectors import SentenceVectors, Vector
from medref.retrieval.sentences import MAX_SPAN, Span, sentence_spans
from medref.retrieval.vocabulary import Vocabulary

OWN_WEIGHT = 0.6
"""Share of the score from the window's own terms; the rest from its context's."""
CONTEXT_SENTENCES = 2
HEADING_WEIGHT = 0.1
ANSWER_TYPE_BONUS = 0.3
RANK_WEIGHT = 0.25
MEANING_WEIGHT = 3.0
"""Weight of the MiniLM similarity of question and window, added to the lexical score of
the best SEMANTIC_CANDIDATES windows (measured on our tuning split and the dev sets: the
right sentence came first for 70 of 107 questions with it at weight 2, 58 with words
alone; 67 of 125 prose questions at weight 3 against 63 at 2, 62 at 4)."""
RECORD_MEANING_WEIGHT = 0.0
"""Weight of the MiniLM similarity of the question and the window's whole record."""
SEMANTIC_CANDIDATES = 30
SCORED_CANDIDATES = 120
"""Windows scored in full: those holding most of the question's words themselves."""
LENGTH_PENALTY = 0.1
MAX_WINDOW = 520
"""Two neighbouring sentences are also scored as one quote ("... a copy of the signed ABN.
In general, it is 5 years ..."): an answer often sits in a sentence that refers back."""
CONTEXT_SHARE = 0.35
"""Weight of a scenario's facts against the words of what it asks."""
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
RELATED_CACHE = 65_536
"""Terms whose related words are remembered (a few MB at most)."""
MODIFIER_TERM = re.compile(r"mod[0-9a-z]{2}")
"""The tokenizer's `mod25` terms: the question's bare `25` term stands for the modifier, and
a sentence holds it only as a modifier (any way it is written), not as "25 percent"."""

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_NUMBER_WORD = (
    r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|sixty|ninety|\d+(?:st|nd|rd|th))"
)
_DURATION = (
    rf"\b{_NUMBER_WORD}[\s-]*(?:calendar\s+|business\s+|full\s+)?(?:years?|months?|weeks?|"
    r"days?|hours?|minutes?)\b|\bcalendar year\b"
)
_DATE = rf"\b{_MONTH}\s+\d{{1,2}}(?:,\s+\d{{4}})?|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b(?:19|20)\d\d\b"
_RULE = (
    r"\b(?:may not|must not|shall not|cannot|can not|is not|are not|does not|do not|"
    r"will not|not (?:be )?(?:covered|payable|paid|allowed|permitted|required|subject)|"
    r"may|must|shall|(?:is|are) (?:covered|payable|paid|allowed|permitted|required|eligible)|"
    r"only (?:if|when)|unless|no payment)\b"
)
SHAPES: dict[Asked, re.Pattern[str]] = {
    "contact": re.compile(
        r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b|\b[\w.+-]+@[\w-]+\.[\w.]+|\bhttps?://|\bwww\.",
        re.IGNORECASE,
    ),
    "office_holder": re.compile(r"\b(?:Mr|Ms|Mrs|Dr)\.? [A-Z][a-z]+"),
    "time": re.compile(f"{_DURATION}|{_DATE}", re.IGNORECASE),
    "count": re.compile(
        rf"\b{_NUMBER_WORD}\s+(?:[\w-]+\s+){{0,3}}?(?:visits?|sessions?|times?|units?|"
        r"services?|treatments?|days?|months?|weeks?|years?|minutes?)\b|\bper\s+(?:year|month|"
        r"week|day|calendar)\b|\bonce\b|\btwice\b|\bevery\s+\w+",
        re.IGNORECASE,
    ),
    "amount": re.compile(
        r"\d+(?:\.\d+)?\s*(?:percent\b|%)|\$\s?\d|\b(?:one|two|three)[- ](?:half|third|"
        r"quarter)|\bfull fee schedule (?:amount|rate)\b",
        re.IGNORECASE,
    ),
    "definition": re.compile(
        r"\b(?:means?|is defined as|are defined as|refers? to|(?:is|are) used to|"
        r"identif(?:y|ies)|indicates?)\b|\b(?:is|are) (?:an? |the )?[\w-]+ (?:which|that|who)\b",
        re.IGNORECASE,
    ),
    "yes_no": re.compile(_RULE, re.IGNORECASE),
    "condition": re.compile(
        r"\b(?:only if|if the|if a|when the|unless|provided that|under the following|"
        r"(?:is|are) required|requires?|must (?:be|have|meet)|(?:is|are) (?:only )?covered "
        r"(?:only )?(?:when|if|for)|limited to|as long as)\b",
        re.IGNORECASE,
    ),
    "procedure": re.compile(
        r"\b(?:should|must|shall|is to|are to|may)\s+(?:\w+\s+)?(?:bill|report|use|submit|"
        r"append|annotate|document|file|issue|give|notify|include|enter|code|consider)\b",
        re.IGNORECASE,
    ),
    "who": re.compile(
        r"\b(?:physician|practitioner|supplier|provider|beneficiary|contractor|nurse|"
        r"assistant|surgeon|hospital|facility)s?\b",
        re.IGNORECASE,
    ),
}
"""What a window holds when it gives the kind of answer asked (see `question.Asked`)."""
REQUIRED: frozenset[Asked] = frozenset({"contact", "office_holder"})
"""Kinds whose answer is the value itself: evidence without a value of the kind does not
answer, however many of the question's words it holds."""
LIST_SHAPE = re.compile(r"[•▪◦](?s:.*)[•▪◦]|\(1\)(?s:.*)\(2\)")
"""A quote holding two items of a list."""
BULLETS = "•▪◦"
BULLET = "•"
MAX_LIST = 1400
"""Longest quote a list is extended to."""
LIST_SPANS = 12
LEAD_IN_SPANS = 4
"""How many sentences may stand between a lead-in ("the following services") and its list."""
EXCLUSION = re.compile(r"\bnot\s+(?:be\s+)?includ|\bexclu", re.IGNORECASE)
LEAD_IN = re.compile(r"\bfollowing\b|\bbelow\b|:\s*$", re.IGNORECASE)
"""Words that introduce a list ("the services listed below", "the following:")."""
LEAD_IN_CHARS = 300
"""How far before a list's first item its lead-in is read when no item names one."""
MAX_RUN_ON = MAX_WINDOW + MAX_SPAN
"""Longest quote a sentence cut at a clause (or a list item ending "..., or") is run on to:
a window of two sentences and one more clause run."""
RUNS_ON = re.compile(r"(?:[,;:]|\b(?:and|or))\s*$")
"""A quote ending here stops inside its sentence: the words that complete or qualify it
("..., but only with respect to ...", "b. ...") follow."""


@dataclass(frozen=True, slots=True)
class RecordSentences:
    """A record's sentence spans, the content terms and the MiniLM vector of each (None when
    the build has none), computed once per record."""

    record: Record
    spans: tuple[Span, ...]
    terms: tuple[frozenset[str], ...]
    title_terms: frozenset[str]
    vectors: tuple[Vector | None, ...]
    windows: tuple[Window, ...] = ()
    all_terms: frozenset[str] = frozenset()
    """Every term of the record (its title's included)."""


class SentenceCache:
    """Sentence splits per record (keyed by its text too: two builds may hold one reference
    and release with different text); the same records come back for related questions."""

    def __init__(
        self, vocabulary: Vocabulary, vectors: SentenceVectors | None = None, limit: int = 4096
    ) -> None:
        self._vocabulary = vocabulary
        self._vectors = vectors
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
        held = self._vocabulary.with_equivalents
        texts = [record.text[s.start : s.end] for s in spans]
        lookup = self._vectors
        made = RecordSentences(
            record,
            spans,
            tuple(held(terms(text)) for text in texts),
            held(terms(record.title)),
            tuple(lookup.of(text) if lookup else None for text in texts),
        )
        made = replace(
            made,
            windows=tuple(_record_windows(made)),
            all_terms=made.title_terms.union(*made.terms),
        )
        with self._lock:
            if len(self._items) >= self._limit:
                self._items.pop(next(iter(self._items)))
            self._items[key] = made
        return made


class TermWeights:
    """Inverse document frequency of terms in the searcher's BM25 body index: a term the
    knowledge base never uses weighs most, a term in every chunk almost nothing."""

    def __init__(self, searcher: Searcher) -> None:
        index = searcher.body
        self._vocabulary = index.vocabulary
        self._indptr = index.weights.indptr
        self._documents = index.documents
        self._related: dict[str, tuple[str, ...]] = {}
        """`related_words` by term: a question's terms come back in later questions."""

    def frequency(self, term: str) -> int:
        row = self._vocabulary.get(term)
        return 0 if row is None else int(self._indptr[row + 1] - self._indptr[row])

    def weight(self, term: str) -> float:
        frequency = self.frequency(term)
        return math.log(1.0 + (self._documents - frequency + 0.5) / (frequency + 0.5))

    def related_words(self, term: str) -> tuple[str, ...]:
        """Index words one derivational ending away from `term` (`pay`/`payment`,
        `coverag`/`cover`, `prohibit`/`prohibition`): the stemmer keeps them apart."""
        found = self._related.get(term)
        if found is None:
            found = self._related_words(term)
            if len(self._related) >= RELATED_CACHE:
                self._related.clear()
            self._related[term] = found
        return found

    def _related_words(self, term: str) -> tuple[str, ...]:
        if not term.isalpha():
            return ()
        longer = [term + ending for ending in DERIVATIONS]
        shorter = [
            term[: -len(ending)]
            for ending in DERIVATIONS
            if term.endswith(ending) and len(term) - len(ending) >= MIN_ROOT
        ]
        return tuple(word for word in (*longer, *shorter) if word in self._vocabulary)


@dataclass(frozen=True, slots=True)
class Profile:
    """What a window must hold to answer: weighted content terms, each with the forms that
    count as that term, and the kinds of value asked for."""

    weights: dict[str, float]
    forms: dict[str, frozenset[str]]
    kinds: tuple[Asked, ...]
    question_numbers: frozenset[str]
    excluding: bool = False
    """The question asks what is excluded, not included."""
    listing: bool = False
    """The question asks what something includes: the answer is a list."""
    _weighted: tuple[tuple[frozenset[str], float], ...] = field(init=False, repr=False)
    _every_form: frozenset[str] = field(init=False, repr=False)
    _total: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # `coverage` runs on every window of every retrieved record (about a thousand a
        # question): work out once what it reads
        weighted = tuple((self.forms[t], w) for t, w in self.weights.items())
        object.__setattr__(self, "_weighted", weighted)
        object.__setattr__(self, "_every_form", frozenset().union(*self.forms.values()))
        object.__setattr__(self, "_total", sum(self.weights.values()) or 1.0)

    @property
    def total(self) -> float:
        return self._total

    def coverage(self, held: frozenset[str]) -> float:
        """Weighted share of the question's terms that `held` contains in some form."""
        if self._every_form.isdisjoint(held):
            return 0.0
        return sum(w for forms, w in self._weighted if not forms.isdisjoint(held)) / self._total

    def missing(self, held: frozenset[str]) -> list[str]:
        """The question's terms `held` lacks, heaviest first."""
        absent = [t for t in self.weights if self.forms[t].isdisjoint(held)]
        return sorted(absent, key=lambda t: -self.weights[t])

    def gives_value(self, window: Window) -> bool:
        """The window holds a kind of value asked for, beyond numbers the question gave."""
        for kind in self.kinds:
            for found in window.values(kind):
                if not found or not found <= self.question_numbers:
                    return True
        return self.listing and BULLET in window.quote

    def list_agrees(self, text: str, start: int) -> bool:
        """A list answers a list question only when its lead-in includes or excludes as
        the question does ("services not included" do not answer "what is included")."""
        if not self.listing:
            return True
        return (EXCLUSION.search(list_lead_in(text, start)) is not None) == self.excluding


def _term_forms(term: str, asked: Sequence[str], weights: TermWeights) -> frozenset[str]:
    if f"mod{term}" in asked:
        return frozenset({f"mod{term}"})
    return frozenset({term, *weights.related_words(term)})


def profile(
    question: Question,
    weights: TermWeights,
    *,
    focus: str | None = None,
    kinds: Sequence[Asked] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> Profile:
    """The question's terms, weighted by rarity; terms outside `focus` (by default the
    question's asking sentences) weigh CONTEXT_SHARE as much. Words that cite a place
    ("under section 1833(b)") are not asked of the evidence."""
    asked = question_terms(question.text)
    focused = set(question_terms(question.focus if focus is None else focus))
    skip = ignore | citation_terms(question.text)
    wanted = [t for t in asked if not MODIFIER_TERM.fullmatch(t) and t not in skip]
    return Profile(
        {
            t: weights.weight(t) * (1.0 if t in focused or not focused else CONTEXT_SHARE)
            for t in wanted
        },
        {t: _term_forms(t, asked, weights) for t in wanted},
        tuple(kinds if kinds is not None else [part.asked for part in question.parts]),
        frozenset(numbers(question.focus)),
        excluding=EXCLUSION.search(question.focus) is not None,
        listing=any(part.asked == "list" for part in question.parts),
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
    """One sentence, or two neighbouring ones, of a retrieved record: its terms, its
    context's terms (the sentences around it and the heading: "it" means the heading)."""

    record: Record
    start: int
    end: int
    terms: frozenset[str]
    context: frozenset[str]
    heading: frozenset[str]
    vectors: tuple[Vector | None, ...] = ()
    """The vectors of its sentences (one or two)."""
    following: tuple[Span, ...] = ()
    """The record's sentences after the window (a list it starts runs on in them)."""
    shapes: dict[Asked, tuple[frozenset[str], ...]] | None = field(
        default=None, compare=False, repr=False
    )
    """`values` by kind, worked out once (windows are cached with their record); made on
    first use: most windows are never asked."""

    @property
    def quote(self) -> str:
        return self.record.text[self.start : self.end]

    def values(self, kind: Asked) -> tuple[frozenset[str], ...]:
        """The numbers of each value of `kind` the window holds (`SHAPES`; empty sets for
        values without digits, none for a kind without a shape)."""
        shapes = self.shapes
        if shapes is None:
            shapes = {}
            object.__setattr__(self, "shapes", shapes)
        found = shapes.get(kind)
        if found is None:
            shape = SHAPES.get(kind)
            quote = self.quote
            found = (
                ()
                if shape is None
                else tuple(frozenset(numbers(match.group(0))) for match in shape.finditer(quote))
            )
            shapes[kind] = found
        return found

    def with_list(self) -> int:
        """The end of the window extended over the rest of the bulleted list it is part of
        (up to MAX_LIST characters): a list question is answered by the whole list."""
        text, end = self.record.text, self.end
        following = list(self.following)
        if BULLET not in text[self.start : end]:
            if not LEAD_IN.search(text[self.start : end]):
                return end  # neither a list nor the words that introduce one
            first = next(
                (
                    i
                    for i, span in enumerate(following[:LEAD_IN_SPANS])
                    if BULLET in text[end : span.end]
                ),
                None,
            )
            if first is None:
                return end
            end = following[first].end
            following = following[first + 1 :]
        for span in following:
            gap = text[end : span.start]
            piece = text[span.start : span.end]
            if span.end - self.start > MAX_LIST or not (BULLET in gap or BULLET in piece):
                break
            end = span.end
            if not piece.rstrip().endswith((";", ",", "and", "or", ":")) and BULLET not in piece:
                break
        return end

    def run_on(self) -> int:
        """The end of the window extended over the clauses that finish its sentence when
        the splitter cut a long sentence inside it, or over the next item of a list whose
        item ends "..., or" (up to MAX_RUN_ON characters): a quote that stops at a comma
        leaves out what qualifies it."""
        text, end = self.record.text, self.end
        for span in self.following:
            if not RUNS_ON.search(text, max(self.start, end - 8), end):
                break
            if span.end - self.start > MAX_RUN_ON or text[end : span.start].strip():
                break
            end = span.end
        return end

    def meaning(self, question: Vector) -> float | None:
        """Cosine similarity of the question and the window's sentences taken together."""
        if not self.vectors or any(v is None for v in self.vectors):
            return None
        joined = np.sum([v for v in self.vectors if v is not None], axis=0)
        norm = float(np.linalg.norm(joined))
        return float(joined @ question) / norm if norm else None


def _record_windows(sentences: RecordSentences) -> Iterator[Window]:
    """Each sentence, and each pair of neighbouring sentences that is short enough and holds
    no instruction-like text between them."""
    spans, span_terms = sentences.spans, sentences.terms
    record, text = sentences.record, sentences.record.text
    named = SOURCE_NAMES.get(record.source, frozenset())
    heading = sentences.title_terms | named
    count = len(spans)

    def around(first: int, last: int) -> frozenset[str]:
        lo, hi = max(0, first - CONTEXT_SENTENCES), min(count, last + CONTEXT_SENTENCES + 1)
        return heading.union(*span_terms[lo:hi])

    for index, span in enumerate(spans):
        if not text[span.start : span.end].endswith(":"):  # a lead-in is read with its list
            yield Window(
                record,
                span.start,
                span.end,
                span_terms[index] | named,
                around(index, index),
                heading,
                sentences.vectors[index : index + 1],
                spans[index + 1 : index + 1 + LIST_SPANS],
            )
        if index + 1 < count:
            following = spans[index + 1]
            if following.end - span.start <= MAX_WINDOW and not is_instruction(
                text[span.end : following.start]
            ):
                yield Window(
                    record,
                    span.start,
                    following.end,
                    span_terms[index] | span_terms[index + 1] | named,
                    around(index, index + 1),
                    heading,
                    sentences.vectors[index : index + 2],
                    spans[index + 2 : index + 2 + LIST_SPANS],
                )


@dataclass(frozen=True, slots=True)
class Pool:
    """The prose records of one search, with the retrieval rank of each."""

    records: tuple[tuple[int, float | None, RecordSentences], ...]
    """(retrieval rank, MiniLM similarity of the question to the record, its sentences)."""

    def windows(self) -> Iterator[tuple[int, float | None, Window]]:
        for rank, similarity, sentences in self.records:
            for window in sentences.windows:
                yield rank, similarity, window

    def held(self, top: int) -> frozenset[str]:
        """Every term of the records ranked above `top`."""
        return frozenset().union(*(s.all_terms for rank, _, s in self.records if rank < top))


def windows(kb: KnowledgeBase, hits: Sequence[Hit], cache: SentenceCache) -> Pool:
    """The hits' prose records, once each. Code records and edit rows are answered from as
    records (codes.py), never quoted as prose evidence."""
    found: list[tuple[int, float | None, RecordSentences]] = []
    seen: set[tuple[str, str, str]] = set()
    for rank, hit in enumerate(hits):
        if is_code_record(hit.ref):
            continue
        record = hit_record(kb, hit)
        if record is None or (record.source, record.ref, record.release) in seen:
            continue
        seen.add((record.source, record.ref, record.release))
        found.append((rank, hit.similarity, cache.get(record)))
    return Pool(tuple(found))


def score(pool: Pool, wanted: Profile, question: Vector | None = None) -> list[Evidence]:
    """The windows scored against `wanted`, best first, one entry per distinct quote: the
    SCORED_CANDIDATES that hold most of the question's words in themselves fully, and of
    those, with the question's vector, the best SEMANTIC_CANDIDATES also by meaning."""
    first = [
        (own + RANK_WEIGHT / (1 + rank), rank, similarity, window)
        for rank, similarity, window in pool.windows()
        if (own := wanted.coverage(window.terms)) > 0.0
    ]
    first.sort(key=lambda item: -item[0])
    found: dict[str, tuple[float, int, Window, float, float, bool]] = {}
    for _, rank, similarity, window in first[:SCORED_CANDIDATES]:
        own = wanted.coverage(window.terms)
        coverage = wanted.coverage(window.context)
        quote = window.quote
        if wanted.listing:
            typed = window.with_list() > window.end or BULLET in quote
            typed = typed and wanted.list_agrees(window.record.text, window.start)
        else:
            typed = wanted.gives_value(window)
        value = (
            OWN_WEIGHT * own
            + (1 - OWN_WEIGHT) * coverage
            + HEADING_WEIGHT * wanted.coverage(window.heading)
            + RANK_WEIGHT / (1 + rank)
            + RECORD_MEANING_WEIGHT * (similarity or 0.0)
            + (ANSWER_TYPE_BONUS if typed else 0.0)
            - LENGTH_PENALTY * len(quote) / MAX_WINDOW
        )
        if quote not in found or found[quote][0] < value:
            found[quote] = (value, rank, window, own, coverage, typed)
    ranked = sorted(found.values(), key=lambda item: -item[0])
    meanings: list[float | None] = [None] * len(ranked)
    if question is not None:
        for index, item in enumerate(ranked[:SEMANTIC_CANDIDATES]):
            meanings[index] = item[2].meaning(question)
    known = [m for m in meanings if m is not None]
    usual = float(np.median(known)) if known else 0.0
    evidence = []
    for index, ((value, rank, window, own, coverage, typed), meaning) in enumerate(
        zip(ranked, meanings, strict=True)
    ):
        record = window.record
        if known and index < SEMANTIC_CANDIDATES:
            value += MEANING_WEIGHT * (meaning if meaning is not None else usual)
        end = window.with_list() if wanted.listing else window.run_on()
        evidence.append(
            Evidence(
                record.ref,
                record.source,
                record.release,
                record.title,
                record.text[window.start : end],
                window.start,
                value,
                coverage,
                rank,
                own=own,
                typed=typed,
                meaning=meaning,
            )
        )
    return sorted(evidence, key=lambda e: -e.score)

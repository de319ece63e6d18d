"""Answers about codes come from the structured record, never from prose: a code's own
description line (CPT descriptors are never stored, so never shown), its dates, and the
edit rows a question asks about (MUE units and MAI, the PTP modifier indicator, PFS global
days, add-on pairs). Every code an answer shows must exist in the loaded tables."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

from medref.answer.evidence import TermWeights, hit_record, is_code_record, profile
from medref.answer.text import code_tokens, question_terms, terms
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.question import Question, asks
from medref.retrieval.route import LOOKUP_FILLER
from medref.retrieval.search import Hit
from medref.retrieval.vocabulary import Vocabulary
from medref.sources.icd10cm_codes import INCLUSION_LINES

PLURAL_CODES = re.compile(r"\b(?:codes|modifiers)\b", re.IGNORECASE)
ALWAYS_SHOWN = re.compile(
    r"^(?:MUE adjudication indicator|Modifier indicator|(?:CMS )?[Rr]ationale:|Status:|Added:|"
    r"Terminated:|Edit type)",
    re.IGNORECASE,
)
"""Facts a code answer always carries when its record has them."""
NEVER_SHOWN = re.compile(r"^(?:Short description|Action):", re.IGNORECASE)
"""Lines that repeat the description or only record file maintenance."""
MAX_RECORDS = 3
EXTRA_UNITS = 2
CANDIDATES = 10
"""Code hits considered for one answer (the search's first few)."""
FOCUS_WEIGHT = 1.0
RANK_WEIGHT = 0.1
BILLABLE_BONUS = 0.1
"""A code valid on claims (an ICD-10-CM leaf) before a category that is not."""
SIMILARITY_WEIGHT = 1.0
"""Weight of the question's semantic similarity to a code's description (MiniLM): lay words
("nothing to do with the hospice diagnosis") meet official ones ("not related to the
hospice patient's terminal condition") by meaning, not by shared words."""
SYSTEM_OF_HINT = {"modifier": "MOD", "pos": "POS", "icd10cm": "ICD10CM", "hcpcs": "HCPCS"}
"""The code system a question names ("dx code", "HCPCS", "which modifier", "POS"), narrowest
first: a "HCPCS modifier" is a modifier."""
KEEP_SHARE = 0.5
"""A further code record must match at least this share of the best one's match."""
HEAD_WEIGHT = 2.0
"""Weight of how well a code's head (`descriptor_head`) and the question's subject
(`question_subject`) name the same thing: a "cane" is E0100 ("Cane, includes canes of all
materials ..."), not A4636 ("Replacement, handgrip, cane, crutch, or walker")."""
HEAD_END = re.compile(
    r"[,;:]|\b(?:for|with|without|used|that|per|each|includes?|including|other than)\b",
    re.IGNORECASE,
)
"""Where the head of a HCPCS descriptor ends: Level II descriptors name the item first and
qualify it after a comma or a preposition ("Hospital bed, fixed height, ...", "Blood glucose
test or reagent strips for home blood glucose monitor, per 50 strips")."""
SUBJECT_END = re.compile(
    r"[,;:?()]|\b(?:for|with|without|that|which|who|when|where|used|to|in|on|at|by|from|and|or"
    r"|if|because|after|before|since|but)\b",
    re.IGNORECASE,
)
"""Where the thing a code question is about ends ("code for a hospital bed for home use")."""
_LINE = re.compile(r"[^\n]+")
_SENTENCE = re.compile(r"[^.]+(?:\.(?!\d)|$)")


@dataclass(frozen=True, slots=True)
class Unit:
    """A line (or, in one-line texts, a sentence) of a code record, as an exact span."""

    start: int
    end: int


def units(text: str) -> list[Unit]:
    """Line by line for multi-line texts (HCPCS, ICD-10-CM), else sentence by sentence."""
    pattern = _LINE if "\n" in text.strip() else _SENTENCE
    found = []
    for match in pattern.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            found.append(Unit(start, end))
    return found


def wants_code_answer(question: Question, hits: Sequence[Hit]) -> bool:
    """The question names a code the search routed to and asks about it, or asks which
    code fits a description."""
    if not hits:
        return False
    if any(part.asked == "code" for part in question.parts):
        return any(is_code_record(hit.ref) for hit in hits[:CANDIDATES])
    if question.asked == "definition" and any(
        hit.via == "route" and names(question, hit.ref) for hit in hits[:CANDIDATES]
    ):
        return True  # "what do modifiers JG and TB mean on a drug line?"
    if not is_code_record(hits[0].ref):
        return False
    keywords = question.asked == "open" and not asks(question.text)
    return (
        question.parse.lookup
        or (_strong(hits[0]) and _intent_matches(question, hits[0]))
        or keywords  # "high blood pressure": words that name what a code describes
    )


def names(question: Question, ref: str) -> bool:
    """The question names the code, modifier or one code of the edit pair `ref` is about."""
    named = {code.upper() for code in (*question.parse.codes, *question.parse.modifiers)}
    ident = ref.partition(":")[2].upper()
    return ident in named or any(part in named for part in ident.split("/"))


def _intent_matches(question: Question, hit: Hit) -> bool:
    """A routed edit row answers the question that asks for that edit ("J9035 MUE")."""
    kind = hit.ref.partition(":")[0].lower()
    return kind in question.parse.intents or (
        kind in ("hcpcs", "icd10cm", "mod", "pos", "cpt") and question.asked in ("open", "code")
    )


def _strong(hit: Hit) -> bool:
    """A hit the searcher routed to because the question named it."""
    return hit.via == "route" and hit.score >= 1.0


def ancestor_inclusions(kb: KnowledgeBase, record: Record) -> list[str]:
    """The inclusion-term lines of an ICD-10-CM code's ancestors: by the classification's
    convention they apply to every code below them, and the search index matches a code on
    them too ("shingles" is an inclusion term of B02, so it names B02.9). The build computes
    the same for every code at once (`retrieval.index.inherited_inclusions`); an answer
    needs it for its few candidates, read from the knowledge base."""
    if record.source != "icd10cm":
        return []
    lines: list[str] = []
    parent, seen = record.parent, {record.ref}
    while parent is not None and parent not in seen:
        seen.add(parent)
        ancestor = kb.get(parent, release=record.release)
        if ancestor is None:
            break
        lines += [line for line in ancestor.text.split("\n") if line.startswith(INCLUSION_LINES)]
        parent = ancestor.parent
    return lines


def _record_terms(kb: KnowledgeBase, record: Record, vocabulary: Vocabulary) -> frozenset[str]:
    """A code's words as the index sees them: its title, text and inherited inclusion terms."""
    inherited = "\n".join(ancestor_inclusions(kb, record))
    return vocabulary.with_equivalents(terms(f"{record.title}\n{record.text}\n{inherited}"))


def _system(question: Question, hits: Sequence[Hit]) -> str:
    """The code system to answer from: the one the question names, else the top code hit's."""
    for hint, system in SYSTEM_OF_HINT.items():
        if hint in question.parse.source_hints:
            return system
    top = next((hit for hit in hits[:CANDIDATES] if is_code_record(hit.ref)), hits[0])
    return top.ref.partition(":")[0]


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A code record chosen to answer from, and how well it matches what is asked."""

    record: Record
    named: bool
    """The question named it: no judging needed."""
    match: float
    """Weighted share of the question's subject words its text holds."""
    focus: float
    """Share of its description's words the question uses."""
    similarity: float
    """MiniLM similarity of the question and its description (0 when not embedded)."""
    rank: int
    unheld: float
    """Weighted share of the question's subject words no candidate code holds."""


def code_records(
    kb: KnowledgeBase,
    question: Question,
    hits: Sequence[Hit],
    weights: TermWeights,
    vocabulary: Vocabulary,
) -> list[CodeMatch]:
    """The records to answer from, best first. A code the question named (a strong route)
    comes first; otherwise the code hits of the asked system among the first few are
    ordered by how much of the question's subject ("CPAP device") their text holds plus how
    much of their description the question asks about, whether a HCPCS code's head names
    what the question names (`_head_match`), then by search rank; a code valid on claims (an
    ICD-10-CM leaf) before a category that is not. One record, or up to
    MAX_RECORDS for a question after several codes ("which codes")."""
    system = _system(question, hits)
    several = PLURAL_CODES.search(question.focus) is not None or system == "PTP"
    ignore = LOOKUP_FILLER | {code.lower() for code in code_tokens(question.text)}
    subject = profile(question, weights, ignore=frozenset(ignore))
    asked = vocabulary.with_equivalents(list(subject.weights))
    subject_terms = vocabulary.with_equivalents(question_subject(question.focus))
    scored: list[tuple[float, CodeMatch]] = []
    seen: set[str] = set()
    held: set[str] = set()
    for rank, hit in enumerate(hits[:CANDIDATES]):
        if hit.ref.partition(":")[0] != system or hit.ref in seen:
            continue
        record = hit_record(kb, hit)
        if record is None:
            continue
        seen.add(hit.ref)
        similarity = hit.similarity or 0.0
        if (_strong(hit) and rank == 0) or (hit.via == "route" and names(question, hit.ref)):
            found = CodeMatch(record, True, 1.0, 1.0, similarity, rank, 0.0)
            scored.append((10.0 - rank / 100, found))
            continue
        record_terms = _record_terms(kb, record, vocabulary)
        held |= record_terms
        match = subject.coverage(record_terms) if subject.weights else 1.0
        focus = _focus(record, asked)
        billable = record.data.get("billable") is not False
        value = (
            match
            + FOCUS_WEIGHT * focus
            + HEAD_WEIGHT * _head_match(record, subject_terms, asked)
            + SIMILARITY_WEIGHT * similarity
            + RANK_WEIGHT / (1 + rank)
            + BILLABLE_BONUS * billable
        )
        scored.append((value, CodeMatch(record, False, match, focus, similarity, rank, 0.0)))
    scored.sort(key=lambda item: -item[0])
    best = scored[0][0] if scored else 0.0
    if best <= 0.2:
        return []
    unheld = 0.0
    if subject.weights:
        unheld = sum(subject.weights[t] for t in subject.missing(frozenset(held))) / subject.total
    chosen = [
        replace(found, unheld=unheld) for value, found in scored if value >= KEEP_SHARE * best
    ]
    named = sum(1 for value, _ in scored if value >= 9.0)
    return chosen[: MAX_RECORDS if several or named > 1 else 1]


def _focus(record: Record, asked: frozenset[str]) -> float:
    """Share of the words of a code's description line that the question asks about: a
    "CPAP device" is E0601 (all its words), not the mask used with one."""
    line = description_line(record)
    described = {t for t in terms(line) if t not in LOOKUP_FILLER and not code_tokens(t.upper())}
    return len(described & asked) / len(described) if described else 0.0


def description_line(record: Record) -> str:
    """A code record's first line ("HCPCS E0100: Cane, includes ..."), or its title."""
    found = units(record.text)
    return record.text[found[0].start : found[0].end] if found else record.title


def question_subject(focus: str) -> list[str]:
    """The terms of the thing a code question names: its first stretch, between
    prepositions and punctuation, with a content word ("what's the code for | blood sugar
    test strips | for a home glucose monitor"). A scenario's asking sentence may name no
    item ("Which diagnosis code goes on the claim?" gives "go"); then no head shares its
    terms and the ranking is as without it."""
    for piece in SUBJECT_END.split(focus):
        found = [
            term
            for term in question_terms(piece)
            if term not in LOOKUP_FILLER and not code_tokens(term.upper())
        ]
        if found:
            return found
    return []


def descriptor_head(record: Record) -> list[str]:
    """The terms of what a code's description names before qualifying it: "Cane" of
    "Cane, includes canes of all materials, adjustable or fixed, with tip"."""
    line = description_line(record)
    described = line.partition(": ")[2] or line
    for piece in HEAD_END.split(described):
        head = [t for t in terms(piece) if t not in LOOKUP_FILLER]
        if head:
            return head
    return []


def _head_match(record: Record, subject: frozenset[str], asked: frozenset[str]) -> float:
    """How well the question's subject and a HCPCS code's head name the same thing: the
    share of the subject's terms in the head, and of the head's terms the question uses.
    Level II descriptors name the item first; ICD-10-CM titles name a condition whose lay
    words are rarely the question's, so only HCPCS codes are judged by their head."""
    if record.source != "hcpcs":
        return 0.0
    head = set(descriptor_head(record))
    if subject.isdisjoint(head):
        return 0.0
    return (len(subject & head) / len(subject) + len(head & asked) / len(head)) / 2


def related_records(kb: KnowledgeBase, record: Record) -> list[Record]:
    """Records a code answer needs beside the edit itself: an add-on code's description."""
    if record.ref.startswith("AOC:"):
        add_on = record.data.get("add_on")
        found = kb.get(f"HCPCS:{add_on}") if isinstance(add_on, str) else None
        return [found] if found is not None else []
    return []


def chosen_units(
    record: Record, question: Question, weights: TermWeights, extra: int = EXTRA_UNITS
) -> list[Unit]:
    """The identity line, the always-shown facts, and up to `extra` lines the question asks
    about (by its words other than code-lookup filler)."""
    found = units(record.text)
    if not found:
        return []
    subject = profile(question, weights, ignore=LOOKUP_FILLER)
    always: list[Unit] = []
    asked: list[tuple[float, Unit]] = []
    for unit in found[1:]:
        piece = record.text[unit.start : unit.end]
        if NEVER_SHOWN.match(piece):
            continue
        if ALWAYS_SHOWN.match(piece):
            always.append(unit)
            continue
        match = subject.coverage(frozenset(terms(piece)))
        if match > 0:
            asked.append((match, unit))
    asked.sort(key=lambda item: -item[0])
    return [found[0], *sorted(always + [unit for _, unit in asked[:extra]], key=lambda u: u.start)]


class CodeTable:
    """Is a code in the loaded tables? Answers are cached per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        # a weak reference: the cache is keyed weakly by `kb`, so a strong one would keep
        # every knowledge base a server ever opened alive (and its build undeletable)
        self._kb = weakref.proxy(kb)
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def known(self, code: str) -> bool:
        with self._lock:
            cached = self._known.get(code)
        if cached is not None:
            return cached
        found = bool(self._kb.by_code(code)) or self._in_ptp(code)
        with self._lock:
            self._known[code] = found
        return found

    def _in_ptp(self, code: str) -> bool:
        """Codes that appear only in the PTP table (no record of their own) are still loaded."""
        row = (
            self._kb.conn.execute("SELECT 1 FROM ptp WHERE column1 = ? LIMIT 1", (code,)).fetchone()
            or self._kb.conn.execute(
                "SELECT 1 FROM ptp WHERE column2 = ? LIMIT 1", (code,)
            ).fetchone()
        )
        return row is not None

    def unknown(self, text: str) -> list[str]:
        """Code-shaped tokens of `text` that no loaded table holds."""
        return [code for code in dict.fromkeys(code_tokens(text)) if not self.known(code)]

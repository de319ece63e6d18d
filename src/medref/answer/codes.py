"""Answers about codes come from the structured record, never from prose: a code's own
description line (CPT descriptors are never stored, so never shown), its dates, and the
edit rows a question asks about (MUE units and MAI, the PTP modifier indicator, PFS global
days, add-on pairs). Every code an answer shows must exist in the loaded tables."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from medref.answer.evidence import TermWeights, hit_record, is_code_record, profile
from medref.answer.text import code_tokens, terms
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.enrich import synonym_terms
from medref.retrieval.route import LOOKUP_FILLER, QueryParse
from medref.retrieval.search import Hit

ASKS_FOR_CODE = re.compile(r"\b(?:codes?|modifiers?|place of service)\b", re.IGNORECASE)
PLURAL_CODES = re.compile(r"\b(?:codes|modifiers)\b", re.IGNORECASE)
ALWAYS_SHOWN = re.compile(
    r"^(?:MUE adjudication indicator|Modifier indicator|Status:|Added:|Terminated:|"
    r"Edit type)",
    re.IGNORECASE,
)
"""Facts a code answer always carries when its record has them."""
NEVER_SHOWN = re.compile(r"^(?:Short description|Action):", re.IGNORECASE)
"""Lines that repeat the description or only record file maintenance."""
MAX_RECORDS = 3
EXTRA_UNITS = 2
CANDIDATES = 5
"""Code hits considered for one answer (the search's first few)."""
KEEP_SHARE = 0.5
"""A further code record must match at least this share of the best one's match."""
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


def wants_code_answer(question: str, parsed: QueryParse, hits: Sequence[Hit]) -> bool:
    """The question names a code the search routed to, or asks which code fits a text."""
    if not hits or not is_code_record(hits[0].ref):
        return False
    return _strong(hits[0]) or bool(ASKS_FOR_CODE.search(question)) or parsed.lookup


def _strong(hit: Hit) -> bool:
    """A hit the searcher routed to because the question named it."""
    return hit.via == "route" and hit.score >= 1.0


def _record_terms(record: Record) -> frozenset[str]:
    found = terms(f"{record.title}\n{record.text}")
    return frozenset([*found, *synonym_terms(found)])


def code_records(
    kb: KnowledgeBase, question: str, hits: Sequence[Hit], weights: TermWeights
) -> list[Record]:
    """The records to answer from, best first. A code the question named (a strong route)
    comes first; otherwise the code hits of the top hit's kind among the first few are
    ordered by how much of the question's subject ("CPAP device") their text holds plus how
    much of their description the question asks about. One
    record, or up to MAX_RECORDS for a question after several codes ("which codes")."""
    top = hits[0]
    prefix = top.ref.partition(":")[0]
    several = PLURAL_CODES.search(question) is not None or prefix == "PTP"
    ignore = LOOKUP_FILLER | {code.lower() for code in code_tokens(question)}
    subject = profile(question, weights, ignore=frozenset(ignore))
    asked = frozenset([*subject.weights, *synonym_terms(list(subject.weights))])
    scored: list[tuple[float, float, Record]] = []
    seen: set[str] = set()
    for hit in hits[:CANDIDATES]:
        if hit.ref.partition(":")[0] != prefix or hit.ref in seen:
            continue
        record = hit_record(kb, hit)
        if record is None:
            continue
        seen.add(hit.ref)
        named = _strong(hit) and hit is top
        match = subject.coverage(_record_terms(record)) if subject.weights else 1.0
        scored.append((2.0 if named else match, _focus(record, asked), record))
    scored.sort(key=lambda item: -(item[0] + item[1]))
    best = scored[0][0] if scored else 0.0
    if best <= 0.0:
        return []
    chosen = [record for score, _, record in scored if score >= KEEP_SHARE * best]
    return chosen[: MAX_RECORDS if several else 1]


def _focus(record: Record, asked: frozenset[str]) -> float:
    """Share of the words of a code's description line that the question asks about: a
    "CPAP device" is E0601 (all its words), not the mask used with one."""
    found = units(record.text)
    line = record.text[found[0].start : found[0].end] if found else record.title
    described = {t for t in terms(line) if t not in LOOKUP_FILLER and not code_tokens(t.upper())}
    return len(described & asked) / len(described) if described else 0.0


def related_records(kb: KnowledgeBase, record: Record) -> list[Record]:
    """Records a code answer needs beside the edit itself: an add-on code's description."""
    if record.ref.startswith("AOC:"):
        add_on = record.data.get("add_on")
        found = kb.get(f"HCPCS:{add_on}") if isinstance(add_on, str) else None
        return [found] if found is not None else []
    return []


def chosen_units(
    record: Record, question: str, weights: TermWeights, extra: int = EXTRA_UNITS
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

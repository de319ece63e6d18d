"""The default answerer, no model: quote the best evidence sentences, each followed by its
citation marker, or, for a question about a code, answer from the code's structured record.
Refuses when the evidence does not answer (see refusal.py)."""

from __future__ import annotations

from collections.abc import Sequence

from medref.answer import refusal, topic
from medref.answer.codes import (
    CodeTable,
    Unit,
    chosen_units,
    code_records,
    related_records,
    wants_code_answer,
)
from medref.answer.evidence import TermWeights, gather
from medref.answer.text import code_tokens
from medref.answer.types import Answer, Citation, Dropped, Evidence, Sentence
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.route import parse
from medref.retrieval.search import Hit

MAX_SENTENCES = 3
MAX_PER_RECORD = 2
CPT_NOTICE = (
    "CPT descriptors are AMA copyright and are not shipped: the answer shows the "
    "code's CMS data only"
)
SECONDARY_PREFIX = "WIKI:"
OFFICIAL_MIN_COVERAGE = 0.35
"""Least coverage of official text preferred over a vault page that answers better."""
SAME_RECORD_RATIO = 0.85
OTHER_RECORD_RATIO = 0.95
"""A further sentence must score at least this share of the best one."""


class Citations:
    """Citation numbers handed out in order of first use; one number per (ref, quote)."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def number(self, citation: Citation) -> int:
        for index, existing in enumerate(self.items, start=1):
            if (existing.ref, existing.quote) == (citation.ref, citation.quote):
                return index
        self.items.append(citation)
        return len(self.items)


def answer(
    kb: KnowledgeBase,
    question: str,
    hits: Sequence[Hit],
    weights: TermWeights,
    codes: CodeTable,
) -> tuple[Answer, list[Evidence]]:
    """The extractive answer and the evidence it was chosen from (the LLM reuses it)."""
    kind = refusal.out_of_scope(question)
    if kind is not None:
        return refusal.refuse(question, hits, f"the question asks about {kind}"), []
    parsed = parse(question)
    named = [*dict.fromkeys([*code_tokens(question), *parsed.modifiers])]
    unknown = [c for c in named if not codes.known(c)]
    if unknown:
        return refusal.refuse(
            question, hits, f"{', '.join(unknown)} is not in the loaded tables"
        ), []
    if wants_code_answer(question, parsed, hits):
        records = code_records(kb, question, hits, weights)
        found = code_answer(question, [*named, *parsed.pos], records, kb, weights, codes)
        if found is not None:
            return found, []
    evidence = gather(kb, hits, question, weights)
    request = topic.document_request(question)
    if request is not None:
        evidence = about_topic(kb, request, evidence, weights)
        if not evidence:
            reason = f"no loaded {request.kind} is about {request.topic}"
            return refusal.refuse(question, hits, reason), []
    return prose_answer(question, named, hits, evidence, codes), evidence


def about_topic(
    kb: KnowledgeBase,
    request: topic.DocumentRequest,
    evidence: Sequence[Evidence],
    weights: TermWeights,
) -> list[Evidence]:
    """The evidence from records of the asked kind about the asked topic: a document of
    another kind, or on another topic, does not answer "the NCD for X"."""
    verdicts: dict[tuple[str, str, str], bool] = {}
    kept = []
    for item in evidence:
        key = (item.ref, item.source, item.release)
        if key not in verdicts:
            record = kb.get(item.ref, release=item.release)
            verdicts[key] = (
                item.source in request.sources
                and record is not None
                and request.is_about(record.title, record.text, weights.weight)
            )
        if verdicts[key]:
            kept.append(item)
    return kept


def code_answer(
    question: str,
    named: Sequence[str],
    records: Sequence[Record],
    kb: KnowledgeBase,
    weights: TermWeights,
    codes: CodeTable,
) -> Answer | None:
    """Lines of the code records, quoted exactly, one citation per run of lines; None when
    they do not hold the codes the question names (the prose answerer then tries)."""
    citations = Citations()
    sentences: list[Sentence] = []
    dropped: list[Dropped] = []
    related = [r for record in records for r in related_records(kb, record)]
    for record in [*records, *related]:
        chosen = chosen_units(record, question, weights, extra=0 if record in related else 2)
        runs: list[list[tuple[Unit, str]]] = [[]]
        for index, unit in enumerate(chosen):
            quote = record.text[unit.start : unit.end]
            bad = codes.unknown(quote)
            if bad:
                dropped.append(
                    Dropped(quote, f"mentions {', '.join(bad)}, not in the loaded tables")
                )
                runs.append([])
                continue
            shown = f"{quote} (release {record.release})" if index == 0 else quote
            runs[-1].append((unit, shown))
        for run in filter(None, runs):
            quote = record.text[run[0][0].start : run[-1][0].end]
            marker = citations.number(
                Citation(record.ref, quote, record.source, record.release, record.title)
            )
            sentences.extend(Sentence(shown, (marker,)) for _, shown in run)
    text = " ".join(s.text for s in sentences) + " " + " ".join(c.ref for c in citations.items)
    if not sentences or any(code.upper() not in text.upper() for code in named):
        return None
    licensed = any(record.code and record.code[:1].isdigit() for record in records)
    return Answer(
        question,
        sentences,
        citations.items,
        answerable=True,
        dropped=dropped,
        mode="code",
        notice=CPT_NOTICE if licensed else None,
    )


def choose(evidence: Sequence[Evidence], named: Sequence[str] = ()) -> list[Evidence]:
    """The best sentence and the few close to it: from its own record when nearly as good,
    from another record only when almost as good and as complete (every extra citation must
    earn its place). A further sentence naming codes the question does not (a worked
    example: "45378 - $255.40 ...") is about those codes, not the question."""
    if not evidence:
        return []
    best = evidence[0]
    chosen = [best]
    for item in evidence[1:]:
        if len(chosen) == MAX_SENTENCES:
            break
        same = item.ref == best.ref
        if item.score < (SAME_RECORD_RATIO if same else OTHER_RECORD_RATIO) * best.score:
            continue
        if not same and item.coverage < best.coverage:
            continue  # another source must cover the question at least as fully
        if item.coverage < refusal.MIN_COVERAGE or any(overlaps(item, o) for o in chosen):
            continue
        if not set(code_tokens(item.quote)) <= set(named):
            continue
        if sum(o.ref == item.ref for o in chosen) >= MAX_PER_RECORD:
            continue
        chosen.append(item)
    return chosen


def overlaps(one: Evidence, other: Evidence) -> bool:
    """Same text twice: overlapping spans of one record, or the same words anywhere."""
    if one.quote in other.quote or other.quote in one.quote:
        return True
    same_record = (one.ref, one.source, one.release) == (other.ref, other.source, other.release)
    return (
        same_record
        and one.offset < other.offset + len(other.quote)
        and (other.offset < one.offset + len(one.quote))
    )


def official_first(evidence: Sequence[Evidence]) -> Sequence[Evidence]:
    """Vault pages are our own summaries: when the best evidence is one, and official text
    also answers reasonably (it may lack the page's words, e.g. "Stark"), quote the
    official text; the vault page has shown the question is in scope."""
    if not evidence[0].ref.startswith(SECONDARY_PREFIX):
        return evidence
    official = [item for item in evidence if not item.ref.startswith(SECONDARY_PREFIX)]
    if (
        official
        and official[0].score >= refusal.MIN_SCORE
        and official[0].coverage >= OFFICIAL_MIN_COVERAGE
    ):
        return official
    return evidence


def prose_answer(
    question: str,
    named: Sequence[str],
    hits: Sequence[Hit],
    evidence: Sequence[Evidence],
    codes: CodeTable,
) -> Answer:
    best = evidence[0] if evidence else None
    if best is None or best.coverage < refusal.MIN_COVERAGE or best.score < refusal.MIN_SCORE:
        found = f"coverage {best.coverage:.2f}, score {best.score:.2f}" if best else "none"
        return refusal.refuse(
            question, hits, f"no retrieved sentence holds enough of the question (best: {found})"
        )
    chosen = choose(official_first(evidence), named)
    dropped = []
    kept = []
    for item in chosen:
        bad = codes.unknown(item.quote)
        if bad:
            dropped.append(
                Dropped(item.quote, f"mentions {', '.join(bad)}, not in the loaded tables")
            )
        else:
            kept.append(item)
    if not kept:
        return refusal.refuse(
            question, hits, "the best sentences name codes that are not in the loaded tables"
        )
    years = refusal.missing_years(question, kept)
    if years:
        return refusal.refuse(question, hits, f"no sentence mentions {', '.join(years)}")
    text = " ".join(item.quote for item in kept).upper()
    if any(code.upper() not in text for code in named):
        return refusal.refuse(
            question, hits, f"the best sentences do not mention {', '.join(named)}"
        )
    citations = Citations()
    sentences = [
        Sentence(
            item.quote,
            (
                citations.number(
                    Citation(item.ref, item.quote, item.source, item.release, item.title)
                ),
            ),
        )
        for item in kept
    ]
    return Answer(question, sentences, citations.items, answerable=True, dropped=dropped)

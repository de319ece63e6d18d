"""Answer metrics over a question set (`medref eval --answers`).

- answer_fact_coverage: share of a question's `answer_facts` found (case-insensitive) in
  the answer text, averaged over the answerable questions; a refusal covers nothing.
- citation_precision: share of all citations (pooled over the set) that are precise. A
  citation is precise when BOTH
    1. its quote is an exact substring of the text of the record it names (same reference,
       source and release), and
    2. its reference is a gold reference or a descendant of one (`refs.matches`), or it
       supports the answer. "Supports" is strict: the quoted text itself contains one of
       the question's answer facts (case-insensitive). A citation that is merely on topic
       does not count. Citations on an unanswerable question are never precise.
- refusal_accuracy: share of unanswerable questions answered with the fixed refusal;
  false_refusals: how many answerable questions were refused (and their share).
- answer_p50_ms / answer_p95_ms: warm latency of `ask` (search included), the first
  question run once beforehand and not counted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medref.answer.service import ask
from medref.answer.types import Answer, Citation
from medref.evaluation.metrics import percentile
from medref.evaluation.run import Question
from medref.kb import KnowledgeBase
from medref.refs import matches
from medref.retrieval.search import Searcher
from medref.settings import Settings


def quote_found(kb: KnowledgeBase, citation: Citation) -> bool:
    """The quote is an exact substring of the cited record's text."""
    return any(
        record.source == citation.source
        and record.release == citation.release
        and citation.quote in record.text
        for record in kb.records(citation.ref)
    )


def citation_precise(kb: KnowledgeBase, citation: Citation, question: Question) -> bool:
    if not question.answerable or not quote_found(kb, citation):
        return False
    if any(matches(citation.ref, gold) for gold in question.relevant):
        return True
    quote = citation.quote.lower()
    return any(fact.lower() in quote for fact in question.answer_facts)


def fact_coverage(answer: Answer, question: Question) -> float:
    if not question.answer_facts:
        return 1.0 if answer.answerable else 0.0
    text = answer.text.lower()
    return sum(fact.lower() in text for fact in question.answer_facts) / len(question.answer_facts)


@dataclass
class AnswerEvaluator:
    """Runs `ask` over a question set, without an LLM unless told otherwise."""

    settings: Settings
    use_llm: bool = False

    def evaluate(self, questions: Sequence[Question], searcher: Searcher) -> dict[str, Any]:
        kb = searcher.kb
        if questions:
            ask(kb, searcher, questions[0].question, self.settings, use_llm=self.use_llm)
        coverages: list[float] = []
        precise = cited = refused_right = false_refusals = 0
        latencies: list[float] = []
        details: list[dict[str, Any]] = []
        for question in questions:
            started = time.perf_counter()
            answer = ask(kb, searcher, question.question, self.settings, use_llm=self.use_llm)
            latencies.append((time.perf_counter() - started) * 1000)
            wrong = [c.ref for c in answer.citations if not citation_precise(kb, c, question)]
            cited += len(answer.citations)
            precise += len(answer.citations) - len(wrong)
            if question.answerable:
                coverage = fact_coverage(answer, question)
                coverages.append(coverage)
                false_refusals += not answer.answerable
            else:
                coverage = 1.0
                refused_right += not answer.answerable
            if wrong or coverage < 1.0 or answer.answerable != question.answerable:
                details.append(
                    {
                        "id": question.id,
                        "answerable": answer.answerable,
                        "fact_coverage": round(coverage, 3),
                        "imprecise_citations": wrong,
                        "answer": answer.text[:300],
                    }
                )
        unanswerable = sum(1 for q in questions if not q.answerable)
        answerable = len(questions) - unanswerable
        return {
            "answer_fact_coverage": _mean(coverages),
            "citation_precision": round(precise / cited, 4) if cited else 1.0,
            "citations": cited,
            "refusal_accuracy": round(refused_right / unanswerable, 4) if unanswerable else 1.0,
            "false_refusals": false_refusals,
            "false_refusal_rate": round(false_refusals / answerable, 4) if answerable else 0.0,
            "answer_p50_ms": round(percentile(latencies, 0.5), 2) if latencies else 0.0,
            "answer_p95_ms": round(percentile(latencies, 0.95), 2) if latencies else 0.0,
            "questions": len(questions),
            "details": details,
        }


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0

"""Run a question set through the searcher: ranking metrics per category and overall, warm
latency, and the BM25-only and dense-only baselines in the same run.

Questions with `answerable: false` have nothing to retrieve and are left out of the
ranking metrics. An `Answerer` (the answers package) can be passed to score answers as
well; its metrics are merged into the same report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from medref.errors import InputError
from medref.evaluation.metrics import percentile, ranking_scores
from medref.retrieval.search import Hit, Searcher

METRICS = ("hit@1", "hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10")
DEPTH = 10


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    relevant: tuple[str, ...]
    answer_facts: tuple[str, ...]
    category: str
    answerable: bool


@dataclass
class QuestionResult:
    question: Question
    retrieved: list[str]
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)


class Answerer(Protocol):
    """What the answers package provides to the evaluation: its own metrics over the set."""

    def evaluate(self, questions: Sequence[Question], searcher: Searcher) -> dict[str, Any]: ...


def load_questions(path: Path) -> list[Question]:
    """One JSON object a line (`eval/FORMAT.md`); a malformed line is an InputError."""
    questions: list[Question] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(
                Question(
                    id=str(item["id"]),
                    question=item["question"],
                    relevant=tuple(item.get("relevant", [])),
                    answer_facts=tuple(item.get("answer_facts", [])),
                    category=item.get("category", "uncategorised"),
                    answerable=bool(item.get("answerable", bool(item.get("relevant")))),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}, line {number}: not a question object ({exc}); each line needs at "
                "least `id`, `question` and `relevant`"
            ) from exc
    return questions


SearchFn = Callable[[str, int], list[Hit]]


def run_ranking(questions: Sequence[Question], search: SearchFn) -> list[QuestionResult]:
    """Every answerable question through one search function, timed warm (the first query
    is run once beforehand and not counted)."""
    answerable = [q for q in questions if q.answerable and q.relevant]
    if answerable:
        search(answerable[0].question, DEPTH)
    results: list[QuestionResult] = []
    for question in answerable:
        started = time.perf_counter()
        hits = search(question.question, DEPTH)
        seconds = time.perf_counter() - started
        retrieved = [hit.ref for hit in hits]
        results.append(
            QuestionResult(
                question, retrieved, seconds, ranking_scores(retrieved, question.relevant)
            )
        )
    return results


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Mean of each metric and warm latency percentiles, in milliseconds."""
    if not results:
        return {name: 0.0 for name in (*METRICS, "p50_ms", "p95_ms")} | {"questions": 0}
    summary = {
        name: round(sum(r.scores[name] for r in results) / len(results), 4) for name in METRICS
    }
    latencies = [r.seconds * 1000 for r in results]
    summary["p50_ms"] = round(percentile(latencies, 0.50), 2)
    summary["p95_ms"] = round(percentile(latencies, 0.95), 2)
    summary["questions"] = len(results)
    return summary


def by_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    categories = sorted({r.question.category for r in results})
    return {c: summarise([r for r in results if r.question.category == c]) for c in categories}


def evaluate(
    questions: Sequence[Question],
    searcher: Searcher,
    answerer: Answerer | None = None,
    *,
    baselines: bool = True,
    without: Sequence[str] = (),
) -> dict[str, Any]:
    """The report: `overall`, `by_category`, `baselines` (bm25, dense), `misses` (questions
    with no relevant reference in the top 10), the answerer's metrics under `answers`, and
    under `without` the same ranking with the named sources left out of every result list,
    with each metric's change (`effect` = overall minus without: what those sources add)."""
    results = run_ranking(questions, lambda q, k: searcher.search(q, k))
    report: dict[str, Any] = {
        "overall": summarise(results),
        "by_category": by_category(results),
        "skipped_unanswerable": sum(1 for q in questions if not (q.answerable and q.relevant)),
    }
    if baselines:
        report["baselines"] = {
            "bm25": summarise(run_ranking(questions, lambda q, k: searcher.search_bm25(q, k))),
            "dense": summarise(run_ranking(questions, lambda q, k: searcher.search_dense(q, k)))
            if searcher.dense is not None
            else {"skipped": "no dense vectors in this build"},
        }
    report["misses"] = [
        {"id": r.question.id, "relevant": list(r.question.relevant), "top": r.retrieved[:5]}
        for r in results
        if r.scores["hit@10"] == 0
    ]
    if without:
        report["without"] = effect_of_leaving_out(questions, searcher, without, report["overall"])
    if answerer is not None:
        report["answers"] = answerer.evaluate(questions, searcher)
    return report


def effect_of_leaving_out(
    questions: Sequence[Question],
    searcher: Searcher,
    left_out: Sequence[str],
    overall: dict[str, Any],
) -> dict[str, Any]:
    """Ranking with `left_out` sources filtered from every list (the vault, say), and the
    effect of having them: overall minus this, per metric."""
    loaded = sorted({info.source for info in searcher.kb.releases()})
    unknown = sorted(set(left_out) - set(loaded))
    if unknown:
        raise InputError(
            f"--without {', '.join(unknown)}: not loaded (loaded: {', '.join(loaded)})"
        )
    kept = tuple(name for name in loaded if name not in left_out)
    summary = summarise(run_ranking(questions, lambda q, k: searcher.search(q, k, sources=kept)))
    return {
        "sources": list(left_out),
        "overall": summary,
        "effect": {name: round(overall[name] - summary[name], 4) for name in METRICS},
    }

"""Ranking metrics over canonical references. A retrieved reference is relevant when it
matches a gold one or is one of its descendants (`refs.matches`); each gold reference is
credited at most once, so a list of five chunks of one section does not count five times."""

from __future__ import annotations

import math
from collections.abc import Sequence

from medref.refs import matches


def gains(retrieved: Sequence[str], gold: Sequence[str]) -> list[int]:
    """1 where a retrieved reference answers a gold reference not yet answered, else 0."""
    unanswered = list(gold)
    out: list[int] = []
    for ref in retrieved:
        hit = next((g for g in unanswered if matches(ref, g)), None)
        if hit is None:
            out.append(0)
        else:
            unanswered.remove(hit)
            out.append(1)
    return out


def hit_at(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    return 1.0 if any(gains(retrieved[:k], gold)) else 0.0


def recall_at(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Share of gold references answered in the top k."""
    if not gold:
        return 0.0
    return sum(gains(retrieved[:k], gold)) / len(gold)


def reciprocal_rank(retrieved: Sequence[str], gold: Sequence[str], k: int = 10) -> float:
    for rank, gain in enumerate(gains(retrieved[:k], gold), start=1):
        if gain:
            return 1.0 / rank
    return 0.0


def ndcg_at(retrieved: Sequence[str], gold: Sequence[str], k: int = 10) -> float:
    """Binary-gain nDCG: the ideal list puts one answer for each gold reference first."""
    dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(gains(retrieved[:k], gold), 1))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def ranking_scores(retrieved: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Every ranking metric of one question."""
    return {
        "hit@1": hit_at(retrieved, gold, 1),
        "hit@5": hit_at(retrieved, gold, 5),
        "hit@10": hit_at(retrieved, gold, 10),
        "recall@10": recall_at(retrieved, gold, 10),
        "mrr@10": reciprocal_rank(retrieved, gold, 10),
        "ndcg@10": ndcg_at(retrieved, gold, 10),
    }

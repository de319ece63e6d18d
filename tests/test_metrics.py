"""Ranking metrics against hand-computed values, with descendant matching."""

from __future__ import annotations

import math

import pytest

from medref.evaluation.metrics import (
    gains,
    hit_at,
    ndcg_at,
    percentile,
    ranking_scores,
    recall_at,
    reciprocal_rank,
)

GOLD = ["IOM:100-04/30/50.3", "USC:42/1395y(a)"]
RETRIEVED = [
    "HCPCS:G0439",  # 1: miss
    "IOM:100-04/30/50",  # 2: the parent of a gold section: a miss
    "USC:42/1395y(a)(1)(A)",  # 3: descendant of gold 2: hit
    "USC:42/1395y(a)",  # 4: gold 2 already answered: no second credit
    "IOM:100-04/30/50.3",  # 5: gold 1: hit
]


def test_gains_credit_each_gold_reference_once() -> None:
    assert gains(RETRIEVED, GOLD) == [0, 0, 1, 0, 1]


def test_hit_at_k() -> None:
    assert [hit_at(RETRIEVED, GOLD, k) for k in (1, 2, 3, 5)] == [0.0, 0.0, 1.0, 1.0]


def test_recall_at_k() -> None:
    assert recall_at(RETRIEVED, GOLD, 3) == 0.5
    assert recall_at(RETRIEVED, GOLD, 5) == 1.0
    assert recall_at(RETRIEVED, [], 5) == 0.0


def test_reciprocal_rank_is_the_first_hit() -> None:
    assert reciprocal_rank(RETRIEVED, GOLD) == pytest.approx(1 / 3)
    assert reciprocal_rank(RETRIEVED, GOLD, k=2) == 0.0


def test_ndcg_by_hand() -> None:
    dcg = 1 / math.log2(4) + 1 / math.log2(6)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(RETRIEVED, GOLD, 10) == pytest.approx(dcg / ideal)


def test_perfect_ranking_scores_one() -> None:
    scores = ranking_scores(["ICD10CM:E11.9"], ["ICD10CM:E11"])
    assert scores == {
        "hit@1": 1.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
        "recall@10": 1.0,
        "mrr@10": 1.0,
        "ndcg@10": 1.0,
    }


def test_ndcg_ideal_is_capped_at_k() -> None:
    gold = [f"POS:{n:02d}" for n in range(1, 13)]
    assert ndcg_at(gold[:10], gold, 10) == pytest.approx(1.0)


def test_nearest_rank_percentile() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 5.0
    assert percentile([7.0], 0.95) == 7.0

"""Reciprocal rank fusion: combine ranked lists by rank alone, so BM25 scores and cosine
similarities never have to be put on one scale (Cormack et al. 2009, k = 60)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Key]],
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
) -> list[tuple[Key, float]]:
    """Items by descending sum of `weight / (k + rank)` (rank from 1) over the lists that
    hold them; ties keep the order of first appearance. A repeat within a list counts once."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[Key] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda pair: -pair[1])

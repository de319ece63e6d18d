"""Reciprocal rank fusion, checked by hand."""

from __future__ import annotations

import pytest

from medref.retrieval.fusion import reciprocal_rank_fusion


def test_scores_are_summed_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)


def test_order_is_by_score_then_first_appearance() -> None:
    assert [key for key, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]])] == [
        "a",
        "b",
        "c",
    ]


def test_an_item_in_both_lists_beats_one_first_in_a_single_list() -> None:
    fused = reciprocal_rank_fusion([["x", "y"], ["z", "y"]])
    assert fused[0][0] == "y"


def test_weights_scale_each_list() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], weights=[2.0, 1.0], k=10))
    assert fused == {"a": pytest.approx(2 / 11), "b": pytest.approx(1 / 11)}


def test_repeats_within_a_list_count_once() -> None:
    assert dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0)) == {"a": 1.0, "b": 1 / 3}


def test_weights_must_match_lists() -> None:
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])


def test_empty_input() -> None:
    assert reciprocal_rank_fusion([]) == []

"""`medref eval --without SOURCE`: the same ranking with a source left out, and its effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import InputError
from medref.evaluation.run import evaluate, load_questions
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"


def test_leaving_out_the_vault_reports_its_effect(kb: KnowledgeBase) -> None:
    questions = load_questions(DEV)[:6]
    searcher = Searcher(kb, dense=False)
    report = evaluate(questions, searcher, baselines=False, without=("vault",))
    left_out = report["without"]
    assert left_out["sources"] == ["vault"]
    for name, change in left_out["effect"].items():
        assert change == pytest.approx(
            report["overall"][name] - left_out["overall"][name], abs=1e-4
        )
    hits = searcher.search(questions[0].question, 10, sources=("hcpcs", "iom"))
    assert all(hit.source in ("hcpcs", "iom") for hit in hits)


def test_leaving_out_an_unknown_source_is_an_input_error(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="not loaded"):
        evaluate(
            load_questions(DEV)[:1],
            Searcher(kb, dense=False),
            baselines=False,
            without=("nonsense",),
        )

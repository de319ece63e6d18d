"""Answers with citations: extractive by default, optionally phrased by an LLM whose every
sentence is checked against the evidence it cites; a fixed reply when the loaded sources do
not answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from medref.answer.service import ask, stream
from medref.answer.types import REFUSAL, Answer, AnswerPart, Citation, Evidence

if TYPE_CHECKING:
    from medref.evaluation.answers import AnswerEvaluator
    from medref.retrieval.search import Searcher


def evaluation_answerer(searcher: Searcher) -> AnswerEvaluator:
    """The `medref eval --answers` hook: answer metrics without an LLM (see
    medref.evaluation.answers). Imported late: the evaluation package imports this one."""
    from medref.evaluation.answers import AnswerEvaluator
    from medref.settings import Settings

    return AnswerEvaluator(Settings())


__all__ = [
    "REFUSAL",
    "Answer",
    "AnswerPart",
    "Citation",
    "Evidence",
    "ask",
    "evaluation_answerer",
    "stream",
]

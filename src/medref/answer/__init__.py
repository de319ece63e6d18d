"""Answers with citations: extractive by default, optionally phrased by an LLM whose every
sentence is checked against the evidence it cites; a fixed reply when the loaded sources do
not answer."""

from __future__ import annotations

from medref.answer.service import ask, stream
from medref.answer.types import REFUSAL, Answer, AnswerPart, Citation, Evidence

__all__ = [
    "REFUSAL",
    "Answer",
    "AnswerPart",
    "Citation",
    "Evidence",
    "ask",
    "stream",
]

"""Whether the best evidence answers the question, judged on signals, not on one threshold.

The signals of the best evidence (`Signals`): how much of what is asked it holds (its own
words and with its context), whether it holds the kind of value asked for, how high its
record ranked in retrieval, and how much of the question's weight sits in words that none
of the top records holds at all (a question about a payer, state or document the sources
do not cover names words they never use). A logistic model turns them into the chance that
an answer is right; it is fitted on our own question split (`medref eval --calibrate`) and
stored in `calibration.json` with the split and the curve it was fitted on. Below the
threshold the reply is the refusal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from medref.answer.codes import CodeMatch
from medref.answer.evidence import REQUIRED, SHAPES, Profile
from medref.answer.types import Evidence
from medref.retrieval.question import Question
from medref.retrieval.search import Hit

FEATURES = ("coverage", "own", "typed", "top_rank", "unheld", "similarity", "meaning")
TOP_RECORDS = 5
"""Records whose words count as held by the retrieved evidence."""


@dataclass(frozen=True, slots=True)
class Signals:
    coverage: float
    """Weighted share of the question's terms the best window holds with its context."""
    own: float
    """The same share in the window alone."""
    typed: float
    """1 when the window holds the kind of value asked for."""
    top_rank: float
    """1 / (1 + retrieval rank of the window's record)."""
    unheld: float
    """Weighted share of the question's terms that none of the top records holds."""
    similarity: float
    """The best MiniLM similarity of the question to a top record (0 when none embedded)."""
    meaning: float
    """MiniLM similarity of the question and the best window (0 without sentence vectors)."""

    def vector(self) -> list[float]:
        return [float(getattr(self, name)) for name in FEATURES]

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in FEATURES}


@dataclass(frozen=True, slots=True)
class Verdict:
    refuse: bool
    reason: str
    confidence: float
    signals: Signals | None


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    bias: float
    threshold: float

    def confidence(self, signals: Signals) -> float:
        z = self.bias + sum(
            self.weights.get(n, 0.0) * v for n, v in zip(FEATURES, signals.vector(), strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def packaged(cls, kind: BuildKind, form: AnswerForm) -> Calibration:
        body: dict[str, Any] = json.loads(
            resources.files("medref.answer").joinpath("calibration.json").read_text()
        )[kind][form]
        return cls(dict(body["weights"]), float(body["bias"]), float(body["threshold"]))


BuildKind = Literal["dense", "lexical"]
"""A build with MiniLM vectors, or one without (MEDREF_EMBEDDINGS=false): its signals differ
(no similarity), so each has its own fitted model."""
AnswerForm = Literal["prose", "code"]
"""Quoted sentences, or a code found by searching for its description."""
_PACKAGED: dict[tuple[str, str], Calibration] = {}


def calibration(kind: BuildKind, form: AnswerForm = "prose") -> Calibration:
    """The packaged model for answers of this form from builds of this kind (read once)."""
    if (kind, form) not in _PACKAGED:
        _PACKAGED[kind, form] = Calibration.packaged(kind, form)
    return _PACKAGED[kind, form]


NEVER_REFUSE = Calibration(dict.fromkeys(FEATURES, 0.0), 0.0, 0.0)
"""Answers every question: used to collect signals for fitting a calibration."""


def signals(
    wanted: Profile, evidence: Sequence[Evidence], held: frozenset[str], hits: Sequence[Hit]
) -> Signals:
    best = evidence[0]
    unheld = sum(wanted.weights[t] for t in wanted.missing(held)) / wanted.total
    similar = [hit.similarity for hit in hits[:TOP_RECORDS] if hit.similarity is not None]
    return Signals(
        coverage=best.coverage,
        own=best.own,
        typed=1.0 if best.typed else 0.0,
        top_rank=1.0 / (1 + best.rank),
        unheld=unheld,
        similarity=max(similar, default=0.0),
        meaning=best.meaning or 0.0,
    )


def judge(
    question: Question,
    wanted: Profile,
    evidence: Sequence[Evidence],
    hits: Sequence[Hit],
    held: frozenset[str],
    model: Calibration | None = None,
    kind: BuildKind = "dense",
) -> Verdict:
    """Refuse or answer from the best evidence (`held`: the terms of the top records)."""
    if not evidence:
        return Verdict(True, "no retrieved sentence shares a word with the question", 0.0, None)
    missing = [
        kind
        for kind in wanted.kinds
        if kind in REQUIRED and not SHAPES[kind].search(evidence[0].quote)
    ]
    if missing:
        return Verdict(
            True, f"no retrieved sentence gives a {missing[0].replace('_', ' ')}", 0.0, None
        )
    found = signals(wanted, evidence, held, hits)
    model = model or calibration(kind, "prose")
    confidence = model.confidence(found)
    if confidence < model.threshold:
        shown = ", ".join(f"{k} {v:.2f}" for k, v in found.as_dict().items())
        reason = f"the best evidence does not answer it (confidence {confidence:.2f}: {shown})"
        return Verdict(True, reason, confidence, found)
    return Verdict(False, "", confidence, found)


def judge_code(
    found: CodeMatch, model: Calibration | None = None, kind: BuildKind = "dense"
) -> Verdict:
    """Whether a code found by its description (not named) answers what was asked."""
    signals = Signals(
        coverage=found.match,
        own=found.focus,
        typed=1.0,
        top_rank=1.0 / (1 + found.rank),
        unheld=found.unheld,
        similarity=found.similarity,
        meaning=found.similarity,
    )
    model = model or calibration(kind, "code")
    confidence = model.confidence(signals)
    if confidence < model.threshold:
        shown = ", ".join(f"{k} {v:.2f}" for k, v in signals.as_dict().items())
        reason = f"no code's description matches it well (confidence {confidence:.2f}: {shown})"
        return Verdict(True, reason, confidence, signals)
    return Verdict(False, "", confidence, signals)

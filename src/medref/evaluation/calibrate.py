"""Fit the abstention model (medref.answer.abstain) on a question split of our own.

Every question is answered with abstention off, so each prose answer comes with its
evidence signals; an answer is right when it holds at least one of the question's answer
facts, and any answer to an unanswerable question is wrong. A logistic regression (L2,
fitted by Newton's method) turns the signals into the chance of being right, and the
threshold is the one that serves users best on the split: a right answer counts +1, a wrong
answer -1, an answer to a question the sources do not answer -WRONG_UNANSWERABLE, a refusal
0. The curve (answered vs right at each threshold) is reported with the fit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medref.answer.abstain import FEATURES, NEVER_REFUSE, AnswerForm, Calibration
from medref.answer.service import ask
from medref.evaluation.answers import fact_coverage
from medref.evaluation.run import Question
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher
from medref.settings import Settings

L2 = 1.0
WRONG_UNANSWERABLE = 3.0
"""Cost of answering a question the sources do not answer, against +1 for a right answer."""
MIN_SAMPLES = 10
"""Fewer answers of a form than this fit nothing (the previous model stays)."""
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    form: AnswerForm
    signals: tuple[float, ...]
    right: bool
    answerable: bool


def collect(
    questions: Sequence[Question], kb: KnowledgeBase, searcher: Searcher, settings: Settings
) -> list[Sample]:
    """The signals and correctness of every judged answer (prose, or a code found by its
    description) given with abstention off."""
    samples = []
    for question in questions:
        answer = ask(
            kb,
            searcher,
            question.question,
            settings,
            False,
            calibration=NEVER_REFUSE,
            code_calibration=NEVER_REFUSE,
        )
        if answer.signals is None:
            continue  # a named code's own record, or no evidence at all
        right = question.answerable and fact_coverage(answer, question) > 0
        values = tuple(float(answer.signals[name]) for name in FEATURES)
        form: AnswerForm = "code" if answer.mode == "code" else "prose"
        samples.append(Sample(question.id, form, values, right, question.answerable))
    return samples


def fit(samples: Sequence[Sample], l2: float = L2) -> tuple[dict[str, float], float]:
    """Logistic regression weights and bias, by Newton's method with an L2 penalty."""
    x = np.array([s.signals for s in samples], dtype=np.float64)
    y = np.array([1.0 if s.right else 0.0 for s in samples])
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return dict(zip(FEATURES, (round(float(b), 4) for b in beta[:-1]), strict=True)), round(
        float(beta[-1]), 4
    )


def curve(samples: Sequence[Sample], model: Calibration) -> list[dict[str, Any]]:
    """At each threshold: answerable questions answered, answered right, unanswerable ones
    answered, and the utility (see the module docstring)."""
    rows = []
    scores = _confidences(samples, model)
    answerable = [s.answerable for s in samples]
    total = max(1, sum(answerable))
    for threshold in THRESHOLDS:
        answered = scores >= threshold
        right = sum(1 for s, a in zip(samples, answered, strict=True) if a and s.right)
        wrong = sum(
            1 for s, a in zip(samples, answered, strict=True) if a and s.answerable and not s.right
        )
        unanswerable = sum(
            1 for s, a in zip(samples, answered, strict=True) if a and not s.answerable
        )
        count = sum(1 for s, a in zip(samples, answered, strict=True) if a and s.answerable)
        rows.append(
            {
                "threshold": threshold,
                "answered_share": round(count / total, 3),
                "right_share_of_answered": round(right / count, 3) if count else 1.0,
                "right_share_of_all": round(right / total, 3),
                "unanswerable_answered": unanswerable,
                "utility": right - wrong - WRONG_UNANSWERABLE * unanswerable,
            }
        )
    return rows


def _confidences(samples: Sequence[Sample], model: Calibration) -> npt.NDArray[np.float64]:
    weights = np.array([model.weights[name] for name in FEATURES])
    x = np.array([s.signals for s in samples], dtype=np.float64)
    result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-(x @ weights + model.bias)))
    return result


def calibrate(samples: Sequence[Sample], sources: Sequence[str]) -> dict[str, Any]:
    """A fitted model per answer form the samples hold enough of, each with its threshold
    and curve."""
    fitted = {}
    for form in ("prose", "code"):
        chosen = [s for s in samples if s.form == form]
        if len(chosen) >= MIN_SAMPLES:
            fitted[form] = _calibrate_form(chosen, sources)
    return fitted


def _calibrate_form(samples: Sequence[Sample], sources: Sequence[str]) -> dict[str, Any]:
    weights, bias = fit(samples)
    rows = curve(samples, Calibration(weights, bias, 0.0))
    best = max(rows, key=lambda row: (row["utility"], -row["threshold"]))
    return {
        "note": "fitted by `medref eval --calibrate` (medref.evaluation.calibrate)",
        "fitted_on": list(sources),
        "samples": len(samples),
        "right": sum(s.right for s in samples),
        "unanswerable": sum(not s.answerable for s in samples),
        "weights": weights,
        "bias": bias,
        "threshold": best["threshold"],
        "curve": rows,
    }


def write(report: dict[str, Any], path: Path, kind: str) -> None:
    """Store the models for builds of `kind` (dense or lexical), keeping the others."""
    models: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    models.setdefault(kind, {}).update(report)
    path.write_text(json.dumps(models, indent=2) + "\n")

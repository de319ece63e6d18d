"""Fitting the abstention model: a logistic regression on evidence signals, a threshold
chosen for users (a wrong answer costs more than a refusal), and the curve reported."""

from __future__ import annotations

import json
from pathlib import Path

from medref.answer.abstain import FEATURES, NEVER_REFUSE, Calibration, Signals, calibration
from medref.evaluation.calibrate import Sample, calibrate, curve, fit, write


def sample(number: int, coverage: float, right: bool, answerable: bool = True) -> Sample:
    values = tuple(coverage if name == "coverage" else 0.5 for name in FEATURES)
    return Sample(f"q{number}", "prose", values, right, answerable)


SAMPLES = [sample(i, 0.2 + 0.6 * (i % 2), bool(i % 2)) for i in range(40)] + [
    sample(100 + i, 0.25, False, answerable=False) for i in range(4)
]


def test_the_fit_learns_which_signal_tells_right_from_wrong() -> None:
    weights, _ = fit(SAMPLES)
    assert weights["coverage"] > 1.0
    assert all(abs(weights[name]) < abs(weights["coverage"]) for name in FEATURES[1:])


def test_the_threshold_refuses_every_unanswerable_question_here() -> None:
    fitted = calibrate(SAMPLES, ["synthetic.jsonl"])["prose"]
    assert fitted["samples"] == 44 and fitted["unanswerable"] == 4
    chosen = next(row for row in fitted["curve"] if row["threshold"] == fitted["threshold"])
    assert chosen["unanswerable_answered"] == 0 and chosen["right_share_of_answered"] == 1.0


def test_the_curve_answers_less_as_the_threshold_rises() -> None:
    weights, bias = fit(SAMPLES)
    shares = [row["answered_share"] for row in curve(SAMPLES, Calibration(weights, bias, 0.0))]
    assert shares == sorted(shares, reverse=True)


def test_models_are_kept_per_build_kind(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    write({"prose": {"weights": {}, "bias": 0, "threshold": 0.5}}, path, "dense")
    write({"prose": {"weights": {}, "bias": 1, "threshold": 0.4}}, path, "lexical")
    stored = json.loads(path.read_text())
    assert stored["dense"]["prose"]["bias"] == 0 and stored["lexical"]["prose"]["bias"] == 1


def test_the_packaged_models_load_and_never_refuse_answers_all() -> None:
    signals = Signals(0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    for kind in ("dense", "lexical"):
        for form in ("prose", "code"):
            model = calibration(kind, form)  # type: ignore[arg-type]
            assert 0.0 <= model.confidence(signals) <= 1.0
    assert NEVER_REFUSE.confidence(signals) >= NEVER_REFUSE.threshold

"""`medref eval`: retrieval metrics (and, with --answers, answer metrics) on a question set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from medref.commands.options import echo_json, json_option, resources

if TYPE_CHECKING:
    from medref.evaluation.run import Answerer
    from medref.settings import Settings


def load_answerer(settings: Settings) -> Answerer:
    """Answer metrics without an LLM (medref.evaluation.answers)."""
    from medref.evaluation.answers import AnswerEvaluator

    return AnswerEvaluator(settings)


def _table(report: dict[str, Any]) -> list[str]:
    from medref.evaluation.run import METRICS

    columns = (*METRICS, "p50_ms", "p95_ms", "questions")
    rows: list[tuple[str, dict[str, Any]]] = [("overall", report["overall"])]
    rows += [(f"  {name}", values) for name, values in report["by_category"].items()]
    for name, values in report.get("baselines", {}).items():
        rows.append((f"baseline {name}", values))
    if "without" in report:
        left_out = report["without"]
        rows.append((f"without {'+'.join(left_out['sources'])}", left_out["overall"]))
        rows.append(("  effect of having it", left_out["effect"]))
    header = f"{'':<24}" + "".join(f"{c:>10}" for c in columns)
    lines = [header]
    for label, values in rows:
        cells = "".join(
            f"{values[c]:>10.3f}"
            if isinstance(values.get(c), float)
            else f"{values.get(c, '-')!s:>10}"
            for c in columns
        )
        lines.append(f"{label:<24}{cells}")
    return lines


@click.command(
    "eval",
    epilog="Example: medref eval ../shared/eval/dev.jsonl --without vault; "
    "medref eval questions.jsonl --json; "
    "medref eval eval/tuning.jsonl ../shared/eval/dev.jsonl --calibrate calibration.json",
)
@click.argument(
    "questions",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--no-baselines", is_flag=True, help="Skip the BM25-only and dense-only runs.")
@click.option("--answers", is_flag=True, help="Also score answers (needs medref.answer).")
@click.option(
    "--without",
    "without",
    multiple=True,
    help="Also rank with this source left out (repeatable), and report its effect, "
    "e.g. --without vault.",
)
@click.option(
    "--calibrate",
    "calibrate_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instead of evaluating, fit the answer abstention model on these questions and "
    "write it (weights, threshold, answered-vs-right curve) to this JSON file.",
)
@json_option
def command(
    questions: tuple[Path, ...],
    no_baselines: bool,
    answers: bool,
    without: tuple[str, ...],
    calibrate_to: Path | None,
    as_json: bool,
) -> None:
    """Evaluate retrieval on question sets (eval/FORMAT.md; several files are pooled):
    hit@k, recall@10, MRR@10, nDCG@10 per category and overall, warm latency p50/p95, and
    baselines; with --answers, answer metrics too."""
    from medref.evaluation.run import evaluate, load_questions

    res = resources()
    searcher = res.searcher
    pooled = [q for path in questions for q in load_questions(path)]
    if calibrate_to is not None:
        from medref.evaluation import calibrate

        samples = calibrate.collect(pooled, res.kb, searcher, res.settings)
        fitted = calibrate.calibrate(samples, [path.name for path in questions])
        kind = "dense" if searcher.dense is not None else "lexical"
        calibrate.write(fitted, calibrate_to, kind)
        if as_json:
            echo_json(fitted)
        else:
            for form, model in fitted.items():
                click.echo(
                    f"{form}: fitted on {model['samples']} answers ({model['right']} right, "
                    f"{model['unanswerable']} unanswerable): threshold {model['threshold']}"
                )
            click.echo(f"written to {calibrate_to} as the models for {kind} builds")
        return
    answerer = load_answerer(res.settings) if answers else None
    report = evaluate(pooled, searcher, answerer, baselines=not no_baselines, without=without)
    if as_json:
        echo_json(report)
        return
    for line in _table(report):
        click.echo(line)
    for miss in report["misses"]:
        click.echo(
            f"miss {miss['id']}: wanted {', '.join(miss['relevant'])}; got {', '.join(miss['top'])}"
        )
    if "answers" in report:
        scored: dict[str, Any] = report["answers"]
        click.echo("answers: " + ", ".join(f"{k}={v}" for k, v in scored.items() if k != "details"))
        for detail in scored.get("details", []):
            click.echo(
                f"answer miss {detail['id']}: facts {detail['fact_coverage']}, "
                f"imprecise {detail['imprecise_citations']}, answerable "
                f"{detail['answerable']}"
            )

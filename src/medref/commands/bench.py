"""`medref bench`: measure the hot paths on this machine."""

from __future__ import annotations

import click

from medref.claims.benchmark import BenchReport, Throughput, bench_check
from medref.commands.options import echo_json, json_option, open_kb


@click.group("bench")
def command() -> None:
    """Measure throughput on this machine.

    Example: medref bench check --lines 1000000
    """


@command.command("check")
@click.option(
    "--lines", default=1_000_000, show_default=True, help="Claim lines in the synthetic batch."
)
@click.option(
    "--sample",
    default=20_000,
    show_default=True,
    help="Lines of the batch the naive per-lookup SQL baseline checks.",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the synthetic batch.")
@json_option
def check(lines: int, sample: int, seed: int, as_json: bool) -> None:
    """Claim checks: lines per second through the streaming path of `medref check`, against a
    naive baseline that queries SQLite for every lookup.

    Builds a synthetic CSV from the real edit tables (PTP pairs, MUE codes, add-ons, dates in
    the loaded NCCI quarter) in a temporary folder, checks it with every finding and with
    only problems, then checks its first claims with the baseline and compares the findings.

    Example: medref bench check --lines 1000000 --json
    """
    report = bench_check(open_kb(), lines, sample, seed)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(report_text(report))


def rate(run: Throughput) -> str:
    return (
        f"{run.lines:,} lines in {run.seconds:.1f} s = {run.lines_per_second:,.0f} lines/s "
        f"({run.lines_per_cpu_second:,.0f} per CPU second), {run.findings:,} findings"
    )


def report_text(report: BenchReport) -> str:
    return "\n".join(
        [
            f"synthetic batch: {report.lines:,} lines in {report.claims:,} claims "
            f"(written in {report.generate_seconds:.1f} s)",
            f"edit tables loaded in {report.load_seconds:.1f} s (once per process)",
            f"streaming check, all findings: {rate(report.streaming)}",
            f"streaming check, only problems: {rate(report.problems_only)}",
            f"naive baseline, SQL per lookup: {rate(report.baseline)}",
            f"in-memory tables, same claims:  {rate(report.baseline_fast)}",
            f"speed-up over the baseline: {report.speedup:.0f}x; same findings: "
            + ("yes" if report.same_findings else "NO"),
        ]
    )

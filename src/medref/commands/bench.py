"""`medref bench`: measure the hot paths on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from medref.commands.options import echo_json, json_option, resources

if TYPE_CHECKING:
    from medref.claims.benchmark import BenchReport, Throughput


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
@click.option(
    "--engine",
    "engines",
    type=click.Choice(["stream", "columnar", "spark"]),
    multiple=True,
    help="Compare these engines instead (repeatable): each runs `medref check --engine` as its "
    "own process on the same batch, Spark on local[1] and local[2], timed with its memory.",
)
@json_option
def check(lines: int, sample: int, seed: int, engines: tuple[str, ...], as_json: bool) -> None:
    """Claim checks: lines per second through the streaming path of `medref check`, against a
    naive baseline that queries SQLite for every lookup.

    Builds a synthetic CSV from the real edit tables (PTP pairs, MUE codes, add-ons, dates in
    the loaded NCCI quarter) in a temporary folder, checks it with every finding and with
    only problems, then checks its first claims with the baseline and compares the findings.
    With --engine, runs each engine named on the batch instead and compares every finding
    with the stream engine's.

    Example: medref bench check --lines 1000000 --json;
    medref bench check --lines 200000 --engine stream --engine columnar --engine spark
    """
    if engines:
        compare_engines(lines, seed, engines, as_json)
        return
    from medref.claims.benchmark import bench_check

    report = bench_check(resources().kb, lines, sample, seed)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(report_text(report))


def compare_engines(lines: int, seed: int, engines: tuple[str, ...], as_json: bool) -> None:
    from medref.claims.columnar.benchmark import bench_engines
    from medref.services.claims import edit_table_folder

    res = resources()
    report = bench_engines(res.kb, edit_table_folder(res), lines, engines, seed)
    if as_json:
        echo_json(report.as_dict())
        return
    shown = [f"synthetic batch: {report.lines:,} lines in {report.claims:,} claims"]
    for run in report.runs:
        same = (
            ""
            if run.differ is None
            else f"; {run.differ:,} findings differ from the stream engine's"
        )
        shown.append(
            f"{run.engine:16s} {run.seconds:7.1f} s wall = {run.lines / run.seconds:,.0f} lines/s, "
            f"{run.cpu_seconds:.1f} CPU s, peak {run.peak_rss_kb / 1024:,.0f} MiB, "
            f"{run.findings:,} findings{same}"
        )
    for label, value in (
        ("columnar / stream (wall)", report.ratio("columnar", "stream")),
        ("Spark 2 / 1 workers (wall)", report.ratio("spark local[2]", "spark local[1]")),
    ):
        if value is not None:
            shown.append(f"{label}: {value:.2f}x")
    if report.floor is not None:
        floor = report.floor
        shown.append(
            f"input/output floor (no checking): read {floor.read_seconds:.2f} s + write "
            f"{floor.findings:,} findings {floor.write_seconds:.2f} s = "
            f"{floor.lines_per_second(report.lines):,} lines/s at most with these readers"
        )
    click.echo("\n".join(shown))


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


@command.command("x12")
@click.option(
    "--lines", default=200_000, show_default=True, help="Claim lines in the synthetic batch."
)
@click.option("--seed", default=7, show_default=True, help="Seed of the synthetic batch.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the generated 837P here (a file of any volume for other tools).",
)
@json_option
def x12(lines: int, seed: int, save: Path | None, as_json: bool) -> None:
    """837 parse + check against the CSV path, on the same claims in one process.

    Writes a synthetic batch from the real tables as CSV, as CSV with a patient id per claim,
    and as an 837P; reads and checks each through the path of `medref check`, every finding
    consumed (for the 837, with its place in the file); then reads the 837 alone.

    Example: medref bench x12 --lines 200000 --json
    """
    from medref.claims.x12.benchmark import bench_x12

    report = bench_x12(resources().kb, lines, seed, save=save)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(
        "\n".join(
            [
                f"synthetic batch: {report.lines:,} lines in {report.claims:,} claims; the 837P "
                f"holds {report.segments:,} segments ({report.megabytes:.1f} MB)",
                f"edit tables loaded in {report.load_seconds:.1f} s (once per process)",
                f"CSV, each claim alone:        {rate(report.csv)}",
                f"CSV with patient ids:         {rate(report.csv_patients)}",
                f"837P parse + check + places:  {rate(report.x12)}",
                f"837P parse only:              {rate(report.parse_only)}",
                "same verdicts (837P and CSV with patient ids): "
                + ("yes" if report.same_verdicts else "NO"),
            ]
        )
    )


CODE_SAMPLE = (
    "G0439",
    "E0601",
    "J1100",
    "99213",
    "99215",
    "93000",
    "20610",
    "27447",
    "0042T",
    "E11.9",
    "E11",
    "I10",
    "S72.001A",
    "25",
    "59",
    "GA",
    "11",
)


@command.command("code")
@click.option("--repeat", default=50, show_default=True, help="Timed lookups per code.")
@json_option
def code(repeat: int, as_json: bool) -> None:
    """Code lookups: warm latency of `medref code` (the code card) per code, in milliseconds.

    Each code is looked up once untimed, then `--repeat` times; the knowledge base stays
    open as it does in the API.

    Example: medref bench code --repeat 50
    """
    import statistics
    import time

    from medref.services.codes import code_card

    res = resources()
    rows = []
    every: list[float] = []
    for raw in CODE_SAMPLE:
        code_card(res, raw)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            code_card(res, raw)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        every += times
        rows.append(
            {
                "code": raw,
                "p50_ms": round(statistics.median(times), 3),
                "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
                "max_ms": round(times[-1], 3),
            }
        )
    every.sort()
    overall = {
        "p50_ms": round(statistics.median(every), 3),
        "p95_ms": round(every[int(0.95 * (len(every) - 1))], 3),
        "lookups": len(every),
    }
    if as_json:
        echo_json({"overall": overall, "by_code": rows})
        return
    for row in rows:
        click.echo(
            f"{row['code']:<10} p50 {row['p50_ms']:>8.3f} ms  p95 {row['p95_ms']:>8.3f} ms"
            f"  max {row['max_ms']:>8.3f} ms"
        )
    click.echo(
        f"overall    p50 {overall['p50_ms']:>8.3f} ms  p95 {overall['p95_ms']:>8.3f} ms "
        f"({overall['lookups']} lookups)"
    )

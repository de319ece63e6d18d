"""`medref check`: claim lines against the CMS edit tables, streamed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from medref.commands.options import json_option, resources

if TYPE_CHECKING:
    from medref.claims.model import Finding
    from medref.services.claims import FileFormat, FindingStream


@click.command("check")
@click.argument("claims_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl", "parquet", "x12"]),
    default=None,
    help="Input format; by default an X12 837 is found by its content, else the suffix "
    "decides (.json, .jsonl or .ndjson, .parquet, else CSV).",
)
@click.option(
    "--setting",
    default="practitioner",
    show_default=True,
    help="Setting of claims that do not name theirs (CSV `setting` column, JSON field): "
    "practitioner, outpatient hospital, or dme (DME supplier).",
)
@click.option(
    "--only-problems", is_flag=True, help="Show only failures, warnings and input errors."
)
@click.option(
    "--locality",
    default=None,
    help="Price every practitioner line in this Medicare payment locality (01112-05, CA-05, "
    "'manhattan'): allowed_amount on its findings, dollars at risk in the summary.",
)
@click.option(
    "--history",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A claim file of earlier claims (same format): with patient_id, their lines count "
    "for global periods, MUE day totals, PTP pairs and duplicates; they get no findings.",
)
@click.option(
    "--map",
    "column_map",
    default=None,
    help="The CSV's column names mapped to ours: cpt=code,dos=date_of_service,pos="
    "place_of_service (NAME=- ignores a column), or a saved preset's name ('common' is built "
    "in).",
)
@click.option(
    "--save-map", default=None, metavar="NAME", help="Save --map under NAME for later runs."
)
@click.option(
    "--window",
    default=1_000,
    show_default=True,
    type=click.IntRange(min=0, max=1_000_000),
    help="Rows within which the rows of one claim may come in any order.",
)
@click.option(
    "--engine",
    type=click.Choice(["stream", "columnar", "spark"]),
    default="stream",
    show_default=True,
    help="stream: claim by claim in Python (any size, constant memory); columnar: the "
    "relational plan on DuckDB; spark: the same plan on a local Spark, a Parquet file read by "
    "Spark's workers (docs/claims-at-scale.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=2,
    show_default=True,
    help="Threads of the local Spark (--engine spark: local[N]).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the findings to this file (.csv, .jsonl or .parquet) and the summary to stdout.",
)
@json_option
def command(
    claims_file: Path,
    fmt: FileFormat | None,
    setting: str,
    only_problems: bool,
    locality: str | None,
    history: Path | None,
    column_map: str | None,
    save_map: str | None,
    window: int,
    engine: str,
    workers: int,
    out: Path | None,
    as_json: bool,
) -> None:
    """Check a claim file (CSV, JSON, or an X12 5010 837P/837I) against NCCI PTP, MUE and
    add-on edits, PFS modifier and global surgery indicators, HCPCS and ICD-10-CM validity and
    place of service.

    Findings stream as they are made: pass, fail, bypassed, warning (the contractor's call),
    no_data (no loaded release decides) or error (input to fix), each with the canonical
    reference of the table row or manual section behind it. With patient_id (and
    rendering_npi) columns, claims of one patient are checked together; an 837's subscriber
    and patient loops name the patient, NM1*82 the rendering provider, and each finding keeps
    its place in the file (ISA/GS/ST control numbers, CLM01, LX). The input schema is in
    docs/claims.md, the 837 mapping in docs/x12.md.

    Example: medref check examples/claims.csv --only-problems
    """
    from medref.claims.columnar.run import ColumnarFindings
    from medref.claims.output import output_format, write_findings
    from medref.claims.values import Invalid, to_setting
    from medref.services.claims import check_file, check_file_columnar, save_column_map

    chosen = to_setting(setting)
    if isinstance(chosen, Invalid):
        raise click.BadParameter(chosen.problem, param_hint="--setting")
    res = resources()
    if save_map is not None:
        if not column_map:
            raise click.UsageError("--save-map NAME needs --map cpt=code,...")
        where = save_column_map(res, save_map, column_map)
        click.echo(f"column map {save_map!r} saved in {where}", err=True)
    if out is not None:
        output_format(out)
    findings: Any
    if engine == "stream":
        findings = check_file(
            res,
            claims_file,
            fmt,
            chosen,
            only_problems,
            locality=locality,
            history=history,
            column_map=column_map,
            window_rows=window,
        )
    else:
        if locality:
            raise click.UsageError(
                "--locality prices lines on the stream engine only: drop --engine or --locality"
            )
        findings = check_file_columnar(
            res,
            claims_file,
            "spark" if engine == "spark" else "columnar",
            fmt,
            chosen,
            only_problems,
            history=history,
            column_map=column_map,
            window_rows=window,
            workers=workers,
        )
    if out is not None:
        written = (
            findings.write(out)
            if isinstance(findings, ColumnarFindings)
            else write_findings(findings, out)
        )
        click.echo(f"{written:,} findings written to {out}", err=True)
        sys.stdout.write(json.dumps({"summary": findings.summary()}, ensure_ascii=False) + "\n")
        return
    stdout = sys.stdout
    if as_json:
        for finding in findings:
            stdout.write(json.dumps(findings.row(finding), ensure_ascii=False) + "\n")
        stdout.write(json.dumps({"summary": findings.summary()}, ensure_ascii=False) + "\n")
        return
    for block in report_blocks(findings):
        stdout.write(block)
    stdout.write(summary_text(findings.summary(), only_problems))


def report_blocks(findings: FindingStream) -> Iterator[str]:
    """One block of text per claim, written as soon as the claim's findings are complete."""
    claim: list[Finding] = []
    where = ""
    for finding in findings:
        label = findings.label(finding)
        if claim and (finding.claim_id != claim[0].claim_id or label != where):
            yield claim_block(claim, where)
            claim = []
        if not claim:
            where = label
        findings.row(finding)  # an 837's place is read once per finding
        claim.append(finding)
    if claim:
        yield claim_block(claim, where)


def claim_block(findings: list[Finding], where: str = "") -> str:
    from medref.claims.model import PROBLEM_STATUSES

    lines = [f"claim {findings[0].claim_id}" + (f" ({where})" if where else "")]
    for finding in sorted(findings, key=lambda f: -1 if f.line is None else f.line):
        where = "claim" if finding.line is None else f"line {finding.line}"
        status = finding.status.upper() if finding.status in PROBLEM_STATUSES else finding.status
        amount = "" if finding.allowed_amount is None else f" [${finding.allowed_amount:,}]"
        lines.append(
            f"  {where:<8} {status:<8} {finding.rule:<16} {finding.ref or '-':<24} "
            f"{finding.message}{amount if finding.rule != 'price' else ''}"
        )
    return "\n".join(lines) + "\n\n"


def summary_text(summary: dict[str, Any], only_problems: bool) -> str:
    from medref.claims.model import STATUSES

    by_status = summary["by_status"]
    counts = ", ".join(f"{by_status.get(status, 0):,} {status}" for status in STATUSES)
    lines = [
        f"{summary['claims']:,} claims, {summary['lines']:,} lines checked: {counts}",
        f"{summary['rows']:,} rows read: {summary['lines']:,} lines checked, "
        f"{summary['rows_in_claims_with_input_errors']:,} rows in "
        f"{summary['claims_with_input_errors']:,} claims with input errors (not checked)",
    ]
    if only_problems:
        lines.append("(--only-problems: pass findings were not computed)")
    money = summary.get("allowed_amounts")
    if money:
        lines.append(
            f"Allowed: ${Decimal(money['allowed']):,.2f}; on lines with a failure (at risk): "
            f"${Decimal(money['at_risk_on_failing_lines']):,.2f}"
        )
    across = summary.get("across_claims") or {}
    if across.get("claims_checked_with_their_patient") or across.get("history_claims_read"):
        lines.append(
            f"Across claims: {across['claims_checked_with_their_patient']:,} claims checked with "
            f"their patient's other claims; {across['history_claims_read']:,} history claims read"
        )
    x12 = summary.get("x12")
    if x12:
        lines.append(
            f"X12: {x12['interchanges']:,} interchanges, {x12['functional_groups']:,} groups, "
            f"{x12['transaction_sets']:,} transaction sets, {x12['segments']:,} segments; "
            f"{x12['claims']:,} claims (CLM) and {x12['service_lines']:,} service lines (LX) "
            f"read, {x12['revenue_code_only_lines']:,} of them revenue code only (no HCPCS)"
        )
        for problem in x12["problems"]:
            where = problem["segment_id"]
            if problem.get("position"):
                where += f", position {problem['position']} in transaction {problem['transaction']}"
            lines.append(f"  ERROR segment {problem['segment']} ({where}): {problem['message']}")
    lines.append("Data used:")
    lines += [f"  {vintage}" for vintage in summary["vintages_used"]] or ["  (none)"]
    lines.append("Not checked:")
    lines += [f"  {item}" for item in summary["not_checked"]]
    return "\n".join(lines) + "\n"

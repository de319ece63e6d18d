"""`medref check`: claim lines against the CMS edit tables, streamed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from medref.commands.options import json_option, resources

if TYPE_CHECKING:
    from medref.claims.model import Finding
    from medref.claims.read import Format


@click.command("check")
@click.argument("claims_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="Input format; by default the file's suffix decides (.json, else CSV).",
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
@json_option
def command(
    claims_file: Path,
    fmt: Format | None,
    setting: str,
    only_problems: bool,
    locality: str | None,
    history: Path | None,
    as_json: bool,
) -> None:
    """Check a claim file (CSV or JSON) against NCCI PTP, MUE and add-on edits, PFS modifier
    and global surgery indicators, HCPCS and ICD-10-CM validity and place of service.

    Findings stream as they are made: pass, fail, bypassed, warning (the contractor's call),
    no_data (no loaded release decides) or error (input to fix), each with the canonical
    reference of the table row or manual section behind it. With patient_id (and
    rendering_npi) columns, claims of one patient are checked together. The input schema is
    in docs/claims.md.

    Example: medref check examples/claims.csv --only-problems
    """
    from medref.claims.values import Invalid, to_setting
    from medref.services.claims import check_file

    chosen = to_setting(setting)
    if isinstance(chosen, Invalid):
        raise click.BadParameter(chosen.problem, param_hint="--setting")
    findings = check_file(
        resources(), claims_file, fmt, chosen, only_problems, locality=locality, history=history
    )
    out = sys.stdout
    if as_json:
        for finding in findings:
            out.write(json.dumps(finding.as_dict(), ensure_ascii=False) + "\n")
        out.write(json.dumps({"summary": findings.summary()}, ensure_ascii=False) + "\n")
        return
    for block in report_blocks(findings):
        out.write(block)
    out.write(summary_text(findings.summary(), only_problems))


def report_blocks(findings: Iterable[Finding]) -> Iterator[str]:
    """One block of text per claim, written as soon as the claim's findings are complete."""
    claim: list[Finding] = []
    for finding in findings:
        if claim and finding.claim_id != claim[0].claim_id:
            yield claim_block(claim)
            claim = []
        claim.append(finding)
    if claim:
        yield claim_block(claim)


def claim_block(findings: list[Finding]) -> str:
    from medref.claims.model import PROBLEM_STATUSES

    lines = [f"claim {findings[0].claim_id}"]
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
    lines = [f"{summary['claims']:,} claims, {summary['lines']:,} lines: {counts}"]
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
    lines.append("Data used:")
    lines += [f"  {vintage}" for vintage in summary["vintages_used"]] or ["  (none)"]
    lines.append("Not checked:")
    lines += [f"  {item}" for item in summary["not_checked"]]
    return "\n".join(lines) + "\n"

"""`medref denials`: each adjusted line of an 835 explained and re-checked."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from medref.commands.options import resources

COLUMNS = (
    "claim_id",
    "line",
    "claim_line",
    "code",
    "modifiers",
    "units",
    "date_of_service",
    "charge",
    "paid",
    "group",
    "carc",
    "amount",
    "rarcs",
    "verdict",
    "rule",
    "ref",
    "carc_meaning",
    "evidence",
    "fix",
    "clp_segment",
    "svc_segment",
)


@click.command("denials")
@click.argument("remittance", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--claims",
    "claims_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The claims as sent (837, CSV or JSON), matched by claim id (CLP01 = CLM01) and line "
    "item control number: gives the diagnoses, places of service and lines as billed.",
)
@click.option(
    "--setting",
    default="practitioner",
    show_default=True,
    help="Setting of professional claims: practitioner or dme (institutional claims are "
    "outpatient).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output: a readable report, JSON (rows and summary), or CSV (one row per adjustment).",
)
def command(remittance: Path, claims_file: Path | None, setting: str, fmt: str) -> None:
    """Explain an X12 835 remittance: every adjusted service line with its group code, CARC
    and RARCs in plain words, re-checked against the loaded tables by the claim rules, with
    whether a rule reproduces the denial (CARC 97/236: the PTP pair and its modifier
    indicator; 151/119: the MUE and its MAI; 4: the modifier rules; 11/167: the diagnosis;
    50: the NCD that may apply; 18: the duplicate), the canonical reference and the fix.

    Example: medref denials examples/remittance.835 --claims examples/denied-claims.csv
    """
    from medref.claims.values import Invalid, to_setting
    from medref.services.denials import denials_file

    chosen = to_setting(setting)
    if isinstance(chosen, Invalid):
        raise click.BadParameter(chosen.problem, param_hint="--setting")
    result = denials_file(resources(), remittance, claims_file, chosen)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        write_csv(result["denials"])
    else:
        click.echo(report_text(result))


def flat(row: dict[str, Any]) -> dict[str, object]:
    return {
        **{key: row.get(key) for key in COLUMNS},
        "modifiers": "|".join(row["modifiers"]),
        "rarcs": "|".join(remark["code"] for remark in row["rarcs"]),
        "clp_segment": row["place"]["clp_segment"],
        "svc_segment": row["place"].get("svc_segment"),
    }


def write_csv(rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(flat(row))


def report_text(result: dict[str, Any]) -> str:
    lines: list[str] = []
    claim = None
    for row in result["denials"]:
        place = row["place"]
        if place["clp_segment"] != claim:
            claim = place["clp_segment"]
            lines.append(
                f"claim {row['claim_id']} (payer claim {place['payer_claim_number'] or '-'}; ISA "
                f"{place['interchange']} / GS {place['group']} / ST {place['transaction']}, CLP at "
                f"segment {place['clp_segment']})"
            )
        what = (
            f"line {row['line']} {row['code']}"
            + ("-" + "-".join(row["modifiers"]) if row["modifiers"] else "")
            + f" x{row['units']} on {row['date_of_service']}"
            if row["line"] is not None
            else "whole claim"
        )
        remarks = "; ".join(
            f"{r['code']}" + (f" ({r['meaning']})" if r["meaning"] else "") for r in row["rarcs"]
        )
        lines += [
            f"  {what}: {row['group']}-{row['carc']} ${row['amount']}: {row['carc_meaning']}",
            f"    {row['group']}: {row['group_meaning']}",
        ]
        if remarks:
            lines.append(f"    remarks: {remarks}")
        lines += [
            f"    {row['verdict'].upper().replace('_', ' ')}"
            + (f" by {row['rule']}" if row["rule"] else "")
            + (f" [{row['ref']}]" if row["ref"] else "")
            + f": {row['evidence']}",
            f"    fix: {row['fix']}",
        ]
    summary = result["summary"]
    x12 = summary["x12"]
    verdicts = ", ".join(f"{count} {name}" for name, count in sorted(summary["by_verdict"].items()))
    lines += [
        "",
        f"{summary['claims']:,} claims, {summary['service_lines']:,} service lines read; "
        f"{summary['adjusted_lines']:,} lines adjusted, {summary['adjustments']:,} adjustments: "
        f"{verdicts or 'none'}",
        f"X12: {x12['interchanges']} interchanges, {x12['functional_groups']} groups, "
        f"{x12['transaction_sets']} transaction sets, {x12['segments']:,} segments",
    ]
    for problem in x12["problems"]:
        lines.append(
            f"  ERROR segment {problem['segment']} ({problem['segment_id']}): {problem['message']}"
        )
    if not summary["claims_file_given"]:
        lines.append(
            "Re-checked from the 835 alone: no diagnoses (give --claims FILE for CARC 11/167)"
        )
    return "\n".join(lines)

"""`medref code`: any code explained for a date of service, or a diff of two releases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from medref.commands.options import date_of_service_option, day, echo_json, json_option, resources
from medref.errors import InputError

DIFF_SHOWN = 20


@click.command(
    "code",
    epilog="Example: medref code G0439 --date-of-service 2025-03-01; "
    "medref code --diff 2025 2026-04 --source icd10cm",
)
@click.argument("code", required=False)
@date_of_service_option
@click.option(
    "--diff",
    "releases",
    nargs=2,
    metavar="RELEASE_A RELEASE_B",
    help="Compare two releases of a code set instead of explaining a code.",
)
@click.option(
    "--source",
    help="Code set of --diff, e.g. icd10cm (default: the one holding both releases).",
)
@json_option
def command(
    code: str | None,
    date_of_service: datetime | None,
    releases: tuple[str, str] | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Explain a CPT, HCPCS, ICD-10-CM/PCS code, modifier or place of service.

    Shows the system and category, validity on the date of service, the official record,
    fee schedule indicators, MUEs, PTP edits, add-on relations and texts citing the code.
    CPT descriptors appear only from a licensed file named by MEDREF_CPT_DESCRIPTORS.
    """
    from medref.services.codes import code_card, code_diff

    if releases:
        if code:
            raise InputError("give a code or --diff, not both")
        result = code_diff(resources(), source, *releases)
        _output(result if as_json else render_diff(result))
        return
    if not code:
        raise InputError("give a code, e.g. `medref code 99213`, or --diff RELEASE_A RELEASE_B")
    card = code_card(resources(), code, day(date_of_service))
    _output(card if as_json else render_card(card))


def _output(value: dict[str, Any] | list[str]) -> None:
    """JSON for a dict, one line each for text."""
    if isinstance(value, dict):
        echo_json(value)
        return
    for line in value:
        click.echo(line)


def render_card(card: dict[str, Any]) -> list[str]:
    """The card as readable text, most useful facts first."""
    verdict = {True: "valid", False: "NOT valid", None: "validity unknown"}[card["valid"]]
    head = card["code"] + (f"-{'-'.join(card['modifiers'])}" if card["modifiers"] else "")
    lines = [f"{head}  {card['system']}  [{card['ref'] or 'no reference'}]"]
    if card["category"]:
        lines.append(
            f"category: {card['category']}"
            + (f" / {card['subcategory']}" if card["subcategory"] else "")
        )
    when = f" on {card['date_of_service']}" if card["date_of_service"] else ""
    lines.append(f"{verdict}{when}: {card['validity']}")
    if card["mixed_periods"]:
        lines.append(f"warning: {card['mixed_periods']}")
    if card["descriptor"]:
        lines.append(f"descriptor (licensed file): {card['descriptor']}")
    if card["record"]:
        lines.append(
            f"{card['record']['ref']} ({card['record']['source']} {card['record']['release']}): "
            f"{card['record']['title']}"
        )
        # every line of the record, its first (the HCPCS long descriptor) included
        lines += [f"  {line}" for line in str(card["record"]["text"]).splitlines()]
    lines += _icd_lines(card["icd"]) + _modifier_lines(card)
    lines += _pfs_lines(card["pfs"]) + _mue_lines(card["mue"]) + _ptp_lines(card["ptp"])
    lines += _aoc_lines(card["add_on"])
    lines += [f"mentioned in {m['ref']}: {m['title']}" for m in card["mentions"]]
    lines += [
        f"also reads as {o['system']} {o['ref'] or ''}" + (" (known)" if o["known"] else "")
        for o in card["other_readings"]
    ]
    lines += [f"note: {gap}" for gap in card["gaps"]]
    if card["periods"]:
        read = "; ".join(f"{p['table']} {p['release']} ({p['covers']})" for p in card["periods"])
        lines.append(f"tables read: {read}")
    return lines


def _icd_lines(icd: dict[str, Any] | None) -> list[str]:
    if icd is None:
        return []
    lines = [f"parent: {icd['parent'] or '-'}; billable: {'yes' if icd['billable'] else 'no'}"]
    if icd["children"]:
        shown = ", ".join(icd["children"][:DIFF_SHOWN])
        more = len(icd["children"]) - DIFF_SHOWN
        lines.append(f"children: {shown}" + (f" and {more} more" if more > 0 else ""))
    return lines


def _modifier_lines(card: dict[str, Any]) -> list[str]:
    found = [card["modifier"]] if card["modifier"] else card["modifier_checks"]
    lines = []
    for item in found:
        if item["known"]:
            flags = ", ".join(item["flags"]) or "no NCCI or payment flags"
            lines.append(f"modifier {item['code']}: {item['summary']} ({flags})")
        else:
            lines.append(f"modifier {item['code']}: not in medref's modifier table")
    return lines


def _pfs_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        applies = "" if row["applies"] else f" does NOT apply: {row['does_not_apply_because']}"
        lines.append(f"fee schedule {row['ref']} (release {row['release']}){applies}:")
        lines += [
            f"  {i['name']} {i['value']}: {i['meaning'] or '(not decoded)'}"
            for i in row["indicators"]
        ]
    return lines


def _mue_lines(rows: list[dict[str, Any]]) -> list[str]:
    return [
        f"MUE {row['setting']} (release {row['release']}): {row['units']} "
        f"unit{'' if row['units'] == 1 else 's'}, MAI {row['mai']} ({row['mai_meaning']})"
        for row in rows
    ]


def _ptp_lines(ptp: dict[str, Any]) -> list[str]:
    lines = []
    for setting, sides in ptp.items():
        for side in ("as_column_1", "as_column_2"):
            found = sides[side]
            pairs = ", ".join(
                f"{p['ref']} (mod {p['modifier_indicator']})" for p in found["top_pairs"][:5]
            )
            lines.append(
                f"PTP {setting} (release {sides['release']}) {side.replace('_', ' ')}: "
                f"{found['active']} active of {found['rows']}"
                + (f"; e.g. {pairs}" if pairs else "")
            )
    return lines


def _aoc_lines(add_on: dict[str, Any]) -> list[str]:
    lines = []
    if add_on.get("as_add_on"):
        primaries = ", ".join(r["code"] for r in add_on["as_add_on"][:DIFF_SHOWN])
        lines.append(
            f"add-on code (NCCI release {add_on['release']}); primaries: {primaries} "
            f"(type {add_on['as_add_on'][0]['edit_type']})"
        )
    if add_on.get("as_primary"):
        addons = ", ".join(r["code"] for r in add_on["as_primary"][:DIFF_SHOWN])
        lines.append(f"primary for add-on codes (NCCI release {add_on['release']}): {addons}")
    return lines


def render_diff(result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['source']} {result['release_a']} -> {result['release_b']}: "
        f"{len(result['added'])} added, {len(result['deleted'])} deleted, "
        f"{len(result['changed'])} changed"
    ]
    for label, rows in (("added", result["added"]), ("deleted", result["deleted"])):
        lines += [f"  {label} {row['code']}: {row['title']}" for row in rows[:DIFF_SHOWN]]
    for change in result["changed"][:DIFF_SHOWN]:
        lines.append(f"  changed {change['code']}: {', '.join(change['fields'])}")
        lines += [
            f"    {name}: {change['before'][name]!r} -> {change['after'][name]!r}"
            for name in change["before"]
        ]
    if max(len(result["added"]), len(result["deleted"]), len(result["changed"])) > DIFF_SHOWN:
        lines.append(f"  (first {DIFF_SHOWN} of each shown; --json lists all)")
    return lines

"""NCCI add-on code edits: IOM 100-04, chapter 23, §20.9 (an add-on code is rarely payable
without its primary service by the same practitioner) and the quarter's AOC table.

For each line whose code is an add-on code, the lines on the same date of service by the
same rendering provider (the claim's; with a patient id, every claim of the patient) are
searched for an acceptable primary code:
- type 1 (every acceptable primary is listed): fail without one;
- type 2 (no specific primary, `CCCCC`): pass, noting that the contractor decides which
  primaries are acceptable;
- type 3 (some primaries listed, the contractor may accept others): without a listed one,
  a `warning`: the MAC may accept another primary, and a person checks its policy;
- a primary that is there but itself denied (failed by an earlier rule: a PTP column 2 code,
  over its MUE, not valid) leaves the add-on without a payable primary: fail, naming the
  denial, when no other listed primary on the day is payable.
Lines whose code is not an add-on code get no finding: the rule does not apply to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope
from medref.codes.ncci import CONTRACTOR_DEFINED_PRIMARY

RULE_ID = "add_on"
SECTION = "IOM:100-04/23/20.9"
SHOWN_PRIMARIES = 5


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    table = ctx.tables.aoc
    claim_id = claim.claim_id
    scope = ctx.lines_of(claim)
    for day, lines in claim.by_date().items():
        loaded = table.on(day)
        if loaded is None:
            reason = f"cannot tell whether these are add-on codes: {table.outside(day)}"
            for line in lines:
                yield Finding(claim_id, line.line, RULE_ID, "no_data", reason, SECTION, table.label)
            continue
        add_ons, vintage = loaded.data, loaded.vintage
        day_lines = scope.on(day)
        for line in lines:
            add_on = add_ons.get(line.code)
            if add_on is None:
                continue  # not an add-on code: the rule does not apply
            if add_on.edit_type == 2:
                if ctx.passes:
                    yield Finding(
                        claim_id,
                        line.line,
                        RULE_ID,
                        "pass",
                        f"add-on code {line.code} (type 2) has no specific primary code: the "
                        "Medicare contractor decides which primaries are acceptable",
                        f"AOC:{CONTRACTOR_DEFINED_PRIMARY}/{line.code}",
                        vintage,
                    )
                continue
            primaries = [
                other
                for other in day_lines
                if other.code in add_on.primaries and other.rendering_npi == line.rendering_npi
            ]
            if primaries:
                found = Found(line, add_on.edit_type, primaries, day, vintage)
                finding = with_primary(claim_id, found, scope, ctx)
                if finding.status != "pass" or ctx.passes:
                    yield finding
                continue
            yield without_primary(claim_id, line, add_on.edit_type, add_on.primaries, day, vintage)


class Found(NamedTuple):
    """An add-on line and the listed primaries on its day."""

    line: ClaimLine
    edit_type: int
    primaries: list[ClaimLine]
    day: date
    vintage: str


def with_primary(claim_id: str, found: Found, scope: Scope, ctx: RuleContext) -> Finding:
    """Pass with a payable primary; fail when every primary present is denied."""
    line, edit_type, primaries, day, vintage = found
    payable = [p for p in primaries if id(p) not in ctx.denied]
    if payable:
        primary = min(payable, key=lambda p: p.code)
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "pass",
            f"add-on code {line.code} (type {edit_type}) has its primary {primary.code} "
            f"({scope.where(primary)}) on {day}",
            f"AOC:{primary.code}/{line.code}",
            vintage,
        )
    primary = min(primaries, key=lambda p: p.code)
    denial = ctx.denied[id(primary)]
    finding = Finding(
        claim_id,
        line.line,
        RULE_ID,
        "fail",
        f"add-on code {line.code} (type {edit_type}): its primary {primary.code} "
        f"({scope.where(primary)}) is itself denied ({denial.rule} {denial.ref}), so the add-on "
        "has no payable primary on the day",
        f"AOC:{primary.code}/{line.code}",
        vintage,
    )
    return ctx.deny(line, finding)


def without_primary(
    claim_id: str,
    line: ClaimLine,
    edit_type: int,
    listed_primaries: frozenset[str],
    day: date,
    vintage: str,
) -> Finding:
    listed = sorted(listed_primaries)
    shown = ", ".join(listed[:SHOWN_PRIMARIES])
    more = f" and {len(listed) - SHOWN_PRIMARIES} more" if len(listed) > SHOWN_PRIMARIES else ""
    message = (
        f"add-on code {line.code} (type {edit_type}) has none of its listed primary codes "
        f"({shown}{more}) on {day}"
    )
    if edit_type == 3:
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "warning",
            message + "; for type 3 edits the MAC may accept other primary codes: the "
            "contractor's call, so check its policy before sending the claim",
            f"AOC:{listed[0]}/{line.code}",
            vintage,
        )
    return Finding(
        claim_id,
        line.line,
        RULE_ID,
        "fail",
        message + "; report it with one of them on the same date",
        f"AOC:{listed[0]}/{line.code}",
        vintage,
    )

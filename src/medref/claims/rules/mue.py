"""NCCI medically unlikely edits: IOM 100-04, chapter 23, §20.9 (MUE program) and
§20.9.1.1 C (claim line edits and modifiers); the MUE table of the claim's setting
(practitioner, outpatient hospital or DME supplier: §20.9 names all three).

The MUE adjudication indicator (MAI) says what the limit counts:
- MAI 1, a claim line edit: the units of each line are compared with the limit (the same
  code on another line, with an appropriate modifier, is counted separately);
- MAI 2 (policy) and MAI 3 (clinical): a date of service edit: the units of every line of the
  code on one date of service by the same rendering provider are summed (the claim's lines;
  with a patient id, every claim of the patient: §20.9.1.1 A puts "all line items for the
  same beneficiary, same NPI, and same date of service" under the edits), and when the sum
  exceeds the limit every one of those lines fails (CMS denies all the units of the day).
  MAI 3 excess units may be paid on appeal with records; MAI 2 limits are absolute.
A code without an MUE passes (the table has no limit for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope
from medref.claims.tables import MueLimit
from medref.codes.ncci import MAI_MEANINGS

RULE_ID = "mue"
SECTION = "IOM:100-04/23/20.9"


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    table = ctx.tables.mue[claim.setting]
    claim_id = claim.claim_id
    scope = ctx.lines_of(claim)
    for day, lines in claim.by_date().items():
        loaded = table.on(day)
        if loaded is None:
            reason = table.outside(day)
            for line in lines:
                yield Finding(claim_id, line.line, RULE_ID, "no_data", reason, SECTION, table.label)
            continue
        limits, vintage = loaded.data, loaded.vintage
        memo = table.memo
        day_lines = scope.on(day)
        for line in lines:
            code = line.code
            limit = limits.get(code)
            if limit is None:
                if ctx.passes:
                    message = f"no MUE for {code} in the {claim.setting} table"
                    yield Finding(claim_id, line.line, RULE_ID, "pass", message, SECTION, vintage)
                continue
            if limit.mai == 1 or len(day_lines) == 1:
                total = line.units
            else:
                total = 0
                for other in day_lines:
                    if other.code == code and other.rendering_npi == line.rendering_npi:
                        total += other.units
            if total > limit.units:
                if limit.mai == 1:
                    message = per_line(line, limit)
                else:
                    group = [
                        other
                        for other in day_lines
                        if other.code == code and other.rendering_npi == line.rendering_npi
                    ]
                    message = per_day(group, limit, day, scope)
                finding = Finding(
                    claim_id, line.line, RULE_ID, "fail", message, f"MUE:{code}", vintage
                )
                yield ctx.deny(line, finding)
            elif ctx.passes:
                key = (total, limit)
                known: str | None = memo.get(key)
                if known is None:
                    known = memo[key] = within(total, limit)
                yield Finding(claim_id, line.line, RULE_ID, "pass", known, f"MUE:{code}", vintage)


def within(total: int, limit: MueLimit) -> str:
    scope = "per line" if limit.mai == 1 else "per date of service"
    return f"{units(total)} within the MUE of {units(limit.units)} {scope}"


def units(count: int) -> str:
    return f"{count} unit" + ("" if count == 1 else "s")


def per_line(line: ClaimLine, limit: MueLimit) -> str:
    return (
        f"{units(line.units)} of {line.code} on line {line.line} exceed the MUE of "
        f"{units(limit.units)} per line (MAI 1: {MAI_MEANINGS[1]})"
    )


def per_day(group: list[ClaimLine], limit: MueLimit, day: date, scope: Scope) -> str:
    total = sum(line.units for line in group)
    counted = (
        " + ".join(f"{line.units} ({scope.where(line)})" for line in group) + f" = {total}"
        if len(group) > 1
        else str(total)
    )
    return (
        f"{counted} units of {group[0].code} on {day} exceed the MUE of {units(limit.units)} "
        f"per date of service (MAI {limit.mai}: {MAI_MEANINGS[limit.mai]})"
    )

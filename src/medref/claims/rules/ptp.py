"""NCCI procedure-to-procedure edits: IOM 100-04, chapter 23, §20.9 and §20.9.1.1.

Every two lines with different codes on the same date of service are looked up, both ways
round, in the PTP table of the claim's setting (practitioner or outpatient hospital) for the
quarter in force on that date. A deletion date is the last date of service an edit applies
to (the tables date a deletion at the end of a quarter). The edit in force decides, and the
finding sits on the column 2 line, the one that is denied:

- modifier indicator 0: fail, whatever the modifiers;
- 1: bypassed when an NCCI PTP-associated modifier is appended to either line of the pair,
  since §20.9.1.1 lets the edit be bypassed "if an NCCI PTP-associated modifier is
  appropriately appended to one of the codes". Two exceptions from the same section: when
  both lines carry the same anatomic modifiers, those do not bypass (another associated
  modifier must); and 59, XE, XP, XS, XU on an E/M code are processed as if absent;
- 9: not applicable, pass (CMS uses 9 for pairs deleted on their effective date).

A pair whose every row was deleted before the date passes with that deletion date. A line
that is column 2 of no edit passes (when passes are reported).

DME supplier claims: §20.9 names PTP tables for physicians/practitioners and outpatient
hospital services only (MUE tables exist for those and for durable medical equipment), so
every line of a DME claim is `no_data`, saying so, never `pass`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext, is_em
from medref.claims.tables import PtpCell, ptp_verdict

RULE_ID = "ptp"
SECTION = "IOM:100-04/23/20.9.1.1"
TABLES_SECTION = "IOM:100-04/23/20.9"
"""Where CMS says which PTP tables it publishes."""
NO_DME_TABLE = (
    "NCCI publishes no PTP table for DME supplier claims: its PTP edits are tables for "
    "practitioner and outpatient hospital services only (IOM 100-04, chapter 23, §20.9), so "
    "code pairs on this claim are not checked"
)
NO_TABLE_VINTAGE = "NCCI PTP (no DME supplier table)"

DISTINCT_SERVICE = frozenset({"59", "XE", "XP", "XS", "XU"})
ANATOMIC = frozenset(
    {
        "E1",
        "E2",
        "E3",
        "E4",
        "FA",
        "F1",
        "F2",
        "F3",
        "F4",
        "F5",
        "F6",
        "F7",
        "F8",
        "F9",
        "TA",
        "T1",
        "T2",
        "T3",
        "T4",
        "T5",
        "T6",
        "T7",
        "T8",
        "T9",
        "LT",
        "RT",
        "LC",
        "LD",
        "RC",
        "LM",
        "RI",
    }
)
GLOBAL_SURGERY = frozenset({"24", "25", "57", "58", "78", "79"})
OTHER = frozenset({"27", "91"})
ASSOCIATED = DISTINCT_SERVICE | ANATOMIC | GLOBAL_SURGERY | OTHER
"""NCCI PTP-associated modifiers, as §20.9.1.1 lists them."""


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    table = ctx.tables.ptp.get(claim.setting)
    claim_id = claim.claim_id
    if table is None:  # DME supplier claims: no PTP table exists
        for line in claim.lines:
            yield Finding(
                claim_id,
                line.line,
                RULE_ID,
                "no_data",
                NO_DME_TABLE,
                TABLES_SECTION,
                NO_TABLE_VINTAGE,
            )
        return
    for day, lines in claim.by_date().items():
        loaded = table.on(day)
        if loaded is None:
            reason = table.outside(day)
            for line in lines:
                yield Finding(claim_id, line.line, RULE_ID, "no_data", reason, SECTION, table.label)
            continue
        index, vintage = loaded.data, loaded.vintage
        ordinal = day.toordinal()
        judged: set[int] = set()
        if len(lines) > 1:  # a pair needs two lines on the date
            for first in lines:
                row = index.get(first.code)
                if row is None:
                    continue
                for second in lines:
                    if second.code == first.code:
                        continue
                    cell = row.get(second.code)
                    if cell is None:
                        continue
                    judged.add(second.line)
                    finding = judge(claim_id, first, second, cell, day, ordinal, vintage)
                    if ctx.passes or finding.status != "pass":
                        yield finding
        if ctx.passes:
            memo = table.memo
            for line in lines:
                if line.line not in judged:
                    message = memo.get(line.code)
                    if message is None:
                        message = memo[line.code] = (
                            f"no PTP edit in force makes {line.code} a column 2 code of another "
                            "code on its date of service"
                        )
                    yield Finding(claim_id, line.line, RULE_ID, "pass", message, SECTION, vintage)


def judge(
    claim_id: str,
    first: ClaimLine,
    second: ClaimLine,
    cell: PtpCell,
    day: date,
    ordinal: int,
    vintage: str,
) -> Finding:
    """The verdict on one pair: `first` is column 1, `second` column 2."""
    ref = f"PTP:{first.code}/{second.code}"
    pair = (
        f"{ref}: column 2 code {second.code} (line {second.line}) with column 1 code "
        f"{first.code} (line {first.line}) on {day}"
    )
    indicator, deleted = ptp_verdict(cell, ordinal)
    if indicator is None:
        when = f"deleted {deleted}" if deleted else "not yet effective"
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "pass",
            f"{pair}: the edit was {when}, so it does not apply",
            ref,
            vintage,
        )
    if indicator == 9:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "pass",
            f"{pair}: modifier indicator 9, the edit does not apply",
            ref,
            vintage,
        )
    if indicator == 0:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "fail",
            f"{pair}: modifier indicator 0, no modifier bypasses this edit; the column 2 "
            "code is not payable with the column 1 code",
            ref,
            vintage,
        )
    modifier, note = bypassing_modifier(first, second)
    if modifier is not None:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "bypassed",
            f"{pair}: modifier indicator 1, bypassed by modifier {modifier}; the record must "
            "show the services were distinct",
            ref,
            vintage,
        )
    return Finding(
        claim_id,
        second.line,
        RULE_ID,
        "fail",
        f"{pair}: modifier indicator 1 and no NCCI PTP-associated modifier{note}; append one "
        "(59, XE, XP, XS, XU, an anatomic or global surgery modifier, 27 or 91) only when "
        "the services were distinct",
        ref,
        vintage,
    )


def bypassing_modifier(first: ClaimLine, second: ClaimLine) -> tuple[str | None, str]:
    """The modifier that bypasses a modifier-indicator-1 edit and where it is ("XS on line
    2"), else None and why not."""
    note = ""
    for line in (second, first):
        for modifier in line.modifiers:
            if modifier not in ASSOCIATED or modifier in ANATOMIC:
                continue
            if modifier in DISTINCT_SERVICE and is_em(line.code):
                note = f" ({modifier} on E/M code {line.code} is processed as if absent)"
                continue
            return f"{modifier} on line {line.line}", ""
    second_sides = ANATOMIC.intersection(second.modifiers)
    first_sides = ANATOMIC.intersection(first.modifiers)
    if second_sides != first_sides:
        if second_sides - first_sides:
            return f"{min(second_sides - first_sides)} on line {second.line}", ""
        return f"{min(first_sides - second_sides)} on line {first.line}", ""
    if second_sides:
        note = f" (both lines carry {', '.join(sorted(second_sides))}: the same anatomic "
        note += "modifier does not bypass)"
    return None, note

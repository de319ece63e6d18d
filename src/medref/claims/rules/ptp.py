"""NCCI procedure-to-procedure edits: IOM 100-04, chapter 23, §20.9 and §20.9.1.1.

Every two lines with different codes on the same date of service are looked up, both ways
round, in the PTP table of the claim's setting (practitioner or outpatient hospital) for the
quarter in force on that date. A deletion date is the last date of service an edit applies
to (the tables date a deletion at the end of a quarter). The edit in force decides, and the
finding sits on the column 2 line, the one that is denied:

- modifier indicator 0: fail, whatever the modifiers;
- 1: bypassed when an NCCI PTP-associated modifier is "appropriately appended to one of the
  codes" (§20.9.1.1 A). Appropriately means on the code it describes
  (`codes.modifier_groups.PLACEMENT`): 25, 57 and 24 on an E/M line; 58, 78 and 79 on a
  procedure; 91 on a laboratory test; 27 on an E/M of an outpatient hospital claim. 59, XE,
  XP, XS, XU are processed as if absent on E/M codes and on 77427 (§20.9.1.1 B). Anatomic
  modifiers show different sites only when both lines name a site and the sites differ; the
  same site on both lines, or a site on one line only, bypasses nothing (and an E/M has no
  site);
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
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding, Setting
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope
from medref.claims.tables import PtpCell, ptp_verdict
from medref.codes import modifier_groups as groups
from medref.codes.service_kinds import code_kind, is_em

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

ASSOCIATED = groups.ASSOCIATED
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
    scope = ctx.lines_of(claim)
    labs = ctx.tables.level_2_labs()
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
        day_lines = scope.on(day)
        if len(day_lines) > 1:  # a pair needs two lines on the date
            for first in day_lines:
                row = index.get(first.code)
                if row is None:
                    continue
                for second in lines:
                    if second.code == first.code:
                        continue
                    cell = row.get(second.code)
                    if cell is None or first.rendering_npi != second.rendering_npi:
                        continue
                    judged.add(second.line)
                    pair = Pair(first, second, claim.setting, scope, labs)
                    finding = judge(claim_id, pair, cell, day, ordinal, vintage)
                    if finding.status == "fail":
                        ctx.deny(second, finding)
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


class Pair(NamedTuple):
    first: ClaimLine
    """Column 1."""
    second: ClaimLine
    """Column 2: the line the finding sits on."""
    setting: Setting
    scope: Scope
    labs: frozenset[str]
    """Level II codes the HCPCS file types as laboratory tests (for modifier 91)."""


def judge(
    claim_id: str, pair: Pair, cell: PtpCell, day: date, ordinal: int, vintage: str
) -> Finding:
    """The verdict on one pair."""
    first, second = pair.first, pair.second
    ref = f"PTP:{first.code}/{second.code}"
    where = pair.scope.where(first)
    text = (
        f"{ref}: column 2 code {second.code} (line {second.line}) with column 1 code "
        f"{first.code} ({where}) on {day}"
    )
    indicator, deleted = ptp_verdict(cell, ordinal)
    if indicator is None:
        when = f"deleted {deleted}" if deleted else "not yet effective"
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "pass",
            f"{text}: the edit was {when}, so it does not apply",
            ref,
            vintage,
        )
    if indicator == 9:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "pass",
            f"{text}: modifier indicator 9, the edit does not apply",
            ref,
            vintage,
        )
    if indicator == 0:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "fail",
            f"{text}: modifier indicator 0, no modifier bypasses this edit; the column 2 "
            "code is not payable with the column 1 code",
            ref,
            vintage,
        )
    modifier, notes = bypassing_modifier(pair)
    if modifier is not None:
        return Finding(
            claim_id,
            second.line,
            RULE_ID,
            "bypassed",
            f"{text}: modifier indicator 1, bypassed by {modifier}; the record must "
            "show the services were distinct",
            ref,
            vintage,
        )
    said = f" ({'; '.join(notes)})" if notes else ""
    return Finding(
        claim_id,
        second.line,
        RULE_ID,
        "fail",
        f"{text}: modifier indicator 1 and no NCCI PTP-associated modifier appropriately "
        f"appended{said}; append one (59, XE, XP, XS, XU on a non-E/M code, anatomic "
        "modifiers naming different sites on both lines, 25/57/24 on the E/M, 58/78/79 on "
        "the procedure, 91 on a repeated lab test) only when the services were distinct",
        ref,
        vintage,
    )


def bypassing_modifier(pair: Pair) -> tuple[str | None, list[str]]:
    """The modifier that bypasses a modifier-indicator-1 edit and where it is ("XS on line
    2"), else None and why the associated modifiers present do not."""
    notes: list[str] = []
    for line in (pair.second, pair.first):
        where = pair.scope.where(line)
        for modifier in line.modifiers:
            if modifier not in ASSOCIATED or modifier in groups.ANATOMIC:
                continue
            problem = misplaced(modifier, line, pair)
            if problem is None:
                return f"modifier {modifier} on {where}", []
            notes.append(problem)
    found, note = different_sites(pair)
    if note:
        notes.append(note)
    return found, notes


def misplaced(modifier: str, line: ClaimLine, pair: Pair) -> str | None:
    """Why `modifier` on `line` does not count for the pair, None when it does."""
    if modifier in groups.DISTINCT_SERVICE:
        if is_em(line.code):
            return f"{modifier} on E/M code {line.code} is processed as if absent"
        if line.code in groups.DISTINCT_SERVICE_IGNORED_ON:
            return f"{modifier} on {line.code} is processed as if absent"
        return None
    placement = groups.PLACEMENT[modifier]
    kind = code_kind(line.code, line.code in pair.labs)
    if kind in placement.kinds and pair.setting in placement.settings:
        return None
    return f"{modifier} on {line.code} does not count: {placement.why} ({placement.basis})"


def different_sites(pair: Pair) -> tuple[str | None, str]:
    """Anatomic modifiers bypass when both lines name sites and no site is on both."""
    first, second = pair.first, pair.second
    first_sites = groups.ANATOMIC.intersection(first.modifiers)
    second_sites = groups.ANATOMIC.intersection(second.modifiers)
    if not first_sites and not second_sites:
        return None, ""
    for line in (first, second):
        if is_em(line.code) and groups.ANATOMIC.intersection(line.modifiers):
            return None, f"an anatomic modifier on E/M code {line.code} names no site"
    if first_sites and second_sites:
        shared = first_sites & second_sites
        if shared:
            return None, (
                f"both lines carry {', '.join(sorted(shared))}: the same anatomic modifier "
                "does not bypass"
            )
        return (
            f"anatomic modifiers {'/'.join(sorted(second_sites))} on line {second.line} and "
            f"{'/'.join(sorted(first_sites))} on {pair.scope.where(first)} (different sites)",
            "",
        )
    alone, sites = (first, first_sites) if first_sites else (second, second_sites)
    other = second if alone is first else first
    return None, (
        f"{'/'.join(sorted(sites))} on {pair.scope.where(alone)} alone does not show different "
        f"sites: {other.code} on {pair.scope.where(other)} names none"
    )

"""Place of service: a code CMS has assigned (the CMS place of service code set, `POS:<nn>`).

Professional claims, practitioner and DME supplier (the CMS-1500 / 837P, where a supplier
gives e.g. 12, home), give a place of service on every line (item 24B, IOM 100-04 chapter 26);
an empty one fails. Outpatient hospital claims (institutional) carry none, so an empty place
of service there gets no finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from medref.claims.model import PROFESSIONAL_SETTINGS, Claim, Finding
from medref.claims.rules.base import Outcome, RuleContext
from medref.claims.tables import Lookup, PlaceOfService, Versioned

RULE_ID = "place_of_service"
CODE_SET = "POS"
FORM_CHAPTER = "IOM:100-04/26"
"""Completing and processing the CMS-1500 data set."""


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    table = ctx.tables.pos
    memo = table.memo
    for line in claim.lines:
        code = line.place_of_service
        if not code:
            if claim.setting in PROFESSIONAL_SETTINGS:
                yield Finding(
                    claim.claim_id,
                    line.line,
                    RULE_ID,
                    "fail",
                    f"line {line.line} has no place of service: professional claims give one "
                    "on every line",
                    FORM_CHAPTER,
                    CODE_SET,
                )
            continue
        key = (code, line.date_of_service)
        outcome = memo.get(key)
        if outcome is None:
            outcome = memo[key] = judge(table, code, line.date_of_service)
        if ctx.passes or outcome.status != "pass":
            yield Finding(claim.claim_id, line.line, RULE_ID, *outcome)


def judge(table: Versioned[Lookup[str, PlaceOfService]], code: str, day: date) -> Outcome:
    ref = f"POS:{code}"
    loaded = table.on(day)
    if loaded is None:
        return Outcome("no_data", table.outside(day), ref, table.label)
    place = loaded.data.get(code)
    if place is None:
        return Outcome("fail", f"{code} is not a place of service code", ref, loaded.vintage)
    if not place.assigned:
        return Outcome(
            "fail",
            f"place of service {code} is unassigned: CMS has given it no meaning",
            ref,
            loaded.vintage,
        )
    return Outcome("pass", f"place of service {code}: {place.name}", ref, loaded.vintage)

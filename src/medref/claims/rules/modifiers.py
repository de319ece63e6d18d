"""Modifiers: known, and allowed by the code's Physician Fee Schedule indicators.

Known: a Level II modifier listed and in force in the HCPCS file (`MOD:<mod>`), one of the
two-digit CPT modifiers medref knows by number (`medref.codes.modifiers`), a CPT Category II
modifier (1P, 2P, 3P, 8P) on a Category II code, or an ambulance origin/destination pair
(`RH`, residence to hospital) on an ambulance code (IOM 100-04, chapter 15, §30 A).

Payment modifiers against the PFS indicators of the line's code (RVU file layout and its
Attachment A; IOM 100-04, chapter 12, §40.6-40.8 for multiple, bilateral, co- and team
surgery), `PFS:<code>`:
- 26 needs PC/TC indicator 1 (diagnostic test with both components) or 6 (laboratory
  physician interpretation, where only TC is ruled out); TC needs indicator 1;
- 50 passes with bilateral indicator 1 (150% adjustment) or 3 (each side paid); with 0
  (adjustment inappropriate) or 2 (RVUs already bilateral) it is a warning: the line is paid,
  both sides at most 100% of the single-code amount (§40.7 C.3 and the RVU file's words for
  those values), so 50 buys nothing and a person should look; with 9 it fails;
- 51 passes whatever the multiple procedure indicator: Medicare finds multiple procedures
  itself, by 51 or by more than one procedure on the day (§40.6 C.1), and applies the
  reduction the indicator names (none for 0 and 9); the message says which;
- 62 passes with co-surgeon indicator 2 and 66 with team surgery indicator 2; indicator 1
  ("supporting documentation is required to establish medical necessity") is a warning,
  0 and 9 fail;
- 80, 81, 82 and AS pass with assistant at surgery indicator 2; 0 ("payment restriction
  ... applies unless supporting documentation is submitted to establish medical necessity")
  is a warning; 1 (statutory restriction) and 9 fail.

A warning is what `Status` says it is: the outcome turns on a document the claim cannot
carry or on the contractor's review, or the modifier does not change what is paid; never
`pass`, never a denial the tables decide.
Lines without modifiers get no finding from this rule.

DME supplier claims are paid on the DMEPOS fee schedule, not the PFS, so their modifiers
(NU, RR, UE, KX, RT/LT, ...) are checked only for being known; a payment modifier above on a
DME claim is not judged against PFS indicators, and a code the PFS does not list is no
failure there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext, listed_on
from medref.claims.tables import PfsIndicators
from medref.codes import modifier_groups as groups
from medref.codes import pfs_indicators as pfs
from medref.codes.modifiers import CPT_MODIFIER_NUMBERS
from medref.codes.service_kinds import is_ambulance

RULE_ID = "modifiers"
CPT_VINTAGE = "CPT modifiers (by number)"
REVIEW = "needs a person's review"
"""The words of a warning verdict (`IndicatorRule.review`)."""
NOT_PFS = "; PFS indicators do not govern DME supplier claims, so it is checked only as known"


class IndicatorRule(NamedTuple):
    field: str
    allowed: frozenset[int]
    name: str
    meanings: dict[str, str]
    note: str = ""
    """Said after an allowed verdict."""
    review: frozenset[int] = frozenset()
    """Values under which the tables neither allow nor deny the modifier (documentation,
    review, or a payment it does not change): a warning."""


ASSISTANT = IndicatorRule(
    "asst_surg",
    frozenset({2}),
    "assistant at surgery indicator",
    pfs.ASSISTANT_AT_SURGERY,
    review=frozenset({0}),
)
INDICATOR_RULES: dict[str, IndicatorRule] = {
    "26": IndicatorRule("pctc", frozenset({1, 6}), "PC/TC indicator", pfs.PCTC_INDICATORS),
    "TC": IndicatorRule("pctc", frozenset({1}), "PC/TC indicator", pfs.PCTC_INDICATORS),
    "50": IndicatorRule(
        "bilat_surg",
        frozenset({1, 3}),
        "bilateral surgery indicator",
        pfs.BILATERAL_SURGERY,
        review=frozenset({0, 2}),
    ),
    "51": IndicatorRule(
        "mult_proc",
        frozenset(int(value) for value in pfs.MULTIPLE_PROCEDURE),
        "multiple procedure indicator",
        pfs.MULTIPLE_PROCEDURE,
        "; Medicare identifies multiple procedures itself, with or without 51, and applies "
        "the rule this indicator names (IOM 100-04/12/40.6 C.1)",
    ),
    "62": IndicatorRule(
        "co_surg", frozenset({2}), "co-surgeon indicator", pfs.CO_SURGEONS, review=frozenset({1})
    ),
    "66": IndicatorRule(
        "team_surg",
        frozenset({2}),
        "team surgery indicator",
        pfs.TEAM_SURGERY,
        review=frozenset({1}),
    ),
    "80": ASSISTANT,
    "81": ASSISTANT,
    "82": ASSISTANT,
    "AS": ASSISTANT,
}


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    under_pfs = claim.setting != "dme"
    for line in claim.lines:
        for modifier in line.modifiers:
            finding = judge(claim.claim_id, line, modifier, ctx, under_pfs)
            if ctx.passes or finding.status != "pass":
                yield finding


def judge(
    claim_id: str, line: ClaimLine, modifier: str, ctx: RuleContext, under_pfs: bool
) -> Finding:
    """The verdict on one modifier; `under_pfs` is False on DME supplier claims."""
    rule = INDICATOR_RULES.get(modifier)
    if rule is None:
        return known(claim_id, line, modifier, ctx)
    if under_pfs:
        return against_pfs(claim_id, line, modifier, rule, ctx)
    finding = known(claim_id, line, modifier, ctx)
    finding.message += NOT_PFS
    return finding


def known(claim_id: str, line: ClaimLine, modifier: str, ctx: RuleContext) -> Finding:
    """Whether a modifier exists: a CPT modifier number, a Category II modifier, an ambulance
    origin/destination pair, or a Level II modifier in force."""
    if modifier in groups.CATEGORY_II_MODIFIERS:
        return category_2(claim_id, line, modifier)
    if modifier.isdigit():
        if modifier in CPT_MODIFIER_NUMBERS:
            return Finding(
                claim_id,
                line.line,
                RULE_ID,
                "pass",
                f"{modifier} is a CPT modifier",
                f"MOD:{modifier}",
                CPT_VINTAGE,
            )
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "fail",
            f"{modifier} is not a CPT modifier: check the modifier on line {line.line}",
            f"MOD:{modifier}",
            CPT_VINTAGE,
        )
    outcome = listed_on(
        ctx.tables.modifiers, modifier, line.date_of_service, "modifier", f"MOD:{modifier}"
    )
    if outcome.status != "pass":
        trip = ambulance(claim_id, line, modifier)
        if trip is not None:
            return trip
    return Finding(claim_id, line.line, RULE_ID, *outcome)


def category_2(claim_id: str, line: ClaimLine, modifier: str) -> Finding:
    """Category II modifiers, which the HCPCS modifier list does not hold."""
    meaning = groups.CATEGORY_II_MODIFIERS[modifier]
    on_category_2 = len(line.code) == 5 and line.code[:4].isdigit() and line.code[4] == "F"
    return Finding(
        claim_id,
        line.line,
        RULE_ID,
        "pass" if on_category_2 else "fail",
        f"{modifier} is a CPT Category II modifier ({meaning})"
        + ("" if on_category_2 else f": it is reported with Category II codes, not {line.code}"),
        f"MOD:{modifier}",
        CPT_VINTAGE,
    )


def ambulance(claim_id: str, line: ClaimLine, modifier: str) -> Finding | None:
    """Ambulance origin/destination pairs, which the HCPCS modifier list does not hold."""
    if is_ambulance(line.code):
        trip = groups.ambulance_modifier(modifier)
        if trip is not None:
            return Finding(
                claim_id,
                line.line,
                RULE_ID,
                "pass",
                f"{modifier} is an ambulance origin/destination modifier: {trip}",
                groups.AMBULANCE_SECTION,
                "Ambulance modifiers (IOM 100-04/15/30 A)",
            )
    return None


def against_pfs(
    claim_id: str, line: ClaimLine, modifier: str, rule: IndicatorRule, ctx: RuleContext
) -> Finding:
    table = ctx.tables.pfs
    ref = f"PFS:{line.code}"
    loaded = table.on(line.date_of_service)
    if loaded is None:
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "no_data",
            f"modifier {modifier}: {table.outside(line.date_of_service)}",
            ref,
            table.label,
        )
    indicators: PfsIndicators | None = loaded.data.get(line.code)
    if indicators is None:
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "no_data",
            f"modifier {modifier}: {line.code} is not in {loaded.vintage}, so its "
            f"{rule.name} is unknown",
            ref,
            loaded.vintage,
        )
    value: int = getattr(indicators, rule.field)
    meaning = rule.meanings.get(str(value), "not defined in the RVU documentation")
    said = f"{line.code} has {rule.name} {value} ({meaning})"
    if value in rule.allowed:
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "pass",
            f"modifier {modifier} allowed: {said}{rule.note}",
            ref,
            loaded.vintage,
        )
    if value in rule.review:
        return Finding(
            claim_id,
            line.line,
            RULE_ID,
            "warning",
            f"modifier {modifier} {REVIEW}: {said}",
            ref,
            loaded.vintage,
        )
    return Finding(
        claim_id,
        line.line,
        RULE_ID,
        "fail",
        f"modifier {modifier} is not allowed: {said}",
        ref,
        loaded.vintage,
    )

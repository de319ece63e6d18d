"""G2211, the office/outpatient E/M visit complexity add-on, beside a visit billed with 25
(IOM 100-04/12/30.6.19): "The A/B MACs (A & B) shall not pay code G2211 on the same date of
service as an office/outpatient evaluation and management visit (codes 99202-99205,
99211-99215) reported with Modifier 25, to the same beneficiary by the same practitioner".

A G2211 line fails when every office/outpatient visit of its date and provider carries 25.
From 2025-01-01 the CY 2025 PFS final rule pays it when the other same-day service is an
annual wellness visit, a vaccine administration or a Part B preventive service; the loaded
§30.6.19 predates that, so with such a service on the day (`PREVENTIVE_COMPANIONS`) the line is
a `warning` to check, never a pass. Without any visit on the day the add-on rule speaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from medref.claims.model import Claim, Finding
from medref.claims.rules.base import RuleContext
from medref.codes.service_kinds import (
    COMPLEXITY_ADD_ON,
    COMPLEXITY_SECTION,
    OFFICE_VISITS,
    PREVENTIVE_COMPANIONS,
    PREVENTIVE_WITH_25_FROM,
)

RULE_ID = "complexity_add_on"
VINTAGE = "IOM 100-04 ch.12 §30.6.19"
EXCEPTION_FROM = date.fromisoformat(PREVENTIVE_WITH_25_FROM)


def check(claim: Claim, ctx: RuleContext) -> Iterable[Finding]:
    """Cheap test first: most claims give this rule nothing to look at."""
    if COMPLEXITY_ADD_ON not in claim.codes():
        return ()
    return judge_claim(claim, ctx)


def judge_claim(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    scope = ctx.lines_of(claim)
    for line in claim.lines:
        if line.code != COMPLEXITY_ADD_ON:
            continue
        day = line.date_of_service
        day_lines = [o for o in scope.on(day) if o.rendering_npi == line.rendering_npi]
        visits = [o for o in day_lines if o.code in OFFICE_VISITS]
        if not visits:
            continue
        plain = [v for v in visits if "25" not in v.modifiers]
        if plain:
            if ctx.passes:
                yield Finding(
                    claim.claim_id,
                    line.line,
                    RULE_ID,
                    "pass",
                    f"G2211 with office/outpatient visit {plain[0].code} ({scope.where(plain[0])})"
                    " reported without modifier 25",
                    COMPLEXITY_SECTION,
                    VINTAGE,
                )
            continue
        visit = visits[0]
        about = (
            f"G2211 (line {line.line}) on {day} with {visit.code}-25 ({scope.where(visit)}): "
            "§30.6.19 does not pay G2211 on the date of an office/outpatient visit reported "
            "with modifier 25"
        )
        companions = sorted({o.code for o in day_lines if o.code in PREVENTIVE_COMPANIONS})
        if companions and day >= EXCEPTION_FROM:
            yield Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "warning",
                f"{about}; from 2025 the PFS final rule pays it when the other same-day service "
                f"is an annual wellness visit, vaccine administration or Part B preventive "
                f"service, and {', '.join(companions)} is on the day: confirm the 25 is for it",
                COMPLEXITY_SECTION,
                VINTAGE,
            )
            continue
        yield ctx.deny(
            line,
            Finding(claim.claim_id, line.line, RULE_ID, "fail", about, COMPLEXITY_SECTION, VINTAGE),
        )

"""Is the code payable under the Physician Fee Schedule: its PFS status code (RVU file
documentation, Attachment A; `PFS:<code>`), read from the release in force on the date.

- A, and T alone on the day: pass; T beside another payable PFS service of the same provider
  on the same date: fail (bundled into it);
- C: pass, contractor-priced; R and E: `warning` (restricted coverage, or excluded from the PFS
  by regulation and paid under other rules: the contractor's call);
- B, P: fail (bundled, no separate payment); I, G: fail, not valid for Medicare (with the code
  Medicare pays instead where the manual names it, e.g. G2212 for 99417, IOM 100-04/12/30.6.15.2);
  N: fail, not covered; D, F, H: fail, deleted;
- J, M, X: pass, paid outside the PFS (anesthesia, measurement codes, clinical laboratory and
  ambulance fee schedules).
A code the PFS release does not list is `no_data`. Practitioner claims only: outpatient
hospital claims are paid under the OPPS and DME supplier claims under the DMEPOS fee schedule,
whose indicators are not loaded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from medref.claims.model import Claim, ClaimLine, Finding, Status
from medref.claims.rules.base import Outcome, RuleContext
from medref.claims.tables import Lookup, PfsIndicators
from medref.codes.pfs_payment import STATUS_RULES
from medref.codes.service_kinds import MEDICARE_REPLACES

RULE_ID = "pfs_status"
COMPONENTS = ("26", "TC", "53")
"""Modifiers with PFS rows of their own (`PFS:71046-26`)."""
VERDICTS: dict[str, Status] = {
    "paid": "pass",
    "contractor": "pass",
    "outside": "pass",
    "review": "warning",
    "bundled": "fail",
    "invalid": "fail",
    "deleted": "fail",
}
DENIAL_EXPECTED = frozenset({"GY", "GA", "GZ", "GX"})


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    if claim.setting != "practitioner":
        return
    table = ctx.tables.pfs
    scope = ctx.lines_of(claim)
    for line in claim.lines:
        day = line.date_of_service
        loaded = table.on(day)
        if loaded is None:
            yield Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "no_data",
                f"PFS status unknown: {table.outside(day)}",
                f"PFS:{line.code}",
                table.label,
            )
            continue
        key = row_key(line, loaded.data)
        indicators = loaded.data.get(key)
        if indicators is None:
            yield Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "no_data",
                f"{line.code} is not in {loaded.vintage}: its PFS status is unknown (codes paid "
                "under other fee schedules, such as drugs, are not all listed)",
                f"PFS:{line.code}",
                loaded.vintage,
            )
            continue
        if indicators.status == "T" and others_payable(line, scope.on(day), loaded.data):
            finding = Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "fail",
                f"{line.code} has PFS status T: paid only when the provider bills no other PFS "
                "service on the date; another payable service is billed, so it is bundled",
                f"PFS:{key}",
                loaded.vintage,
            )
            yield ctx.deny(line, finding)
            continue
        if is_category_2(line.code):
            if ctx.passes:
                yield Finding(
                    claim.claim_id,
                    line.line,
                    RULE_ID,
                    "pass",
                    f"{line.code} is a CPT Category II performance measurement code (PFS status "
                    f"{indicators.status}): reported for quality programs, not paid",
                    f"PFS:{key}",
                    loaded.vintage,
                )
            continue
        outcome = verdict(key, indicators.status, loaded.vintage, table.memo)
        finding = Finding(claim.claim_id, line.line, RULE_ID, *outcome)
        if finding.status == "fail":
            if DENIAL_EXPECTED.intersection(line.modifiers):
                finding.message += (
                    "; the line carries a liability or exclusion modifier (GA, GX, GY, GZ), "
                    "so the denial is expected"
                )
            yield ctx.deny(line, finding)
        elif ctx.passes or finding.status != "pass":
            yield finding


def is_category_2(code: str) -> bool:
    return len(code) == 5 and code[:4].isdigit() and code[4] == "F"


def row_key(line: ClaimLine, rows: Lookup[str, PfsIndicators]) -> str:
    """The PFS row of the line: `71046-26` when the modifier has a row of its own."""
    for modifier in line.modifiers:
        if modifier in COMPONENTS:
            key = f"{line.code}-{modifier}"
            if rows.get(key) is not None:
                return key
    return line.code


def others_payable(
    line: ClaimLine, day_lines: list[ClaimLine], rows: Lookup[str, PfsIndicators]
) -> bool:
    for other in day_lines:
        if other is line or other.rendering_npi != line.rendering_npi:
            continue
        found = rows.get(other.code)
        if found is not None and found.status in ("A", "R", "C"):
            return True
    return False


def verdict(key: str, status: str, vintage: str, memo: dict[Hashable, Any]) -> Outcome:
    remembered = memo.get(("status", key, vintage))
    if isinstance(remembered, Outcome):
        return remembered
    rule = STATUS_RULES.get(status)
    ref = f"PFS:{key}"
    if rule is None:
        found = Outcome(
            "no_data", f"{key} has PFS status {status}, which medref does not know", ref, vintage
        )
    else:
        message = f"{key} has PFS status {status}: {rule.words}"
        code = key.split("-")[0]
        instead = MEDICARE_REPLACES.get(code)
        if instead is not None and rule.payability == "invalid":
            message += f"; Medicare pays {instead[0]} instead ({instead[1]})"
        found = Outcome(VERDICTS[rule.payability], message, ref, vintage)
    memo[("status", key, vintage)] = found
    return found

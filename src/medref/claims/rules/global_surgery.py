"""E/M visits inside a global surgical package: IOM 100-04, chapter 12, §40.1 (what the
package includes), §40.2 A.4 (decision for surgery) and §30.6.6 (modifiers 24, 25, 57).

The global period of a procedure is its PFS global days: 000 and 010 are minor procedures
or endoscopies, 090 major surgery (XXX, YYY, ZZZ and MMM set no period here). For each E/M
line (CPT 99202-99499), every procedure line of the same claim with a period is checked:
- same day as a 000/010 procedure: payable only as a significant, separately identifiable
  service with modifier 25 (§30.6.6 B); 57 does not apply to minor procedures (§30.6.6 C);
- day before or day of a 090 surgery: payable when it was the decision for surgery, with
  modifier 57 (§40.2 A.4, §30.6.6 C); on the day of surgery 25 is also accepted for a
  significant, separately identifiable service (§30.6.6 B);
- within the 10 or 90 postoperative days: payable only when unrelated, with modifier 24
  (§30.6.6 A).
Only the claim's own lines are seen: a surgery billed on an earlier claim is not. DME
supplier claims get no finding: the global surgical package is a PFS rule for practitioners'
services (§40.1), not for supplies and equipment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding, Status
from medref.claims.rules.base import RuleContext, is_em

RULE_ID = "global_surgery"
PACKAGE = "IOM:100-04/12/40.1"
DECISION = "IOM:100-04/12/40.2"
MODIFIERS = "IOM:100-04/12/30.6.6"
POSTOPERATIVE_DAYS = {"000": 0, "010": 10, "090": 90}


class Surgery(NamedTuple):
    line: ClaimLine
    global_days: str
    vintage: str


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    if claim.setting == "dme":
        return
    visits = [line for line in claim.lines if is_em(line.code)]
    if not visits:
        return
    table = ctx.tables.pfs
    surgeries: list[Surgery] = []
    unknown: list[ClaimLine] = []
    for line in claim.lines:
        if is_em(line.code):
            continue
        loaded = table.on(line.date_of_service)
        if loaded is None:
            unknown.append(line)
            continue
        indicators = loaded.data.get(line.code)
        if indicators is not None and indicators.global_days in POSTOPERATIVE_DAYS:
            surgeries.append(Surgery(line, indicators.global_days, loaded.vintage))
    for visit in visits:
        yield from judge_visit(claim.claim_id, visit, surgeries, unknown, ctx)


def judge_visit(
    claim_id: str,
    visit: ClaimLine,
    surgeries: list[Surgery],
    unknown: list[ClaimLine],
    ctx: RuleContext,
) -> Iterator[Finding]:
    table = ctx.tables.pfs
    day = visit.date_of_service
    loaded = table.on(day)
    if loaded is None or unknown:
        where = day if loaded is None else unknown[0].date_of_service
        yield Finding(
            claim_id,
            visit.line,
            RULE_ID,
            "no_data",
            f"global periods unknown: {table.outside(where)}",
            PACKAGE,
            table.label,
        )
        return
    found = False
    for surgery in surgeries:
        finding = judge(claim_id, visit, surgery)
        if finding is not None:
            found = True
            if ctx.passes or finding.status != "pass":
                yield finding
    if not found and ctx.passes:
        yield Finding(
            claim_id,
            visit.line,
            RULE_ID,
            "pass",
            f"no procedure on this claim has a global period covering {day}",
            PACKAGE,
            loaded.vintage,
        )


def judge(claim_id: str, visit: ClaimLine, surgery: Surgery) -> Finding | None:
    """The verdict on an E/M line against one procedure, None when outside its package."""
    offset = (visit.date_of_service - surgery.line.date_of_service).days
    days = surgery.global_days
    modifiers = visit.modifiers
    about = (
        f"E/M {visit.code} (line {visit.line}) on {visit.date_of_service} and "
        f"{surgery.line.code} (line {surgery.line.line}, global {days}) on "
        f"{surgery.line.date_of_service}"
    )

    def verdict(ok: bool, ref: str, passing: str, failing: str) -> Finding:
        status: Status = "pass" if ok else "fail"
        return Finding(
            claim_id,
            visit.line,
            RULE_ID,
            status,
            f"{about}: {passing if ok else failing}",
            ref,
            surgery.vintage,
        )

    if days == "090" and offset in (-1, 0):
        allowed = ("57", "25") if offset == 0 else ("57",)
        used = next((m for m in allowed if m in modifiers), None)
        when = "the day of" if offset == 0 else "the day before"
        return verdict(
            used is not None,
            DECISION,
            f"modifier {used} marks it payable on {when} major surgery",
            f"an E/M on {when} major surgery is in the global package unless it was the "
            "decision for surgery (modifier 57)"
            + (" or a significant, separately identifiable service (25)" if offset == 0 else ""),
        )
    if offset == 0:
        if "25" in modifiers:
            return verdict(
                True,
                MODIFIERS,
                "modifier 25 marks a significant, separately "
                "identifiable E/M on the day of a minor procedure",
                "",
            )
        hint = (
            " (57 is not used with minor procedures, whose package does not include the day before)"
            if "57" in modifiers
            else ""
        )
        return verdict(
            False,
            MODIFIERS,
            "",
            "an E/M on the day of a minor procedure is in its "
            f"global package unless significant and separately identifiable "
            f"(modifier 25){hint}",
        )
    if 1 <= offset <= POSTOPERATIVE_DAYS[days]:
        return verdict(
            "24" in modifiers,
            MODIFIERS,
            f"modifier 24 marks an unrelated E/M on postoperative day {offset}",
            f"an E/M on postoperative day {offset} of {POSTOPERATIVE_DAYS[days]} is in the "
            "global package unless unrelated to the surgery (modifier 24)",
        )
    return None

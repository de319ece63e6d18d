"""Services inside a global surgical package: IOM 100-04, chapter 12, §40.1 (the package and
its days), §40.2 (billing modifiers), §40.4 A (what is paid separately), §30.6.6 (24, 25,
57) and §30.6.12.7 (critical care, FT).

The global period of a procedure is its PFS global days: 000 and 010 are minor procedures
or endoscopies, 090 major surgery (the day before, the day of and 90 days after, §40.1 E).
YYY means the contractor sets the period when it prices the code (§40.1): a service near
such a procedure is a `warning`, never a pass. XXX, ZZZ and MMM set no period here.

Surgeries are looked for among the lines the claim is checked against (the claim; with a
patient id, every claim of the patient in the batch and the history file) by the same
rendering provider. For each E/M line (CPT 99202-99499):
- day before or day of a 090 surgery: paid as the decision for surgery with 57 (§40.2 A.4,
  §30.6.6 C) or as an unrelated visit with FT (§40.4 A); on the day of major surgery 25 is
  not the modifier: "the physician bills using modifier -57, not -25" (§40.2 A.4);
- day of a 000/010 procedure: paid with 25 (§30.6.6 B) or FT; 57 does not apply to minor
  procedures (§30.6.6 C);
- postoperative days: paid when unrelated, with 24 (§30.6.6 A) or FT (§40.4 A); but 24 is
  recognised only after discharge (§40.4 A): a hospital visit with 24 while the patient is
  still in the inpatient stay of the surgery (surgery and visit inpatient, no discharge
  visit between them) is in the package (§30.6.6 A);
- critical care (99291, 99292) anywhere in the global period needs FT (§40.2 A.9).
For each procedure line with a global period inside another procedure's postoperative days:
paid only with 58, 78 or 79 (§40.4 A). A procedure billed with 78 (a return to the operating
room for a complication, paid only its intra-operative share, §40.4 C) opens no period of
its own: services after it are judged against the first procedure's period.
DME supplier claims get no finding: the package is a PFS rule for practitioners (§40.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding, Status
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope
from medref.codes import modifier_groups as groups
from medref.codes.service_kinds import (
    CRITICAL_CARE,
    HOSPITAL_DISCHARGE,
    is_em,
    is_hospital_visit,
)

RULE_ID = "global_surgery"
PACKAGE = "IOM:100-04/12/40.1"
BILLING = "IOM:100-04/12/40.2"
ADJUDICATION = "IOM:100-04/12/40.4"
MODIFIERS = "IOM:100-04/12/30.6.6"
CRITICAL = "IOM:100-04/12/30.6.12.7"
POSTOPERATIVE_DAYS = {"000": 0, "010": 10, "090": 90}
CONTRACTOR_SET = "YYY"
LONGEST = 90
INPATIENT = "21"


Judgement = Callable[[Status, str, str], Finding]
"""Makes the finding on the visit against one surgery: (status, ref, message)."""


class Surgery(NamedTuple):
    line: ClaimLine
    global_days: str
    vintage: str


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    if claim.setting == "dme":
        return
    scope = ctx.lines_of(claim)
    visits = [line for line in claim.lines if is_em(line.code)]
    if not visits and scope.single_claim and len(claim.by_date()) == 1:
        return  # no visit, and no procedure can fall in another's later postoperative days
    table = ctx.tables.pfs
    surgeries: list[Surgery] = []
    unknown: list[ClaimLine] = []
    for line in scope.lines():
        if is_em(line.code):
            continue
        loaded = table.on(line.date_of_service)
        if loaded is None:
            unknown.append(line)
            continue
        indicators = loaded.data.get(line.code)
        if indicators is not None and (
            indicators.global_days in POSTOPERATIVE_DAYS or indicators.global_days == CONTRACTOR_SET
        ):
            surgeries.append(Surgery(line, indicators.global_days, loaded.vintage))
    periods = [s for s in surgeries if groups.RETURN_TO_OPERATING_ROOM not in s.line.modifiers]
    for visit in visits:
        yield from judge_visit(claim.claim_id, visit, periods, unknown, scope, ctx)
    for surgery in surgeries:
        if scope.owns(surgery.line):
            yield from judge_procedure(claim.claim_id, surgery, periods, scope, ctx)


def near(visit: ClaimLine, surgery: Surgery) -> bool:
    offset = (visit.date_of_service - surgery.line.date_of_service).days
    return -1 <= offset <= LONGEST and visit.rendering_npi == surgery.line.rendering_npi


def judge_visit(
    claim_id: str,
    visit: ClaimLine,
    surgeries: list[Surgery],
    unknown: list[ClaimLine],
    scope: Scope,
    ctx: RuleContext,
) -> Iterator[Finding]:
    table = ctx.tables.pfs
    day = visit.date_of_service
    loaded = table.on(day)
    blind = [line for line in unknown if -LONGEST <= (day - line.date_of_service).days <= 1]
    if loaded is None or blind:
        where = day if loaded is None else blind[0].date_of_service
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
        if not near(visit, surgery):
            continue
        finding = judge(claim_id, visit, surgery, scope)
        if finding is not None:
            found = True
            if ctx.passes or finding.status != "pass":
                yield finding
    if not found and ctx.passes:
        which = "patient's claims" if scope.across_claims else "claim"
        yield Finding(
            claim_id,
            visit.line,
            RULE_ID,
            "pass",
            f"no procedure on this {which} by the same provider has a global period covering {day}",
            PACKAGE,
            loaded.vintage,
        )


def judge(claim_id: str, visit: ClaimLine, surgery: Surgery, scope: Scope) -> Finding | None:
    """The verdict on an E/M line against one procedure, None when outside its package."""
    offset = (visit.date_of_service - surgery.line.date_of_service).days
    days = surgery.global_days
    modifiers = visit.modifiers
    about = (
        f"E/M {visit.code} (line {visit.line}) on {visit.date_of_service} and "
        f"{surgery.line.code} ({scope.where(surgery.line)}, global {days}) on "
        f"{surgery.line.date_of_service}"
    )

    def verdict(status: Status, ref: str, message: str) -> Finding:
        return Finding(
            claim_id, visit.line, RULE_ID, status, f"{about}: {message}", ref, surgery.vintage
        )

    if days == CONTRACTOR_SET:
        return verdict(
            "warning",
            PACKAGE,
            "global days YYY: the Medicare contractor sets this code's global period (0, 10 "
            "or 90 days) when it prices it, so whether the visit is in the package, and which "
            "modifier it needs, is the contractor's call",
        )
    if offset == -1 and days != "090":
        return None  # minor procedures have no preoperative day
    if offset > POSTOPERATIVE_DAYS[days]:
        return None
    if visit.code in CRITICAL_CARE:
        if "FT" in modifiers:
            return verdict("pass", CRITICAL, "FT marks critical care unrelated to the procedure")
        return verdict(
            "fail",
            BILLING,
            "critical care in a global period is paid only when unrelated to the procedure, "
            "with modifier FT (§40.2 A.9, §30.6.12.7)",
        )
    if offset <= 0 and days == "090":
        return major_surgery_day(visit, offset, verdict)
    if offset == 0:
        return minor_procedure_day(visit, verdict)
    return postoperative(visit, surgery, offset, scope, verdict)


def major_surgery_day(visit: ClaimLine, offset: int, verdict: Judgement) -> Finding:
    when = "the day of" if offset == 0 else "the day before"
    modifiers = visit.modifiers
    if "57" in modifiers:
        return verdict("pass", BILLING, f"modifier 57 marks the decision for surgery on {when} it")
    if "FT" in modifiers:
        return verdict(
            "pass", ADJUDICATION, f"FT marks an E/M unrelated to the surgery on {when} it"
        )
    if "25" in modifiers and offset == 0:
        return verdict(
            "fail",
            BILLING,
            "on the day of major surgery the decision for surgery is billed with 57, not 25 "
            "(§40.2 A.4); an unrelated visit takes FT (§40.4 A); otherwise the visit is in "
            "the global package",
        )
    return verdict(
        "fail",
        BILLING,
        f"an E/M on {when} major surgery is in the global package unless it was the decision "
        "for surgery (modifier 57) or unrelated to it (FT)",
    )


def minor_procedure_day(visit: ClaimLine, verdict: Judgement) -> Finding:
    modifiers = visit.modifiers
    if "25" in modifiers:
        return verdict(
            "pass",
            MODIFIERS,
            "modifier 25 marks a significant, separately identifiable E/M on the day of a "
            "minor procedure",
        )
    if "FT" in modifiers:
        return verdict("pass", ADJUDICATION, "FT marks an E/M unrelated to the procedure")
    hint = (
        " (57 is not used with minor procedures, whose package does not include the day "
        "before: §30.6.6 C)"
        if "57" in modifiers
        else ""
    )
    return verdict(
        "fail",
        MODIFIERS,
        "an E/M on the day of a minor procedure is in its global package unless significant "
        f"and separately identifiable (modifier 25) or unrelated (FT){hint}",
    )


def postoperative(
    visit: ClaimLine, surgery: Surgery, offset: int, scope: Scope, verdict: Judgement
) -> Finding:
    period = POSTOPERATIVE_DAYS[surgery.global_days]
    modifiers = visit.modifiers
    if "24" in modifiers and in_surgical_stay(visit, surgery, scope):
        return verdict(
            "fail",
            ADJUDICATION,
            f"a hospital visit with 24 on postoperative day {offset}, during the inpatient "
            "stay of the surgery (both inpatient, no discharge visit between): 24 is "
            "recognised only after discharge (§40.4 A) and care in that stay is in the "
            "global package (§30.6.6 A)",
        )
    used = next((m for m in ("24", "FT") if m in modifiers), None)
    if used is not None:
        return verdict(
            "pass",
            MODIFIERS if used == "24" else ADJUDICATION,
            f"modifier {used} marks an unrelated E/M on postoperative day {offset}",
        )
    return verdict(
        "fail",
        MODIFIERS,
        f"an E/M on postoperative day {offset} of {period} is in the global package unless "
        "unrelated to the surgery (modifier 24, or FT)",
    )


def in_surgical_stay(visit: ClaimLine, surgery: Surgery, scope: Scope) -> bool:
    """The visit is hospital care in the inpatient stay in which the surgery was done: both
    inpatient, and no discharge visit for the patient from the surgery day to the visit."""
    inpatient_visit = is_hospital_visit(visit.code) or visit.place_of_service == INPATIENT
    if not inpatient_visit or surgery.line.place_of_service != INPATIENT:
        return False
    start, end = surgery.line.date_of_service, visit.date_of_service
    return not any(
        line.code in HOSPITAL_DISCHARGE and start <= line.date_of_service < end
        for line in scope.lines()
    )


def judge_procedure(
    claim_id: str, procedure: Surgery, surgeries: list[Surgery], scope: Scope, ctx: RuleContext
) -> Iterator[Finding]:
    """A procedure with a global period inside an earlier procedure's postoperative days."""
    line = procedure.line
    day = line.date_of_service
    for earlier in surgeries:
        first = earlier.line
        offset = (day - first.date_of_service).days
        if offset < 1 or first.rendering_npi != line.rendering_npi:
            continue
        about = (
            f"{line.code} (line {line.line}) on {day}, postoperative day {offset} of "
            f"{first.code} ({scope.where(first)}, global {earlier.global_days}) on "
            f"{first.date_of_service}"
        )
        if earlier.global_days == CONTRACTOR_SET:
            if offset <= LONGEST:
                yield Finding(
                    claim_id,
                    line.line,
                    RULE_ID,
                    "warning",
                    f"{about}: global days YYY, the contractor sets the period; if this day "
                    "is in it, the procedure needs 58, 78 or 79",
                    PACKAGE,
                    earlier.vintage,
                )
            continue
        if offset > POSTOPERATIVE_DAYS[earlier.global_days]:
            continue
        used = next(
            (m for m in line.modifiers if m in groups.POSTOPERATIVE_PROCEDURE_MODIFIERS), None
        )
        if used is not None:
            if ctx.passes:
                yield Finding(
                    claim_id,
                    line.line,
                    RULE_ID,
                    "pass",
                    f"{about}: modifier {used} marks {groups.GLOBAL_PERIOD_MODIFIERS[used]}",
                    ADJUDICATION,
                    earlier.vintage,
                )
            continue
        yield Finding(
            claim_id,
            line.line,
            RULE_ID,
            "fail",
            f"{about}: a procedure with a global period in another's postoperative days is "
            "paid only with 58 (staged or related), 78 (return to the operating room) or 79 "
            "(unrelated) (§40.4 A)",
            ADJUDICATION,
            earlier.vintage,
        )

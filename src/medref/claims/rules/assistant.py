"""An assistant at surgery beside co-surgeons or a surgical team (IOM 100-04/12/40.9):
"Payment is not generally allowed for an assistant surgeon when payment for either two
surgeons (modifier -62) or team surgeons (modifier -66) is appropriate"; it is paid only if a
review verifies medical necessity.

A line with 80, 81, 82 or AS fails when the same line carries 62 or 66 (one surgeon cannot be
both). It is a warning when another line of the same code and date (the claim's; with a
patient id, any claim of the patient, whoever the provider: co-surgeons and assistants are
different people) carries 62 or 66: the manual leaves payment to review of the medical
necessity, as the RVU file's assistant indicator 0 does (`modifiers`), so the tables do not
deny the line and a person looks before the claim goes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from medref.claims.model import Claim, Finding, Status
from medref.claims.rules.base import RuleContext
from medref.codes.modifier_groups import ASSISTANT_AT_SURGERY, CO_OR_TEAM_SURGERY

RULE_ID = "assistant"
SECTION = "IOM:100-04/12/40.9"
VINTAGE = "IOM 100-04 ch.12 §40.9"


def check(claim: Claim, ctx: RuleContext) -> Iterable[Finding]:
    """Cheap test first: most claims give this rule nothing to look at."""
    if ASSISTANT_AT_SURGERY.isdisjoint(claim.modifiers()):
        return ()
    return judge_claim(claim, ctx)


def judge_claim(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    scope = ctx.lines_of(claim)
    for line in claim.lines:
        if not line.modifiers or ASSISTANT_AT_SURGERY.isdisjoint(line.modifiers):
            continue
        assisting = ASSISTANT_AT_SURGERY.intersection(line.modifiers)
        role = "/".join(sorted(assisting))
        surgeons = CO_OR_TEAM_SURGERY.intersection(line.modifiers)
        status: Status = "fail"
        if surgeons:
            message = (
                f"{line.code} (line {line.line}) carries assistant modifier {role} and "
                f"{'/'.join(sorted(surgeons))} on one line: one surgeon is either an assistant "
                "or a co-/team surgeon"
            )
        else:
            others = [
                other
                for other in scope.on(line.date_of_service)
                if other is not line
                and other.code == line.code
                and CO_OR_TEAM_SURGERY.intersection(other.modifiers)
            ]
            if not others:
                continue
            other = others[0]
            kind = "/".join(sorted(CO_OR_TEAM_SURGERY.intersection(other.modifiers)))
            message = (
                f"{line.code} (line {line.line}, assistant {role}) with {kind} on "
                f"{scope.where(other)}: an assistant at surgery is not generally paid when "
                "co-surgeons or a team are paid; only if review verifies medical necessity"
            )
            status = "warning"
        found = Finding(claim.claim_id, line.line, RULE_ID, status, message, SECTION, VINTAGE)
        yield ctx.deny(line, found) if status == "fail" else found

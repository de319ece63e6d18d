"""Duplicate lines: the same service reported twice for one patient, provider and date.

Two lines with the same code, the same set of modifiers and the same units on one date by one
rendering provider report one service twice: the later one (by claim order in the batch, then
line number; a history claim is always earlier) fails. The same code may be reported on
separate lines only with modifiers that say why (59 or X{EPSU}, 76, 77, 91, anatomic:
IOM 100-04/23/20.9.1.1 C), which makes the lines differ. Without a patient id the claim is
the scope; with one, every claim of the patient in the batch and the history file.
"""

from __future__ import annotations

from collections.abc import Iterator

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope

RULE_ID = "duplicate"
SECTION = "IOM:100-04/23/20.9.1.1"
VINTAGE = "IOM 100-04 ch.23 §20.9.1.1"


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    scope = ctx.lines_of(claim)
    if scope.single_claim and len(claim.codes()) == len(claim.lines):
        return  # one claim, no code twice: nothing can repeat
    for day, lines in claim.by_date().items():
        day_lines = scope.on(day)
        if len(day_lines) < 2:
            continue
        for line in lines:
            earlier = first_copy(line, day_lines, scope)
            if earlier is None:
                continue
            mods = "|".join(line.modifiers) or "no modifiers"
            finding = Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "fail",
                f"{line.code} ({mods}, {line.units} unit{'s' if line.units != 1 else ''}) on "
                f"{day} by the same provider duplicates {scope.where(earlier)}: report a "
                "service once, with units, or with a modifier saying why it was repeated "
                "(76, 77, 91, 59/X{EPSU}, anatomic)",
                SECTION,
                VINTAGE,
            )
            yield ctx.deny(line, finding)


def first_copy(line: ClaimLine, day_lines: list[ClaimLine], scope: Scope) -> ClaimLine | None:
    """An identical line that comes before `line`, if any."""
    mods = frozenset(line.modifiers)
    mine = order(line, scope)
    for other in day_lines:
        if (
            other is not line
            and other.code == line.code
            and other.units == line.units
            and other.rendering_npi == line.rendering_npi
            and frozenset(other.modifiers) == mods
            and order(other, scope) < mine
        ):
            return other
    return None


def order(line: ClaimLine, scope: Scope) -> tuple[int, int, int]:
    owner = scope.claim_of(line)
    return (0 if owner.history else 1, owner.order, line.line)

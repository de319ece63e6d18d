"""Bilateral procedures reported as Medicare requires: one line, modifier 50, one unit.

- Modifier 50 with RT or LT on the same line, or with more than one unit: fail. "Report
  bilateral surgical procedures on a single claim line with modifier 50 and one (1) unit of
  service" (IOM 100-04/23/20.9.3.2); 50 already says both sides.
- A code whose PFS bilateral indicator is 1 (150% adjustment; modifier 50 required, IOM
  100-04/12/40.7 B) reported for both sides another way, an RT line and an LT line of the same
  date and provider, or one line with RT/LT and 2 or more units: fail on each such line, since
  "claims submitted with 2 lines or 2 units and anatomic modifiers will be denied for incorrect
  coding" (IOM 100-04/23/20.9.3.2). Other indicators pay each side on its own (3) or never
  adjust (0, 2), so they get no finding here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext
from medref.claims.scope import Scope
from medref.codes.modifier_groups import BILATERAL, SIDES

RULE_ID = "bilateral"
ONE_LINE = "IOM:100-04/23/20.9.3.2"
PFS_RULE = "IOM:100-04/12/40.7"
MUE_VINTAGE = "IOM 100-04 ch.23 §20.9.3.2"
TRIGGERS = SIDES | {BILATERAL}


def check(claim: Claim, ctx: RuleContext) -> Iterable[Finding]:
    """Cheap test first: most claims give this rule nothing to look at."""
    if TRIGGERS.isdisjoint(claim.modifiers()):
        return ()
    return judge_claim(claim, ctx)


def judge_claim(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    scope = ctx.lines_of(claim)
    sided: list[ClaimLine] = []
    for line in claim.lines:
        modifiers = line.modifiers
        if not modifiers:
            continue
        if BILATERAL in modifiers:
            sides = SIDES.intersection(modifiers)
            if sides or line.units > 1:
                said = f"with {'/'.join(sorted(sides))}" if sides else f"with {line.units} units"
                yield Finding(
                    claim.claim_id,
                    line.line,
                    RULE_ID,
                    "fail",
                    f"{line.code} (line {line.line}) has modifier 50 {said}: a bilateral "
                    "procedure is one line with modifier 50 and one unit (50 already says "
                    "both sides)",
                    ONE_LINE,
                    MUE_VINTAGE,
                )
        elif not SIDES.isdisjoint(modifiers):
            sided.append(line)
    if sided and claim.setting == "practitioner":
        yield from both_sides(claim, sided, scope, ctx)


def both_sides(
    claim: Claim, sided: list[ClaimLine], scope: Scope, ctx: RuleContext
) -> Iterator[Finding]:
    table = ctx.tables.pfs
    for line in sided:
        day = line.date_of_service
        day_lines = scope.on(day)
        if line.units < 2 and sum(o.code == line.code for o in day_lines) < 2:
            continue
        same_code = [
            other
            for other in day_lines
            if other.code == line.code
            and other.rendering_npi == line.rendering_npi
            and SIDES.intersection(other.modifiers)
            and BILATERAL not in other.modifiers
        ]
        named = set().union(*(SIDES.intersection(o.modifiers) for o in same_code))
        units = sum(o.units for o in same_code)
        if named != SIDES and units < 2:
            continue
        loaded = table.on(day)
        if loaded is None:
            yield Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "no_data",
                f"{line.code} is reported for both sides: {table.outside(day)}",
                f"PFS:{line.code}",
                table.label,
            )
            continue
        indicators = loaded.data.get(line.code)
        if indicators is None or indicators.bilat_surg != 1:
            continue
        shown = ", ".join(
            f"{'/'.join(sorted(SIDES.intersection(o.modifiers)))} x{o.units} ({scope.where(o)})"
            for o in same_code
        )
        yield ctx.deny(
            line,
            Finding(
                claim.claim_id,
                line.line,
                RULE_ID,
                "fail",
                f"{line.code} has bilateral indicator 1 (modifier 50 required) and is reported "
                f"for both sides as {shown}: report one line with modifier 50 and 1 unit "
                "(IOM 100-04/23/20.9.3.2, 100-04/12/40.7 B)",
                PFS_RULE,
                loaded.vintage,
            ),
        )

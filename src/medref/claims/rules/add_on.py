"""NCCI add-on code edits: IOM 100-04, chapter 23, §20.9 (an add-on code is rarely payable
without its primary service by the same practitioner) and the quarter's AOC table.

For each line whose code is an add-on code, the claim's lines on the same date of service
are searched for an acceptable primary code:
- type 1 (every acceptable primary is listed): fail without one;
- type 2 (no specific primary, `CCCCC`): pass, noting that the contractor decides which
  primaries are acceptable;
- type 3 (some primaries listed, the contractor may accept others): fail without a listed
  one, with a message that the MAC may accept other primaries. We keep it a failure, not a
  pass, so that a person looks at the contractor's list before the claim goes out.
Lines whose code is not an add-on code get no finding: the rule does not apply to them.
"""

from __future__ import annotations

from collections.abc import Iterator

from medref.claims.model import Claim, Finding
from medref.claims.rules.base import RuleContext
from medref.codes.ncci import CONTRACTOR_DEFINED_PRIMARY

RULE_ID = "add_on"
SECTION = "IOM:100-04/23/20.9"
SHOWN_PRIMARIES = 5


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    table = ctx.tables.aoc
    claim_id = claim.claim_id
    for day, lines in claim.by_date().items():
        loaded = table.on(day)
        if loaded is None:
            reason = f"cannot tell whether these are add-on codes: {table.outside(day)}"
            for line in lines:
                yield Finding(claim_id, line.line, RULE_ID, "no_data", reason, SECTION, table.label)
            continue
        add_ons, vintage = loaded.data, loaded.vintage
        codes = {line.code for line in lines}
        for line in lines:
            add_on = add_ons.get(line.code)
            if add_on is None:
                continue  # not an add-on code: the rule does not apply
            if add_on.edit_type == 2:
                if ctx.passes:
                    yield Finding(
                        claim_id,
                        line.line,
                        RULE_ID,
                        "pass",
                        f"add-on code {line.code} (type 2) has no specific primary code: the "
                        "Medicare contractor decides which primaries are acceptable",
                        f"AOC:{CONTRACTOR_DEFINED_PRIMARY}/{line.code}",
                        vintage,
                    )
                continue
            present = sorted(add_on.primaries & codes)
            if present:
                if ctx.passes:
                    yield Finding(
                        claim_id,
                        line.line,
                        RULE_ID,
                        "pass",
                        f"add-on code {line.code} (type {add_on.edit_type}) has its primary "
                        f"{present[0]} on {day}",
                        f"AOC:{present[0]}/{line.code}",
                        vintage,
                    )
                continue
            listed = sorted(add_on.primaries)
            shown = ", ".join(listed[:SHOWN_PRIMARIES])
            more = (
                f" and {len(listed) - SHOWN_PRIMARIES} more"
                if len(listed) > SHOWN_PRIMARIES
                else ""
            )
            message = (
                f"add-on code {line.code} (type {add_on.edit_type}) has none of its listed "
                f"primary codes ({shown}{more}) on {day}"
            )
            if add_on.edit_type == 3:
                message += (
                    "; for type 3 edits the MAC may accept other primary codes: check its "
                    "policy before sending the claim"
                )
            else:
                message += "; report it with one of them on the same date"
            yield Finding(
                claim_id,
                line.line,
                RULE_ID,
                "fail",
                message,
                f"AOC:{listed[0]}/{line.code}",
                vintage,
            )

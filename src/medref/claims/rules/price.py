"""What Medicare is expected to allow for each line under the Physician Fee Schedule, when the
check is given a payment locality (`medref check --locality`): the `allowed_amount` of the
line as billed (RVUs x GPCIs x conversion factor, facility or non-facility by place of
service, payment modifiers, multiple procedure ranking among the lines of the same date and
rendering provider; IOM 100-04/12/40.4-40.8), so an analyst can weigh the dollars at risk
of each failing line.

The finding is `pass` with the amount and its calculation (`PFS:<row>`, the GPCI row and the
manual sections cited in the message), or `no_data` saying why there is no amount
(contractor-priced, by report, outside the PFS, no PFS release for the date). A line the PFS
pays nothing for (bundled, not valid for Medicare) has an amount of 0.00. Practitioner claims
only: outpatient hospital and DME supplier claims are paid under other fee schedules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.rules.base import RuleContext
from medref.pricing import LinePrice, Service

RULE_ID = "price"


def check(claim: Claim, ctx: RuleContext) -> Iterable[Finding]:
    """Cheap test first: most claims give this rule nothing to look at."""
    if not (ctx.pricer is not None and claim.setting == "practitioner"):
        return ()
    return judge_claim(claim, ctx)


def judge_claim(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    pricer = ctx.pricer
    if pricer is None or claim.setting != "practitioner":
        return
    scope = ctx.lines_of(claim)
    for day, lines in claim.by_date().items():
        day_lines = scope.on(day)
        for provider in {line.rendering_npi for line in lines}:
            group = [line for line in day_lines if line.rendering_npi == provider]
            services = [service(line, at) for at, line in enumerate(group)]
            prices = pricer.price(services, day)
            if prices is None:
                for line in lines:
                    if line.rendering_npi == provider:
                        yield no_pfs(claim, line, day, ctx)
                continue
            for line, price in zip(group, prices, strict=True):
                if scope.owns(line):
                    found = finding(claim, line, price, ctx)
                    if ctx.passes or found.status != "pass":
                        yield found


def service(line: ClaimLine, order: int) -> Service:
    return Service(line.code, line.modifiers, line.units, line.place_of_service, order)


def finding(claim: Claim, line: ClaimLine, price: LinePrice, ctx: RuleContext) -> Finding:
    assert ctx.pricer is not None
    locality = ctx.pricer.locality
    text = price.explain(locality)
    vintage = (
        f"PFS {price.rate.release}, GPCI {locality.release}"
        if price.rate
        else "PFS (code not listed)"
    )
    if price.amount is None:
        return Finding(
            claim.claim_id,
            line.line,
            RULE_ID,
            "no_data",
            f"no allowed amount: {text}",
            price.ref,
            vintage,
        )
    found = Finding(
        claim.claim_id,
        line.line,
        RULE_ID,
        "pass",
        f"allowed ${price.amount:,.2f}: {text}",
        price.ref,
        vintage,
    )
    ctx.amounts[id(line)] = found.allowed_amount = price.amount
    return found


def no_pfs(claim: Claim, line: ClaimLine, day: date, ctx: RuleContext) -> Finding:
    table = ctx.tables.pfs
    return Finding(
        claim.claim_id,
        line.line,
        RULE_ID,
        "no_data",
        f"no allowed amount: {table.outside(day)}",
        f"PFS:{line.code}",
        table.label,
    )

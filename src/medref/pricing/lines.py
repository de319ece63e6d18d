"""The expected allowed amount of claim lines: a line's own payment modifiers, then the
multiple procedure ranking of the lines one provider billed for one patient on one day.

Order, as the manual sets it: the fee schedule amount of the line's PFS row (a 26, TC or 53
row where the file has one); the share of split care (54 pre- and intraoperative, 55
postoperative, 56 preoperative) or of a return to the operating room (78, intraoperative);
the bilateral adjustment (50: 150% with indicator 1, 100% a side with 3, 100% with 0 or 2),
which comes before the multiple procedure rules (IOM 100-04/12/40.6 C.16, RVU file
documentation); co-surgeon 62.5% (62); assistant at surgery 16% (80, 81, 82) or 13.6% (AS);
then units, and the multiple procedure ranking (indicator 2: 100%, then 50% for the second
to fifth; 1: 100, 50, 25, 25, 25; 3: the endoscopy family rule first, IOM 100-04/12/40.6
C.13). The sixth and later ranked procedures, team surgery (66), reduced (52) and
discontinued procedures without a 53 row, and contractor-priced codes are priced "by report"
or by the contractor: no amount, saying so. The imaging, therapy, cardiovascular and
ophthalmology reductions (indicators 4-7) are named, not computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from medref.codes import pfs_payment as payment
from medref.pricing.fee import Adjusted, FeeAmount, cents, fee_schedule_amount, is_facility, money
from medref.pricing.rates import Gpci, PfsRate

ROW_MODIFIERS = ("26", "TC", "53")
SPLIT_SHARES = {
    "54": ("pre_op", "intra_op"),
    "55": ("post_op",),
    "56": ("pre_op",),
    "78": ("intra_op",),
}
RANKED = frozenset({1, 2, 3})
NOT_COMPUTED = {
    4: "diagnostic imaging",
    5: "therapy practice expense",
    6: "diagnostic cardiovascular",
    7: "diagnostic ophthalmology",
}
PRICED_STATUSES = payment.PRICED_STATUSES


@dataclass(frozen=True, slots=True)
class Service:
    """A line to price: what the pricing needs of a claim line."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    order: int = 0
    """Position among the day's lines, for ties in the ranking (billed order)."""


@dataclass(slots=True)
class LinePrice:
    service: Service
    rate: PfsRate | None
    fee: FeeAmount | None
    adjusted: Adjusted

    @property
    def amount(self) -> Decimal | None:
        return self.adjusted.amount

    @property
    def ref(self) -> str:
        return self.rate.ref if self.rate is not None else f"PFS:{self.service.code}"

    def explain(self, gpci: Gpci) -> str:
        if self.rate is None:
            return self.adjusted.reason
        parts: list[str] = []
        if self.fee is not None:
            parts.append(
                f"{self.rate.key} {self.fee.setting} (POS {self.service.place_of_service or '-'}) "
                f"in {gpci.label}: {self.fee.formula}"
            )
        parts += self.adjusted.steps
        if self.adjusted.reason:
            parts.append(self.adjusted.reason)
        refs = [self.rate.ref, gpci.ref, *self.adjusted.refs]
        return "; ".join(parts) + f" [{', '.join(dict.fromkeys(refs))}]"


def row_for(service: Service, rates: dict[str, PfsRate]) -> PfsRate | None:
    for modifier in service.modifiers:
        if modifier in ROW_MODIFIERS:
            found = rates.get(f"{service.code}-{modifier}")
            if found is not None:
                return found
    return rates.get(service.code)


def price_line(service: Service, rates: dict[str, PfsRate], gpci: Gpci) -> LinePrice:
    """The line's amount before the multiple procedure ranking (units included)."""
    rate = row_for(service, rates)
    if rate is None:
        adjusted = Adjusted(None, reason=f"{service.code} is not in the PFS release: not priced")
        return LinePrice(service, None, None, adjusted)
    rule = payment.STATUS_RULES.get(rate.status)
    words = rule.words if rule else "unknown status"
    if rate.status not in PRICED_STATUSES:
        adjusted = Adjusted(None)
        zero = rule is not None and rule.payability in ("bundled", "invalid", "deleted")
        adjusted.stop(f"PFS status {rate.status}: {words}", rate.ref, zero=zero)
        return LinePrice(service, rate, None, adjusted)
    fee = fee_schedule_amount(rate, gpci, is_facility(service.place_of_service))
    adjusted = Adjusted(fee.amount)
    if not fee.facility and rate.non_facility_na:
        adjusted.steps.append("non-facility PE is NA: the service is rarely or never done there")
    modifiers = service.modifiers
    if "53" in modifiers and rate.key != f"{service.code}-53":
        adjusted.stop(
            "modifier 53 without a PFS 53 row: priced by the contractor, by individual "
            "consideration (RVU file layout, Modifier)",
            rate.ref,
        )
    elif "52" in modifiers:
        adjusted.stop(
            "modifier 52: reduced service priced by the contractor with documentation "
            "(IOM 100-04/12/40.4 A)",
            "IOM:100-04/12/40.4",
        )
    elif "66" in modifiers:
        adjusted.stop(
            "modifier 66: team surgery is paid by report (IOM 100-04/12/40.8)", "IOM:100-04/12/40.8"
        )
    if adjusted.amount is None:
        return LinePrice(service, rate, fee, adjusted)
    for modifier, shares in SPLIT_SHARES.items():
        if modifier in modifiers:
            share = sum((getattr(rate, name) for name in shares), Decimal(0))
            if modifier == "78" and rate.global_days == "000":
                adjusted.steps.append("78 on a 000-day code: paid in full (IOM 100-04/12/40.4 C)")
            elif share == 0:
                adjusted.stop(
                    f"modifier {modifier}: {rate.key} has no pre/intra/postoperative shares "
                    "(split care does not apply to 000-day codes, IOM 100-04/12/40.4 B)",
                    payment.SPLIT_CARE,
                )
            else:
                adjusted.apply(
                    share, f"modifier {modifier}: {'+'.join(shares)} share", payment.SPLIT_CARE
                )
    if "50" in modifiers:
        bilateral(rate, adjusted)
    if "62" in modifiers:
        if rate.co_surg in (1, 2):
            adjusted.apply(
                payment.CO_SURGEON.share, payment.CO_SURGEON.words, payment.CO_SURGEON.basis
            )
        else:
            adjusted.steps.append(
                f"62 with co-surgeon indicator {rate.co_surg}: co-surgeons not paid; the first "
                "bill at 100% (IOM 100-04/12/40.8 C.4)"
            )
    for modifier, share in payment.ASSISTANT_PERCENTAGES.items():
        if modifier in modifiers:
            adjusted.apply(share.share, share.words, share.basis)
            break
    if "22" in modifiers:
        adjusted.steps.append(
            "22: paid as without it unless documentation supports more (IOM 100-04/12/40.4 A)"
        )
    if service.units > 1 and rate.mult_proc not in RANKED and adjusted.amount is not None:
        before = adjusted.amount
        adjusted.amount = before * service.units
        adjusted.steps.append(
            f"{service.units} units: {money(before)} x {service.units} = {money(adjusted.amount)}"
        )
    return LinePrice(service, rate, fee, adjusted)


def bilateral(rate: PfsRate, adjusted: Adjusted) -> None:
    if rate.bilat_surg == 1:
        share = payment.BILATERAL_150
    elif rate.bilat_surg == 3:
        share = payment.BILATERAL_EACH_SIDE
    else:
        adjusted.steps.append(
            f"50 with bilateral indicator {rate.bilat_surg}: no bilateral adjustment, both sides "
            "at most 100% (IOM 100-04/12/40.7 C.3)"
        )
        return
    adjusted.apply(share.share, share.words, share.basis)


def price_day(
    services: Sequence[Service], rates: dict[str, PfsRate], gpci: Gpci
) -> list[LinePrice]:
    """Every line of one provider's day, with the multiple procedure rules applied."""
    prices = [price_line(service, rates, gpci) for service in services]
    ranked = [p for p in prices if p.rate is not None and p.rate.mult_proc in RANKED and p.amount]
    units = sum(p.service.units for p in ranked)
    if units > 1:
        rank(ranked, rates, gpci)
    for price in prices:
        indicator = price.rate.mult_proc if price.rate is not None else 0
        if (
            indicator in NOT_COMPUTED
            and sum(1 for p in prices if p.rate is not None and p.rate.mult_proc == indicator) > 1
        ):
            price.adjusted.steps.append(
                f"the {NOT_COMPUTED[indicator]} multiple procedure reduction (indicator "
                f"{indicator}) applies to the lower-priced services of the day and is not "
                "computed here: the amount is before it"
            )
    return prices


def rank(ranked: list[LinePrice], rates: dict[str, PfsRate], gpci: Gpci) -> None:
    """IOM 100-04/12/40.6 C: rank by amount, highest 100%, then the reduced percentages."""
    services: list[tuple[Decimal, int, list[tuple[LinePrice, int]]]] = []
    families: dict[str, list[LinePrice]] = {}
    for price in ranked:
        assert price.rate is not None
        if price.rate.mult_proc == 3 and price.rate.endo_base:
            families.setdefault(price.rate.endo_base, []).append(price)
            continue
        for copy in range(price.service.units):
            services.append((price.amount or Decimal(0), price.service.order, [(price, copy)]))
    for base, family in families.items():
        total = endoscopy_family(base, family, rates, gpci)
        services.append((total, min(m.service.order for m in family), [(m, 0) for m in family]))
    services.sort(key=lambda item: (-item[0], item[1]))
    legacy = any(p.rate is not None and p.rate.mult_proc == 1 for p in ranked)
    per_line: dict[int, list[Decimal | None]] = {}
    for position, (_, _, members) in enumerate(services, start=1):
        for price, _copy in members:
            amount = price.amount
            per_line.setdefault(id(price), []).append(reduced(price, amount, position, legacy))
    for price in ranked:
        parts = per_line.get(id(price), [])
        if any(part is None for part in parts):
            price.adjusted.stop(
                "sixth or later procedure of the day: priced by report, at least 50% "
                "(IOM 100-04/12/40.6 C.12)",
                "IOM:100-04/12/40.6",
            )
        elif len(parts) > 1:
            price.adjusted.amount = sum((p for p in parts if p is not None), Decimal(0))
            price.adjusted.steps.append(
                f"{len(parts)} units ranked as procedures: total {money(price.adjusted.amount)}"
            )


def reduced(
    price: LinePrice, amount: Decimal | None, position: int, legacy: bool
) -> Decimal | None:
    if amount is None:
        return None
    if position > payment.MAX_RANKED:
        return None
    if position == 1:
        if price.service.units == 1:
            price.adjusted.steps.append("multiple procedures: ranked 1st, 100%")
        return amount
    share = payment.MULTIPLE_SECOND
    if legacy and position >= 3:
        share = payment.MULTIPLE_LEGACY_LATER
    value = cents(amount * share.share)
    if price.service.units == 1:
        price.adjusted.amount = value
        price.adjusted.steps.append(
            f"multiple procedures: ranked {ordinal(position)}, {share.words}: {money(amount)} x "
            f"{share.share} = {money(value)}"
        )
        if share.basis not in price.adjusted.refs:
            price.adjusted.refs.append(share.basis)
    return value


def endoscopy_family(
    base: str, members: list[LinePrice], rates: dict[str, PfsRate], gpci: Gpci
) -> Decimal:
    """IOM 100-04/12/40.6 C.13: the highest endoscopy in full, each other at its value less
    the base endoscopy's; returns the family's total, ranked as one service."""
    members.sort(key=lambda p: (-(p.amount or Decimal(0)), p.service.order))
    base_rate = rates.get(base)
    top = members[0]
    total = top.amount or Decimal(0)
    if len(members) == 1:
        return total
    if base_rate is None:
        for member in members[1:]:
            member.adjusted.stop(
                f"endoscopy family base {base} is not in the PFS release", f"PFS:{base}"
            )
        return total
    facility = is_facility(top.service.place_of_service)
    base_amount = fee_schedule_amount(base_rate, gpci, facility).amount
    for member in members[1:]:
        own = member.amount or Decimal(0)
        value = max(own - base_amount, Decimal(0))
        member.adjusted.amount = value
        member.adjusted.steps.append(
            f"endoscopy family of {base}: {money(own)} less the base {money(base_amount)} = "
            f"{money(value)} (IOM 100-04/12/40.6 C.13)"
        )
        member.adjusted.refs.append("IOM:100-04/12/40.6")
        total += value
    return total


def ordinal(number: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(number, f"{number}th")

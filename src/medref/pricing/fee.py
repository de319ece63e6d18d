"""What Medicare allows for a service under the Physician Fee Schedule, in exact decimals.

The fee schedule amount (RVU file documentation, "2025 Non-Facility / Facility Pricing
Amount"):

    [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x conversion factor

with the facility practice expense RVU where the place of service takes the facility rate
(`codes.pfs_payment.FACILITY_PLACES`), rounded to the nearest cent (half up). Each payment
adjustment is then applied to that amount and rounded to the nearest cent again, as the manual
says for each: split care and returns to the operating room (IOM 100-04/12/40.4 B, C),
bilateral 150% (40.7 C.3), co-surgeons 62.5% (40.8 C), assistants at surgery 16% (42 U.S.C.
1395w-4(i)(2)(A)) and 85% of it for a PA, NP or CNS (42 U.S.C. 1395l(a)(1)(O)), multiple
procedures 100/50% (40.6 C.17: "Round all adjusted payment amounts to the nearest cent").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from medref.codes import pfs_payment as payment
from medref.pricing.rates import Gpci, PfsRate

CENT = Decimal("0.01")
FORMULA_SOURCE = "PFS RVU file documentation (payment formula)"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def is_facility(place_of_service: str) -> bool:
    return place_of_service in payment.FACILITY_PLACES


@dataclass(frozen=True, slots=True)
class FeeAmount:
    """The fee schedule amount of one PFS row in one locality and setting."""

    amount: Decimal
    exact: Decimal
    """Before rounding."""
    facility: bool
    formula: str

    @property
    def setting(self) -> str:
        return "facility" if self.facility else "non-facility"


def fee_schedule_amount(rate: PfsRate, gpci: Gpci, facility: bool) -> FeeAmount:
    pe = rate.pe_facility if facility else rate.pe_non_facility
    total = rate.work * gpci.work + pe * gpci.pe + rate.mp * gpci.mp
    value = total * rate.conversion_factor
    formula = (
        f"[({rate.work} x {gpci.work}) + ({pe} x {gpci.pe}) + ({rate.mp} x {gpci.mp})] x "
        f"{rate.conversion_factor} = {total} x {rate.conversion_factor} = {value} -> "
        f"{money(cents(value))}"
    )
    return FeeAmount(cents(value), value, facility, formula)


@dataclass(slots=True)
class Adjusted:
    """An amount as it goes through the payment adjustments, each step written down."""

    amount: Decimal | None
    steps: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    reason: str = ""
    """Why there is no amount, or why it is zero."""

    def apply(self, share: Decimal, words: str, ref: str) -> None:
        if self.amount is None:
            return
        before = self.amount
        self.amount = cents(before * share)
        self.steps.append(f"{words}: {money(before)} x {share} = {money(self.amount)}")
        if ref not in self.refs:
            self.refs.append(ref)

    def stop(self, reason: str, ref: str, zero: bool = False) -> None:
        self.amount = Decimal("0.00") if zero else None
        self.reason = reason
        if ref not in self.refs:
            self.refs.append(ref)

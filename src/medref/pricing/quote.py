"""Price one code in one locality (`medref price`, code cards, the API), or a claim's lines
(`Pricer`, used by the claim check's `price` rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from medref.errors import InputError, KnowledgeBaseError
from medref.pricing.lines import LinePrice, Service, price_day
from medref.pricing.localities import find_locality
from medref.pricing.rates import Gpci, PfsRate, PricingTables

GPCI_SOURCE = "pfs-gpci"
PFS_SOURCE = "pfs"


@dataclass(frozen=True, slots=True)
class Quote:
    """The allowed amount of one service, with everything that decided it."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    date_of_service: date | None
    locality: Gpci
    price: LinePrice

    @property
    def amount(self) -> Decimal | None:
        return self.price.amount

    def to_dict(self) -> dict[str, object]:
        price = self.price
        rate = price.rate
        return {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "place_of_service": self.place_of_service,
            "date_of_service": self.date_of_service.isoformat() if self.date_of_service else None,
            "locality": {
                "id": self.locality.id,
                "state": self.locality.state,
                "name": self.locality.name,
                "work_gpci": str(self.locality.work),
                "pe_gpci": str(self.locality.pe),
                "mp_gpci": str(self.locality.mp),
                "ref": self.locality.ref,
            },
            "allowed_amount": None if price.amount is None else str(price.amount),
            "fee_schedule_amount": None if price.fee is None else str(price.fee.amount),
            "setting": None if price.fee is None else price.fee.setting,
            "formula": None if price.fee is None else price.fee.formula,
            "adjustments": price.adjusted.steps,
            "reason": price.adjusted.reason or None,
            "pfs_row": None if rate is None else rate.ref,
            "pfs_release": None if rate is None else rate.release,
            "conversion_factor": None if rate is None else str(rate.conversion_factor),
            "refs": list(dict.fromkeys([price.ref, self.locality.ref, *price.adjusted.refs])),
            "explanation": price.explain(self.locality),
        }


class Pricer:
    """Prices lines in one locality with the PFS release in force on each date."""

    def __init__(self, tables: PricingTables, locality: Gpci) -> None:
        self.tables = tables
        self.locality = locality

    @classmethod
    def open(cls, tables: PricingTables, locality: str, on: date | None = None) -> Pricer:
        return cls(tables, locate(tables, locality, on))

    def rates_on(self, day: date | None) -> dict[str, PfsRate] | None:
        info = self.tables.release(PFS_SOURCE, day)
        return None if info is None else self.tables.rates(info)

    def price(self, services: Sequence[Service], day: date | None) -> list[LinePrice] | None:
        """The day's lines of one provider; None when no PFS release covers the date."""
        rates = self.rates_on(day)
        if rates is None:
            return None
        return price_day(services, rates, self.locality)


def all_localities(tables: PricingTables, on: date | None = None) -> list[Gpci]:
    """The localities of the GPCI release in force on `on` (the newest before the first)."""
    info = tables.release(GPCI_SOURCE, on) or tables.release(GPCI_SOURCE, None)
    if info is None:
        raise KnowledgeBaseError(
            "no GPCI release is loaded: build the knowledge base with the PFS files "
            "(GPCI*.csv beside the PPRRVU csv)"
        )
    return sorted(tables.gpcis(info).values(), key=lambda g: (g.state, g.id))


def locate(tables: PricingTables, locality: str, on: date | None) -> Gpci:
    return find_locality(locality, all_localities(tables, on))


def quote(
    tables: PricingTables,
    code: str,
    locality: str,
    *,
    place_of_service: str = "11",
    modifiers: Sequence[str] = (),
    units: int = 1,
    on: date | None = None,
) -> Quote:
    code = code.strip().upper()
    mods = tuple(m.strip().upper() for m in modifiers if m.strip())
    if units < 1:
        raise InputError(f"units {units} must be 1 or more")
    pricer = Pricer.open(tables, locality, on)
    service = Service(code, mods, units, place_of_service)
    found = pricer.price([service], on)
    if found is None:
        loaded = ", ".join(
            f"{i.release} ({i.effective} onward)" for i in tables.kb.releases(PFS_SOURCE)
        )
        raise InputError(f"no PFS release covers {on}; loaded: {loaded or 'none'}")
    return Quote(code, mods, units, place_of_service, on, pricer.locality, found[0])


NATIONAL = Gpci(
    id="national",
    mac="",
    state="US",
    locality="",
    name="national (all GPCIs 1.000)",
    work=Decimal("1"),
    pe=Decimal("1"),
    mp=Decimal("1"),
    release="",
)
"""The national payment amount: GPCIs of 1.000, before any locality's adjustment."""


def national(tables: PricingTables, code: str, on: date | None = None) -> dict[str, object] | None:
    """A code card's allowed amounts: the national non-facility and facility amounts of the
    PFS row in force (None when the PFS does not list the code)."""
    info = tables.release(PFS_SOURCE, on) or tables.release(PFS_SOURCE, None)
    if info is None:
        return None
    rates = tables.code_rates(info, code)
    if code not in rates:
        return None
    found: dict[str, object] = {"pfs_row": f"PFS:{code}", "pfs_release": info.release}
    for setting, place in (("non_facility", "11"), ("facility", "22")):
        price = price_day([Service(code, (), 1, place)], rates, NATIONAL)[0]
        found[setting] = None if price.amount is None else str(price.amount)
        if price.amount is None:
            found["reason"] = price.adjusted.reason
    found["note"] = (
        "national amounts (GPCIs 1.000); `medref price CODE --locality ...` gives a "
        "locality's, with the formula"
    )
    return found

"""Medicare allowed amounts of a code in a payment locality, and the localities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from medref.pricing import all_localities, quote
from medref.services.resources import Resources, limit_text


def price(
    res: Resources,
    code: str,
    locality: str,
    place_of_service: str = "11",
    modifiers: Sequence[str] = (),
    units: int = 1,
    on: date | None = None,
) -> dict[str, Any]:
    """The expected allowed amount of one code in one payment locality (`medref price`)."""
    found: dict[str, Any] = quote(
        res.pricing,
        limit_text(code, 64, "code"),
        limit_text(locality, 200, "locality"),
        place_of_service=place_of_service.strip(),
        modifiers=modifiers,
        units=units,
        on=on,
    ).to_dict()
    return found


def localities(res: Resources, on: date | None = None) -> list[dict[str, Any]]:
    """Every Medicare payment locality of the GPCI release in force (or the newest)."""
    return [
        {
            "id": gpci.id,
            "state": gpci.state,
            "name": gpci.name,
            "ref": gpci.ref,
            "work_gpci": str(gpci.work),
            "pe_gpci": str(gpci.pe),
            "mp_gpci": str(gpci.mp),
        }
        for gpci in all_localities(res.pricing, on)
    ]

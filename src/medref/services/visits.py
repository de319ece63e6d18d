"""E/M leveling of a visit."""

from __future__ import annotations

from datetime import date
from typing import Any

from medref.em import family_for, mdm_level
from medref.errors import InputError


def em_level(
    patient: str | None = None,
    problems: str | None = None,
    data: str | None = None,
    risk: str | None = None,
    minutes: int | None = None,
    year: int | None = None,
    family: str | None = None,
    medicare: bool = True,
    minimal: bool = False,
    date_of_service: date | None = None,
) -> dict[str, Any]:
    """The E/M code of a visit; `family` defaults to office, split by `patient`. The rules of
    the year of `date_of_service` apply (or of `year`; today's when neither is given)."""
    result = mdm_level(
        family_for(family, patient),
        problems=problems,
        data=data,
        risk=risk,
        minutes=minutes,
        year=_year(year, date_of_service),
        medicare=medicare,
        minimal=minimal,
    )
    return result.to_dict()


def _year(year: int | None, date_of_service: date | None) -> int:
    if date_of_service is not None:
        if year is not None and year != date_of_service.year:
            raise InputError(
                f"year {year} and date of service {date_of_service.isoformat()} disagree; "
                "give one of them"
            )
        return date_of_service.year
    return year if year is not None else date.today().year

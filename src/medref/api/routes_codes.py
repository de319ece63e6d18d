"""Code cards, code-set diffs and E/M leveling."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from medref.api.deps import DateOfService, Heavy, Res
from medref.api.errors import ERROR_RESPONSES
from medref.em import ELEMENT_SCALES, FAMILY_CHOICES
from medref.services import codes as code_service
from medref.services import visits as visit_service

router = APIRouter(prefix="/api", tags=["codes"], responses=ERROR_RESPONSES)


@router.get("/code/{code}")
def code(
    res: Res,
    heavy: Heavy,
    code: Annotated[str, Path(max_length=64, description="G0439, E11.9, 99213-25, GA, 11")],
    date_of_service: DateOfService = None,
) -> dict[str, Any]:
    """The `medref code` card: system, validity on the date, record, PFS, MUE, PTP, add-on."""
    with heavy.slot():
        return code_service.code_card(res, code, date_of_service)


@router.get("/code-diff")
def code_diff(
    res: Res,
    heavy: Heavy,
    a: Annotated[str, Query(max_length=40, description="The older release, e.g. 2025")],
    b: Annotated[str, Query(max_length=40, description="The newer release, e.g. 2026-04")],
    source: Annotated[
        str | None,
        Query(description="Code set, e.g. icd10cm (default: the one holding both releases)"),
    ] = None,
) -> dict[str, Any]:
    """Codes added, deleted and changed from release `a` to release `b`."""
    with heavy.slot():
        return code_service.code_diff(res, source, a, b)


def _scale(element: str) -> str:
    return f"One of {', '.join(ELEMENT_SCALES[element])}."


class EmRequest(BaseModel):
    """A visit: the three MDM elements, or total minutes, or both (the higher code wins)."""

    model_config = ConfigDict(extra="forbid")
    patient: str | None = Field(None, description="new or established (office, home).")
    problems: str | None = Field(None, description=_scale("problems"))
    data: str | None = Field(None, description=_scale("data"))
    risk: str | None = Field(None, description=_scale("risk"))
    minutes: int | None = Field(None, ge=1, le=1440, description="Total time on the date.")
    year: int | None = Field(
        None, ge=1990, le=2100, description="Year of the date of service (default: this year)."
    )
    date_of_service: date | None = Field(
        None, description="Date of service (YYYY-MM-DD): its year's rules apply."
    )
    family: str | None = Field(
        None, description=f"One of {', '.join(FAMILY_CHOICES)} (default office)."
    )
    medicare: bool = Field(True, description="G2212 for prolonged time instead of 99417.")
    minimal: bool = Field(False, description="Select 99211 (99281 in the ED) explicitly.")


@router.post("/em")
def em(visit: EmRequest) -> dict[str, Any]:
    """The E/M code by medical decision making (2 of 3 elements) or total time."""
    return visit_service.em_level(**visit.model_dump())

"""Claim checks: a JSON list of claims, or a CSV upload. Claim data can hold PHI: nothing
here logs it, and the server's access log is off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, UploadFile

from medref.api.deps import DateOfService, Heavy, Res, SettingParam
from medref.api.errors import ERROR_RESPONSES
from medref.services import claims as claim_service
from medref.services import pricing as price_service

router = APIRouter(prefix="/api", tags=["claims"], responses=ERROR_RESPONSES)

OnlyProblems = Annotated[
    bool,
    Query(description="Leave out pass findings (only fail, warning, error, bypassed, no_data)."),
]
Locality = Annotated[
    str | None,
    Query(
        description="Price practitioner lines in this Medicare payment locality (01112-05, "
        "CA-05, 'manhattan'): allowed_amount on each finding of a priced line.",
        max_length=200,
    ),
]
CLAIMS_EXAMPLE = [
    {
        "claim_id": "C1",
        "diagnoses": ["I10"],
        "lines": [
            {
                "line": 1,
                "date_of_service": "2024-08-15",
                "code": "93000",
                "units": 1,
                "place_of_service": "11",
            },
            {
                "line": 2,
                "date_of_service": "2024-08-15",
                "code": "93010",
                "units": 1,
                "place_of_service": "11",
            },
        ],
    }
]


@router.post("/check")
def check(
    res: Res,
    heavy: Heavy,
    claims: Annotated[
        list[Any],
        Body(examples=[CLAIMS_EXAMPLE], description="A JSON list of claims (docs/claims.md)."),
    ],
    setting: SettingParam = "practitioner",
    only_problems: OnlyProblems = False,
    locality: Locality = None,
) -> dict[str, Any]:
    """Check claims against the NCCI, MUE, add-on, PFS, HCPCS, ICD-10-CM and POS tables:
    findings per claim line, and a summary naming the data releases used."""
    with heavy.slot():
        return claim_service.check_claim_list(res, claims, setting, only_problems, locality)


@router.get("/price")
def price(
    res: Res,
    code: Annotated[str, Query(description="HCPCS or CPT code.", max_length=64)],
    locality: Annotated[
        str, Query(description="01112-05, CA-05, or words of the name.", max_length=200)
    ],
    pos: Annotated[str, Query(description="Place of service.", max_length=2)] = "11",
    modifiers: Annotated[
        str, Query(description="Payment modifiers, `|`-separated: 26, 50, 62, 80.", max_length=20)
    ] = "",
    units: Annotated[int, Query(ge=1, le=9999)] = 1,
    date_of_service: DateOfService = None,
) -> dict[str, Any]:
    """The expected Medicare allowed amount of a code in a payment locality, with the PFS
    row, the GPCI row and the formula."""
    mods = [m for m in modifiers.replace(",", "|").split("|") if m.strip()]
    return price_service.price(res, code, locality, pos, mods, units, date_of_service)


@router.post("/check/csv")
def check_csv(
    res: Res,
    heavy: Heavy,
    file: Annotated[UploadFile, File(description="CSV with the docs/claims.md columns.")],
    setting: SettingParam = "practitioner",
    only_problems: OnlyProblems = False,
    locality: Locality = None,
) -> dict[str, Any]:
    """The same check for an uploaded CSV claim file."""
    with heavy.slot():
        return claim_service.check_csv(
            res,
            file.file,
            setting,
            only_problems,
            name=file.filename or "claims.csv",
            locality=locality,
        )

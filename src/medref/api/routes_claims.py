"""Claim checks: a JSON list of claims, or a CSV upload. Claim data can hold PHI: nothing
here logs it, and the server's access log is off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, UploadFile

from medref.api.deps import DateOfService, Heavy, Res, SettingParam
from medref.api.errors import ERROR_RESPONSES
from medref.services import claims as claim_service
from medref.services import denials as denial_service
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
    columns: Annotated[
        str | None,
        Query(
            description="The CSV's column names mapped to ours (cpt=code,dos=date_of_service; "
            "NAME=- ignores one) or a preset name such as common.",
            max_length=2000,
        ),
    ] = None,
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
            column_map=columns,
        )


@router.post("/check/x12")
def check_x12(
    res: Res,
    heavy: Heavy,
    file: Annotated[UploadFile, File(description="An X12 5010 837P or 837I interchange.")],
    setting: SettingParam = "practitioner",
    only_problems: OnlyProblems = False,
    locality: Locality = None,
) -> dict[str, Any]:
    """The same check for an uploaded 837: each finding with its `place` in the file
    (interchange, group and transaction control numbers, CLM01, LX and segment positions);
    the summary adds `x12`, what the file held and its envelope problems (docs/x12.md)."""
    with heavy.slot():
        return claim_service.check_x12(
            res,
            file.file,
            setting,
            only_problems,
            name=file.filename or "claims.837",
            locality=locality,
        )


@router.post("/denials")
def denials(
    res: Res,
    heavy: Heavy,
    file: Annotated[UploadFile, File(description="An X12 5010 835 remittance advice.")],
    claims: Annotated[
        UploadFile,
        File(description="Optional: the claims as sent (837, CSV or JSON), for diagnoses."),
    ] = None,  # type: ignore[assignment]  # optional, without a null alternative in the schema
    setting: SettingParam = "practitioner",
) -> dict[str, Any]:
    """Each adjusted service line of an 835: group code, CARC and RARCs explained, the line
    re-checked by the claim rules (reproduced, not_reproduced, review, no_data,
    not_checked), with the canonical reference and the fix."""
    with heavy.slot():
        return denial_service.denials_upload(
            res, file.file, claims.file if claims is not None else None, setting
        )

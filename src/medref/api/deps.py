"""What routes share: the process's `Resources` and the common query parameters."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request

from medref.claims.model import Setting
from medref.services import Resources


def resources(request: Request) -> Resources:
    found: Resources = request.app.state.resources
    return found


Res = Annotated[Resources, Depends(resources)]
DateOfService = Annotated[
    date | None,
    Query(description="Date of service (YYYY-MM-DD): use the releases in force on it."),
]
SettingParam = Annotated[
    Setting, Query(description="NCCI setting for claims that do not name theirs.")
]

"""Health, sources, records (the text a citation quotes) and vault pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from medref.api.deps import DateOfService, Res
from medref.api.errors import ERROR_RESPONSES
from medref.services import knowledge as kb_service

router = APIRouter(prefix="/api", tags=["knowledge base"], responses=ERROR_RESPONSES)


@router.get("/health")
def health(res: Res) -> dict[str, Any]:
    """Liveness and the knowledge base in use; never needs an API key."""
    return kb_service.health(res)


@router.get("/sources")
def sources(res: Res) -> list[dict[str, Any]]:
    """Every loaded source release: records, chunks, the dates it is in force, build time."""
    return kb_service.sources(res)


@router.get("/record")
def record(
    res: Res,
    ref: Annotated[
        str,
        Query(
            min_length=3,
            max_length=200,
            description="Canonical reference, e.g. IOM:100-04/12/30.6.1",
        ),
    ],
    release: Annotated[
        str | None,
        Query(max_length=40, description="This release (see /api/sources); else a 400."),
    ] = None,
    date_of_service: DateOfService = None,
) -> dict[str, Any]:
    """One record with its full text: what citations quote and the web app highlights."""
    return kb_service.record(res, ref, release, date_of_service)


@router.get("/vault/{slug}")
def vault_page(
    res: Res, slug: Annotated[str, Path(max_length=100, pattern="^[a-z0-9-]+$")]
) -> dict[str, Any]:
    """A concept page of the knowledge vault with its links and backlinks."""
    return kb_service.vault_page(res, slug)

"""Search, ask, and ask as a stream of Server-Sent Events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from medref import services
from medref.api.deps import DateOfService, Res

router = APIRouter(prefix="/api", tags=["search and ask"])

K = Annotated[int, Query(ge=1, le=50, description="How many results.")]


def source_list(values: list[str] | None) -> list[str] | None:
    """`?source=a&source=b` or `?source=a,b`."""
    names = [name.strip() for value in values or () for name in value.split(",")]
    return [name for name in names if name] or None


@router.get("/search")
def search(
    res: Res,
    q: Annotated[str, Query(description="A question, a code or a reference.")],
    k: K = 10,
    source: Annotated[list[str] | None, Query(description="Only these sources.")] = None,
    release: Annotated[str | None, Query(max_length=40)] = None,
    date_of_service: DateOfService = None,
) -> list[dict[str, Any]]:
    """Hybrid search (exact routes, BM25, dense vectors): hits with canonical references."""
    return services.search(res, q, k, source_list(source), release, date_of_service)

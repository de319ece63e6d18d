"""Search, ask, and ask as a stream of Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from medref.api.deps import DateOfService, Heavy, Res
from medref.api.errors import ERROR_RESPONSES, error_body, library_status, snake_case
from medref.errors import MedrefError
from medref.services import search as search_service

router = APIRouter(prefix="/api", tags=["search and ask"], responses=ERROR_RESPONSES)

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
    release: Annotated[
        str | None,
        Query(max_length=40, description="Only this release (see /api/sources); else a 400."),
    ] = None,
    date_of_service: DateOfService = None,
) -> list[dict[str, Any]]:
    """Hybrid search (exact routes, BM25, dense vectors): hits with canonical references."""
    return search_service.search(res, q, k, source_list(source), release, date_of_service)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="What a coder would type.")
    k: int = Field(10, ge=1, le=50, description="Retrieved records the answer draws on.")
    llm: bool | None = Field(
        None, description="Phrase with the LLM (default: when MEDREF_LLM_BASE_URL is set)."
    )


@router.post("/ask")
def ask(res: Res, heavy: Heavy, body: AskRequest) -> dict[str, Any]:
    """An answer whose every sentence cites a record and quotes it exactly; the fixed
    refusal, with the closest sources, when the loaded sources do not answer."""
    with heavy.slot():
        return search_service.ask(res, body.question, body.k, body.llm)


@router.get(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events `text`, `dropped`, `notice`, then `done` (the "
            "answer as from POST /api/ask), or `error` (the one error shape)",
        }
    },
)
def ask_stream(
    res: Res,
    heavy: Heavy,
    q: Annotated[str, Query(description="The question.")],
    k: K = 10,
    llm: Annotated[bool | None, Query()] = None,
) -> StreamingResponse:
    """The answer as Server-Sent Events: verified text as it is ready, then the citations."""
    events = search_service.ask_events(res, q, k, llm)
    return StreamingResponse(
        server_sent(heavy.iterate(events)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def server_sent(events: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[str]:
    """SSE framing; a library error after the stream has started becomes an `error` event."""
    try:
        for name, data in events:
            yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
    except MedrefError as exc:
        body = error_body(library_status(exc), snake_case(type(exc).__name__), str(exc))
        yield f"event: error\ndata: {json.dumps(body)}\n\n"

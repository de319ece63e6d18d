"""The one JSON error shape of the API, and the handlers that put every error in it.

    {"error": {"status": 404, "type": "not_found", "message": "..."}}

FastAPI's own handlers (404/405 from routing, 422 from validation) are replaced, library
errors are translated here at one boundary, and unexpected errors become a bare 500 whose
message says nothing about the request (it may hold claim data). Every status is in the
OpenAPI schema (`ERROR_RESPONSES`), and an error never costs the client its keep-alive
connection (`UnexpectedErrorGuard`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medref.errors import (
    InputError,
    InputTooLargeError,
    KnowledgeBaseError,
    MedrefError,
    NotFoundError,
)

HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    type: str = Field(description="A stable name: bad_request, input_error, not_found, ...")
    message: str = Field(description="What went wrong and what to do; never claim data.")


class ErrorBody(BaseModel):
    """The one JSON error shape."""

    error: ErrorDetail


ERROR_WHEN = {
    400: "Bad input: an empty or malformed query, an unknown code, source or release, a bad "
    "claim file header.",
    401: "API keys are configured (MEDREF_API_KEYS) and X-API-Key is missing or unknown.",
    404: "No such record, vault page or path.",
    413: "The body (MEDREF_MAX_UPLOAD_BYTES), a query (MEDREF_MAX_QUERY_CHARS) or the claim "
    "lines of one request are over their limit.",
    422: "A parameter or body field does not match this schema, or the body is not JSON.",
    500: "An unexpected error; the server log has the details.",
    503: "No knowledge base is built yet, or it cannot be read.",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": when} for status, when in ERROR_WHEN.items()
}
"""Every error status of every API route, in the one shape, for the OpenAPI schema."""

UNEXPECTED = "internal error; the server log has the details"

ROUTING_MESSAGES = {
    404: "nothing at {where}; the API is described at /openapi.json",
    405: "{where} is not allowed; the API is described at /openapi.json",
}


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {"error": {"status": status, "type": kind, "message": message}}


def error_response(
    status: int, message: str, kind: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = kind or HTTP_TYPES.get(status, "error")
    return JSONResponse(error_body(status, kind, message), status_code=status, headers=headers)


def library_status(exc: MedrefError) -> int:
    """HTTP status of a library error: the caller's fault, a missing thing, or ours."""
    if isinstance(exc, InputTooLargeError):
        return 413
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, KnowledgeBaseError):
        return 503
    return 500


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def validation_message(errors: Sequence[Any]) -> str:
    """Where and what, never the rejected value (it may be claim data)."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            parts.append(
                f"the body is not valid JSON ({detail})" if detail else "the body is not valid JSON"
            )
            continue
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", ""))
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        message = ROUTING_MESSAGES.get(exc.status_code, str(exc.detail))
        where = f"{request.method} {request.url.path}"
        return error_response(exc.status_code, message.format(where=where), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_message(exc.errors()))

    @app.exception_handler(MedrefError)
    async def medref_error(_: Request, exc: MedrefError) -> JSONResponse:
        status = library_status(exc)
        return error_response(status, str(exc), snake_case(type(exc).__name__))

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(500, UNEXPECTED)


class UnexpectedErrorGuard:
    """Turns an unexpected exception into the bare 500 right where it happens, logged with
    its traceback. Starlette's outermost handler would send the same 500 and then re-raise,
    and uvicorn answers a re-raised error by closing the connection: a keep-alive client
    would lose it. Pure ASGI, innermost of the middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except HTTPException:
            raise
        except Exception:
            if started:  # half a response went out: only closing the connection is honest
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            await error_response(500, UNEXPECTED)(scope, receive, send)

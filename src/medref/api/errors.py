"""The one JSON error shape of the API, and the handlers that put every error in it.

    {"error": {"status": 404, "type": "not_found", "message": "..."}}

FastAPI's own handlers (404/405 from routing, 422 from validation) are replaced, library
errors are translated here at one boundary, and unexpected errors become a bare 500 whose
message says nothing about the request (it may hold claim data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

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
        return error_response(500, "internal error; the server log has the details")

"""ASGI middleware guarding every request before a route sees it: the optional API key and
the request body size cap. Pure ASGI (not BaseHTTPMiddleware) so a streamed upload is
counted as it arrives and refused without being buffered."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medref.api.errors import error_response

OPEN_PATHS = frozenset({"/api/health"})
"""Paths under /api/ that need no key (a load balancer's probe)."""


class ApiKeyGuard:
    """When keys are configured, /api/* (except OPEN_PATHS) requires `X-API-Key`."""

    def __init__(self, app: ASGIApp, keys: Sequence[str]) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-api-key", b"")
        if any(hmac.compare_digest(given, key) for key in self.keys):
            await self.app(scope, receive, send)
            return
        message = "missing or unknown API key: send one of the configured keys in X-API-Key"
        response = error_response(401, message, headers={"WWW-Authenticate": "X-API-Key"})
        await response(scope, receive, send)

    @staticmethod
    def _guarded(path: str) -> bool:
        return path.startswith("/api/") and path not in OPEN_PATHS


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body passes the cap. An HTTPException, so FastAPI's
    body parsing lets it through to the error handlers instead of calling it a bad body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return (
        f"the request body is over the {limit:,}-byte limit (MEDREF_MAX_UPLOAD_BYTES); "
        "split the claim file and send the parts"
    )


class BodySizeGuard:
    """Refuses a request body over `limit` bytes with 413, by its Content-Length when sent,
    else by counting the bytes as they stream in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(413, too_large_message(self.limit))(scope, receive, send)

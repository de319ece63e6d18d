"""Admission for claim checks: at most `limit` claim-check requests in a process at once,
counted before their bodies are read. A 50,000-line check holds its parsed body and its
findings (~80 MB); the bulkhead lets only one per core compute, but without this bound every
waiting request would still hold its body. Past the bound the request is refused at once
with 503 and `Retry-After`, in the one error shape, its body never read.
"""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from medref.api.errors import error_response

CLAIM_PATHS = ("/api/check",)
LIMIT = 4
"""Claim checks in flight per process: two computing (one per core) and two waiting."""
RETRY_AFTER = "2"


class ClaimAdmission:
    def __init__(self, app: ASGIApp, limit: int = LIMIT) -> None:
        self.app = app
        self.limit = limit
        self.active = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CLAIM_PATHS):
            await self.app(scope, receive, send)
            return
        with self.lock:
            admitted = self.active < self.limit
            if admitted:
                self.active += 1
        if not admitted:
            response = error_response(
                503,
                f"{self.limit} claim checks are already running in this server process; "
                f"retry in {RETRY_AFTER} seconds, or check large files with `medref check`",
                headers={"Retry-After": RETRY_AFTER},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.active -= 1

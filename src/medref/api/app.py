"""The FastAPI application: routers over `medref.services`, the web app, one JSON error
shape, the optional API key and the request size cap. `create_app` assembles them."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medref import __version__
from medref.api import routes_claims, routes_codes, routes_kb, routes_search
from medref.api.admission import ClaimAdmission
from medref.api.deps import Bulkhead
from medref.api.errors import UnexpectedErrorGuard, error_body, install_error_handlers
from medref.api.guards import ApiKeyGuard, BodySizeGuard
from medref.api.web import mount_web
from medref.errors import MedrefError, SettingsError
from medref.services.resources import Resources
from medref.settings import Settings, load_settings

__all__ = ["create_app", "error_body", "serve_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """Medicare billing and coding reference engine: search the official CMS/CDC
sources, ask questions answered with exact citations, look codes up, check claim lines
against the NCCI edit tables and level E/M visits.

Every error has one shape: `{"error": {"status", "type", "message"}}`. When API keys are
configured, send one in `X-API-Key` (every `/api/` path except `/api/health`)."""

ROUTERS = (routes_kb.router, routes_search.router, routes_codes.router, routes_claims.router)


def create_app(
    settings: Settings | None = None, resources: Resources | None = None, *, warm: bool = False
) -> FastAPI:
    """The app for `settings`. Pass `resources` to share loaded indexes (tests). `warm` (a
    server) loads them in the background at start so the first requests do not wait, and
    follows rebuilds: a new build is loaded and warmed before it serves (a thread looks at
    `current` every MEDREF_FOLLOW_SECONDS; SIGHUP looks at once)."""
    settings = settings or load_settings()
    if any(not key.strip() for key in settings.api_keys):
        raise SettingsError("an API key is empty or blank: it would let requests without a key in")
    shared = resources or Resources(settings, background=warm)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not warm:
            yield
            return
        stop = threading.Event()
        threading.Thread(target=_warm, args=(shared,), name="medref-warm", daemon=True).start()
        threading.Thread(
            target=shared.watch, args=(stop,), name="medref-watch", daemon=True
        ).start()
        hangup = _on_hangup(shared)
        try:
            yield
        finally:
            stop.set()
            if hangup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    app = FastAPI(title="medref", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.resources = shared
    app.state.bulkhead = Bulkhead()
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_web(app)
    app.add_middleware(UnexpectedErrorGuard)
    app.add_middleware(ClaimAdmission)
    app.add_middleware(BodySizeGuard, limit=settings.max_upload_bytes)
    app.add_middleware(ApiKeyGuard, keys=settings.api_keys)
    return app


def serve_app() -> FastAPI:
    """The factory `medref serve` hands each worker process: settings from the environment,
    indexes warmed at start."""
    return create_app(warm=True)


def _on_hangup(resources: Resources) -> bool:
    """SIGHUP: look at `current` now (a worker of `medref serve --workers 1`; with several
    workers uvicorn's supervisor takes SIGHUP and restarts them one by one)."""

    def look() -> None:
        threading.Thread(target=resources.follow, kwargs={"now": True}, daemon=True).start()

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, look)
    except (RuntimeError, ValueError, NotImplementedError):  # not the main thread, or no SIGHUP
        return False
    return True


def _warm(resources: Resources) -> None:
    try:
        resources.warm()
    except MedrefError as exc:
        log.warning("indexes not loaded at start: %s", exc)

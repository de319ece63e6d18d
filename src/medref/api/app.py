"""The FastAPI application: routers over `medref.services`, the web app, one JSON error
shape, the optional API key and the request size cap. `create_app` assembles them."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medref import __version__
from medref.api import routes_claims, routes_codes, routes_kb, routes_search
from medref.api.deps import Bulkhead
from medref.api.errors import error_body, install_error_handlers
from medref.api.guards import ApiKeyGuard, BodySizeGuard
from medref.api.web import mount_web
from medref.errors import MedrefError
from medref.services.resources import Resources
from medref.settings import Settings

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
    """The app for `settings`. Pass `resources` to share loaded indexes (tests); `warm`
    loads them in the background at start so the first requests do not wait."""
    settings = settings or Settings()
    shared = resources or Resources(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=_warm, args=(shared,), name="medref-warm", daemon=True).start()
        yield

    app = FastAPI(title="medref", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.resources = shared
    app.state.bulkhead = Bulkhead()
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_web(app)
    app.add_middleware(BodySizeGuard, limit=settings.max_upload_bytes)
    app.add_middleware(ApiKeyGuard, keys=settings.api_keys)
    return app


def serve_app() -> FastAPI:
    """The factory `medref serve` hands each worker process: settings from the environment,
    indexes warmed at start."""
    return create_app(warm=True)


def _warm(resources: Resources) -> None:
    try:
        resources.warm()
    except MedrefError as exc:
        log.warning("indexes not loaded at start: %s", exc)

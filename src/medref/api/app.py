"""The FastAPI application: health and sources for now; search, ask, code, check and E/M
are mounted by their routers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from medref import __version__
from medref.errors import InputError, KnowledgeBaseError, MedrefError
from medref.kb import KnowledgeBase
from medref.settings import Settings


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {"error": {"status": status, "type": kind, "message": message}}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="medref", version=__version__,
                  description="Medicare billing and coding reference engine")
    app.state.settings = settings
    app.state.kb = None

    def kb() -> KnowledgeBase:
        if app.state.kb is None:
            app.state.kb = KnowledgeBase.open(settings)
        current: KnowledgeBase = app.state.kb
        return current

    @app.exception_handler(MedrefError)
    async def medref_error(_: Request, exc: MedrefError) -> JSONResponse:
        status = 400 if isinstance(exc, InputError) else 503 if isinstance(
            exc, KnowledgeBaseError) else 500
        return JSONResponse(error_body(status, type(exc).__name__, str(exc)), status_code=status)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        base = kb()
        return {"status": "ok", "version": __version__, "knowledge_base": str(base.path),
                "built_at": base.manifest.get("built_at")}

    @app.get("/api/sources")
    def sources() -> list[dict[str, Any]]:
        return [
            {"source": r.source, "release": r.release, "records": r.records, "chunks": r.chunks,
             "effective": r.effective, "until": r.until, "built_at": r.built_at}
            for r in kb().releases()
        ]

    return app

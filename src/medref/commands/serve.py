from __future__ import annotations

import click
import uvicorn

from medref.api.app import create_app
from medref.commands.options import load_settings


@click.command(name="serve")
@click.option("--host", default=None, help="Address to listen on (default MEDREF_HOST).")
@click.option("--port", type=int, default=None, help="Port (default MEDREF_PORT, 8000).")
def command(host: str | None, port: int | None) -> None:
    """Serve the REST API and the web app.

    Example: medref serve --port 8000   (then open http://127.0.0.1:8000)
    """
    settings = load_settings()
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port,
                log_level="info", access_log=False)

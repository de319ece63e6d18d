from __future__ import annotations

import click

from medref.commands.options import load_settings


@click.command(name="serve")
@click.option("--host", default=None, help="Address to listen on (default MEDREF_HOST).")
@click.option("--port", type=int, default=None, help="Port (default MEDREF_PORT, 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; each loads its own indexes and claim tables (0.5 GB or more).",
)
def command(host: str | None, port: int | None, workers: int) -> None:
    """Serve the REST API and the web app.

    Indexes and claim tables load in the background at start, so the first requests do not
    wait for them. Claim data is never logged (the access log is off).

    Example: medref serve --port 8000   (then open http://127.0.0.1:8000)
    """
    import uvicorn

    settings = load_settings()
    uvicorn.run(
        "medref.api.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        access_log=False,
    )

from __future__ import annotations

import click

from medref.commands.options import load_settings


@click.command(name="serve")
@click.option("--host", default=None, help="Address to listen on (default MEDREF_HOST).")
@click.option("--port", type=int, default=None, help="Port (default MEDREF_PORT, 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default MEDREF_WORKERS, 1). One process computes on one core: "
    "use one worker per core (`make run` starts 2). Each loads its own indexes and claim "
    "tables: 0.6 GB warm, about 0.65 GB after a 10-minute soak (docs/benchmarks.md).",
)
def command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the REST API and the web app.

    Indexes and claim tables load in the background at start, so the first requests do not
    wait for them. Claim data is never logged (the access log is off). After `medref build`
    swaps in a new knowledge base, each worker loads it and moves to it without a restart
    (it looks every MEDREF_FOLLOW_SECONDS, or at once on SIGHUP); the build it served is
    kept on disk until no worker reads it.

    Example: medref serve --port 8000 --workers 2   (then open http://127.0.0.1:8000)
    """
    import uvicorn

    settings = load_settings()
    uvicorn.run(
        "medref.api.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level="info",
        access_log=False,
    )

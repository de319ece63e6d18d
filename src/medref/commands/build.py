from __future__ import annotations

import click

from medref.commands.options import load_settings


@click.command(name="build")
@click.option("--source", "names", multiple=True, help="Only these sources (repeatable).")
@click.option("--force", is_flag=True, help="Rebuild even when no input changed.")
@click.option("--no-embeddings", is_flag=True, help="Skip dense vectors (BM25 and routing only).")
@click.option("--no-progress", is_flag=True)
def command(names: tuple[str, ...], force: bool, no_embeddings: bool, no_progress: bool) -> None:
    """Build the knowledge base from the mirror (MEDREF_SOURCES) or the download cache.

    The build is written beside the current one and swapped in atomically: a failed or
    interrupted build leaves the previous knowledge base in use. Unchanged inputs do no work.

    Example: MEDREF_SOURCES=../shared/cms medref build
    """
    from medref.services.knowledge import build

    settings = load_settings()
    if no_embeddings:
        settings = settings.model_copy(update={"embeddings": False})
    report = build(
        settings, only=names or None, progress=not no_progress, force=force, log=click.echo
    )
    if not report.changed:
        click.echo(f"up to date: {report.path} ({report.seconds:.1f} s)")
        return
    click.echo(
        f"built {report.path} in {report.seconds:.1f} s "
        f"({len(report.parsed)} releases parsed, {len(report.reused)} reused)"
    )

from __future__ import annotations

import click

from medref.commands.options import load_settings


@click.command(name="build")
@click.option(
    "--source",
    "names",
    multiple=True,
    help="Update only these sources (repeatable); every other release in force is kept.",
)
@click.option("--force", is_flag=True, help="Rebuild even when no input changed.")
@click.option(
    "--accept-changes",
    is_flag=True,
    help="Go ahead when a source or release vanished, or a release lost more records than "
    "MEDREF_MAX_RECORD_DROP allows (default 10%).",
)
@click.option("--no-embeddings", is_flag=True, help="Skip dense vectors (BM25 and routing only).")
@click.option("--no-progress", is_flag=True)
def command(
    names: tuple[str, ...],
    force: bool,
    accept_changes: bool,
    no_embeddings: bool,
    no_progress: bool,
) -> None:
    """Build the knowledge base from the mirror (MEDREF_SOURCES) or the download cache.

    The build is written beside the current one and swapped in atomically: a failed or
    interrupted build leaves the previous knowledge base in use, and running servers move
    to the new build by themselves. Unchanged inputs do no work; one build runs at a time.
    A source or release that vanished, or a release that lost more than
    MEDREF_MAX_RECORD_DROP of its records, stops the build unless --accept-changes.

    Example: MEDREF_SOURCES=../shared/cms medref build
    """
    from medref.services.knowledge import build

    settings = load_settings()
    if no_embeddings:
        settings = settings.model_copy(update={"embeddings": False})
    report = build(
        settings,
        only=names or None,
        progress=not no_progress,
        force=force,
        accept_changes=accept_changes,
        log=click.echo,
    )
    if not report.changed:
        click.echo(f"up to date: {report.path} ({report.seconds:.1f} s)")
        return
    click.echo(
        f"built {report.path} in {report.seconds:.1f} s "
        f"({len(report.parsed)} releases parsed, {len(report.reused)} reused)"
    )

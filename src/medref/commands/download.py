from __future__ import annotations

from pathlib import Path

import click

from medref.commands.options import load_settings


@click.command(name="download")
@click.option(
    "--mirror",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Copy from a local folder laid out like ../shared/cms instead of the network.",
)
@click.option("--source", "names", multiple=True, help="Only these sources (repeatable).")
@click.option("--no-progress", is_flag=True)
def command(mirror: Path | None, names: tuple[str, ...], no_progress: bool) -> None:
    """Fetch the official CMS/CDC files into the download cache (MEDREF_HOME/downloads).

    Each source release gets a manifest (URL, release, date, SHA-256, files); re-runs whose
    files match their manifest fetch nothing.

    Example: medref download --source hcpcs --source icd10cm
    """
    import httpx

    from medref.download import download_source, mirror_copy
    from medref.sources import all_sources

    settings = load_settings()
    root = settings.downloads
    wanted = set(names)
    with httpx.Client(timeout=120, headers={"User-Agent": "medref"}) as client:
        for source in all_sources():
            if wanted and source.name not in wanted:
                continue
            if not source.downloads():
                continue  # our own sources (vault, modifier notes) are not downloaded
            if mirror is not None:
                results = mirror_copy(source, mirror, root)
            else:
                results = download_source(source, root, client=client, progress=not no_progress)
            for result in results:
                state = "fetched" if result.fetched else "up to date"
                click.echo(f"{result.source} {result.release}: {state} ({len(result.files)} files)")

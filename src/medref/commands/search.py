"""`medref search`: ranked, cited hits for a question, a code or a reference."""

from __future__ import annotations

from datetime import datetime

import click

from medref.commands.options import date_of_service_option, day, echo_json, json_option, resources


@click.command(
    "search",
    epilog='Example: medref search "modifier 25 on the day of a procedure" -k 5; '
    "medref search G0439 --source hcpcs --json",
)
@click.argument("query")
@click.option(
    "-k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Number of hits."
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="Only hits from this source (repeatable), e.g. hcpcs, icd10cm, iom.",
)
@click.option("--release", help="Only hits from this release, e.g. 2026-01.")
@date_of_service_option
@json_option
def command(
    query: str,
    k: int,
    sources: tuple[str, ...],
    release: str | None,
    date_of_service: datetime | None,
    as_json: bool,
) -> None:
    """Search the knowledge base: exact routes for codes and references, then hybrid
    BM25 + dense ranking. Each hit names its canonical reference and release."""
    from medref.services.search import search

    hits = search(resources(), query, k, sources, release, day(date_of_service))
    if as_json:
        echo_json(hits)
        return
    if not hits:
        click.echo("no hits")
    for rank, hit in enumerate(hits, start=1):
        click.echo(f"{rank:>2}. {hit['ref']}  [{hit['source']} {hit['release']}]  {hit['title']}")
        click.echo(f"    {hit['snippet']}")

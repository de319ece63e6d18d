"""`medref search`: ranked, cited hits for a question, a code or a reference."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import click

from medref.commands.options import echo_json, json_option, load_settings
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher


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
@click.option(
    "--date-of-service",
    "-d",
    "date_of_service",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Use the releases in force on this date (YYYY-MM-DD).",
)
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
    settings = load_settings()
    searcher = Searcher(KnowledgeBase.open(settings), dense=settings.embeddings)
    hits = searcher.search(
        query,
        k=k,
        sources=sources or None,
        release=release,
        date_of_service=date_of_service.date() if date_of_service else None,
    )
    if as_json:
        echo_json(
            [{key: value for key, value in asdict(hit).items() if key != "text"} for hit in hits]
        )
        return
    if not hits:
        click.echo("no hits")
    for rank, hit in enumerate(hits, start=1):
        click.echo(f"{rank:>2}. {hit.ref}  [{hit.source} {hit.release}]  {hit.title}")
        click.echo(f"    {hit.snippet}")

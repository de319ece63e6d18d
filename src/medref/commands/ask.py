"""`medref ask`: an answer with citations, or "The loaded sources do not answer this."."""

from __future__ import annotations

import click

from medref.answer import Answer, ask
from medref.commands.options import echo_json, json_option, load_settings
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher


def _print(answer: Answer) -> None:
    click.echo(answer.text)
    if answer.notice:
        click.echo(f"\nnote: {answer.notice}", err=True)
    if answer.citations:
        click.echo("\nCitations:")
        for number, citation in enumerate(answer.citations, start=1):
            click.echo(f"[{number}] {citation.ref}  [{citation.source} {citation.release}]")
            click.echo(f'    "{citation.quote}"')
    if answer.closest:
        click.echo("\nClosest sources:")
        for item in answer.closest:
            click.echo(f"- {item.ref}  [{item.source} {item.release}]  {item.title}")
    if answer.dropped:
        click.echo("\nDropped (not supported by the cited text):")
        for dropped in answer.dropped:
            click.echo(f"- {dropped.text} ({dropped.reason})")


@click.command(
    "ask",
    epilog='Example: medref ask "How long must a provider keep a signed ABN?"; '
    'medref ask "What is the practitioner MUE for J1100?" --json',
)
@click.argument("question")
@click.option(
    "--llm/--no-llm",
    "use_llm",
    default=None,
    help="Phrase the answer with the LLM at MEDREF_LLM_BASE_URL (default: when it is set).",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="Search hits to gather evidence from.",
)
@json_option
def command(question: str, use_llm: bool | None, k: int, as_json: bool) -> None:
    """Answer a question from the loaded sources, every sentence cited by canonical
    reference with the exact quote; refuse when the sources do not answer it."""
    settings = load_settings()
    kb = KnowledgeBase.open(settings)
    searcher = Searcher(kb, dense=settings.embeddings)
    answer = ask(kb, searcher, question, settings, use_llm=use_llm, k=k)
    if as_json:
        echo_json(answer.to_dict())
    else:
        _print(answer)

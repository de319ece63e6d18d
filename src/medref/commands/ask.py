"""`medref ask`: an answer with citations, or "The loaded sources do not answer this."."""

from __future__ import annotations

from typing import Any

import click

from medref.commands.options import echo_json, json_option, resources


def _print(answer: dict[str, Any]) -> None:
    click.echo(answer["answer"])
    if answer.get("notice"):
        click.echo(f"\nnote: {answer['notice']}", err=True)
    if answer.get("citations"):
        click.echo("\nCitations:")
        for number, citation in enumerate(answer["citations"], start=1):
            click.echo(
                f"[{number}] {citation['ref']}  [{citation['source']} {citation['release']}]"
            )
            click.echo(f'    "{citation["quote"]}"')
    if answer.get("closest"):
        click.echo("\nClosest sources:")
        for item in answer["closest"]:
            click.echo(f"- {item['ref']}  [{item['source']} {item['release']}]  {item['title']}")
    if answer.get("dropped"):
        click.echo("\nDropped (not supported by the cited text):")
        for dropped in answer["dropped"]:
            click.echo(f"- {dropped['text']} ({dropped['reason']})")


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
    from medref.services.search import ask

    answer = ask(resources(), question, k, use_llm)
    if as_json:
        echo_json(answer)
    else:
        _print(answer)

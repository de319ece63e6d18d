from __future__ import annotations

import sys

import click

from medref.commands.options import echo_json, json_option, resources
from medref.vault import check_links, load_vault


@click.group(name="vault")
def command() -> None:
    """The knowledge vault: concept pages in our own words, linked with [[wikilinks]].

    Example: medref vault check
    """


@command.command(name="check")
def check() -> None:
    """Check every link resolves and every page is reached from the index.

    Example: medref vault check
    """
    pages = load_vault(resources().settings.vault)
    problems = check_links(pages)
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(pages)} pages, {len(problems)} link problems")
    if problems:
        sys.exit(1)


@command.command(name="show")
@click.argument("slug")
@json_option
def show(slug: str, as_json: bool) -> None:
    """Print a page with its links and backlinks.

    Example: medref vault show modifier-25
    """
    from medref.errors import NotFoundError
    from medref.services.knowledge import vault_page

    try:
        page = vault_page(resources(), slug)
    except NotFoundError as exc:
        raise click.BadParameter(f"{exc}; try `medref vault show index`") from None
    if as_json:
        echo_json(page)
        return
    click.echo(f"{page['title']}  (WIKI:{page['slug']})\n{page['description']}\n\n{page['body']}")
    click.echo(f"\nlinks: {', '.join(page['links'])}\nbacklinks: {', '.join(page['backlinks'])}")

from __future__ import annotations

import click

from medref.commands.options import echo_json, json_option, resources


@click.command(name="sources")
@json_option
def command(as_json: bool) -> None:
    """List the source releases in the knowledge base in use.

    Example: medref sources --json
    """
    from medref.services.knowledge import health, sources

    res = resources()
    rows = sources(res)
    if as_json:
        echo_json(rows)
        return
    about = health(res)
    click.echo(f"knowledge base {res.kb.path} (built {about['built_at']})")
    click.echo(f"{'source':<24} {'release':<10} {'records':>10} {'chunks':>9}  in force")
    for row in rows:
        window = f"{row['effective'] or '…'} .. {row['until'] or '…'}"
        click.echo(
            f"{row['source']:<24} {row['release']:<10} {row['records']:>10,} "
            f"{row['chunks']:>9,}  {window}"
        )

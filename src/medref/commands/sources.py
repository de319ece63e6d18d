from __future__ import annotations

import click

from medref.commands.options import echo_json, json_option, open_kb


@click.command(name="sources")
@json_option
def command(as_json: bool) -> None:
    """List the source releases in the knowledge base in use.

    Example: medref sources --json
    """
    kb = open_kb()
    rows = [
        {
            "source": info.source,
            "release": info.release,
            "records": info.records,
            "chunks": info.chunks,
            "effective": info.effective.isoformat() if info.effective else None,
            "until": info.until.isoformat() if info.until else None,
            "built_at": info.built_at,
        }
        for info in kb.releases()
    ]
    if as_json:
        echo_json(rows)
        return
    click.echo(f"knowledge base {kb.path} (built {kb.manifest['built_at']})")
    click.echo(f"{'source':<24} {'release':<10} {'records':>10} {'chunks':>9}  in force")
    for row in rows:
        window = f"{row['effective'] or '…'} .. {row['until'] or '…'}"
        click.echo(
            f"{row['source']:<24} {row['release']:<10} {row['records']:>10,} "
            f"{row['chunks']:>9,}  {window}"
        )

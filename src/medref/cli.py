"""The `medref` command: a thin skin over the library. Each command lives in its own module
under `medref/commands/` and exposes `command: click.Command`; library errors become one-line
messages here, at one boundary."""

from __future__ import annotations

import importlib
import sys

import click

from medref import __version__
from medref.errors import MedrefError

COMMAND_MODULES = (
    "download",
    "build",
    "sources",
    "search",
    "ask",
    "eval",
    "code",
    "em",
    "check",
    "denials",
    "price",
    "bench",
    "serve",
    "mcp",
    "vault",
)


class MedrefGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MedrefError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=MedrefGroup)
@click.version_option(__version__, prog_name="medref")
def cli() -> None:
    """Medicare billing and coding reference engine.

    Official CMS/CDC sources in a versioned knowledge base: search, cited answers, code
    lookup, E/M leveling and NCCI claim checks.

    Example: MEDREF_SOURCES=../shared/cms medref build && medref search "modifier 25"
    """


def _register() -> None:
    for name in COMMAND_MODULES:
        cli.add_command(importlib.import_module(f"medref.commands.{name}").command)


_register()


def main() -> None:
    cli(prog_name="medref")

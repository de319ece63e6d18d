"""`medref mcp`: the agent tools over the Model Context Protocol on stdio."""

from __future__ import annotations

import click

from medref.commands.options import load_settings


@click.command(name="mcp")
def command() -> None:
    """Serve search, ask, code_lookup, claim_check and em_level to an LLM agent (MCP, stdio).

    Point an MCP client at this command; it speaks the protocol on stdin/stdout and logs
    to stderr.

    Example: {"command": "medref", "args": ["mcp"], "env": {"MEDREF_HOME": "..."}}
    """
    from medref.mcp_server import run_stdio

    run_stdio(load_settings())

"""Every command is documented: its help ends with an example and the README names it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from medref.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_help_has_an_example(name: str, command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`medref {name} --help` has no example"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`medref {name}" in README


def test_vault_check_passes_on_the_repository_vault() -> None:
    result = CliRunner().invoke(cli, ["vault", "check"])
    assert result.exit_code == 0, result.output
    assert "0 link problems" in result.output


def test_library_errors_become_one_line_messages(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sources"], env={"MEDREF_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert result.output.startswith("error: no knowledge base") and "medref build" in result.output

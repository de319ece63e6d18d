"""The README tells the truth: its command table has one row per command whose examples parse
with that command's options, and its settings table is the one generated from `Settings`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from medref.cli import cli
from medref.settings import settings_table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
ROW = re.compile(r"^\| `medref ([a-z]+)(?: (-{0,2}[a-z-]+))?` \|(.+)\|(.+)\|$", re.MULTILINE)


def rows() -> list[tuple[str, str, str]]:
    return [(m[1], m[2] or "", m[4]) for m in ROW.finditer(README)]


def test_one_row_per_command() -> None:
    named = [name for name, variant, _ in rows() if not variant.startswith("-")]
    assert sorted(named) == sorted(cli.commands), "each command needs exactly one README row"


def test_every_example_parses_with_its_command() -> None:
    for name, _, examples in rows():
        for example in re.findall(r"`([^`]+)`", examples):
            words = [w for w in shlex.split(example) if not re.fullmatch(r"[A-Z_]+=.*", w)]
            assert words[:2] == ["medref", name], example
            command = cli.commands[name]
            args = words[2:]
            while isinstance(command, click.Group):
                command = command.commands[args.pop(0)]
            command.make_context(name, args)  # raises on an unknown option or bad value


def test_settings_table_is_generated_from_settings() -> None:
    assert settings_table() in README

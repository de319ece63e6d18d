"""Options and output helpers shared by commands."""

from __future__ import annotations

import json
from typing import Any

import click

from medref.kb import KnowledgeBase
from medref.settings import Settings
from medref.settings import load_settings as settings_from_environment

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def load_settings() -> Settings:
    return settings_from_environment()


def open_kb() -> KnowledgeBase:
    return KnowledgeBase.open(load_settings())


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))

"""Options and output helpers shared by commands. Commands reach features only through
`medref.services`, with the one `Resources` of the process."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from medref.services.resources import Resources
    from medref.settings import Settings

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
date_of_service_option = click.option(
    "--date-of-service",
    "-d",
    "date_of_service",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date of service (YYYY-MM-DD): use the releases and rules in force on it.",
)


def load_settings() -> Settings:
    """The environment's settings (imported here: `medref --help` needs no validation); a
    bad value is a one-line error naming the variable."""
    from medref.settings import load_settings as from_environment

    return from_environment()


def resources(settings: Settings | None = None) -> Resources:
    """The one door to the features for this command (see medref.services)."""
    from medref.services.resources import Resources

    return Resources(settings or load_settings())


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))

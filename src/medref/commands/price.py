"""`medref price`: the Medicare allowed amount of a code in a payment locality."""

from __future__ import annotations

from datetime import datetime

import click

from medref.commands.options import date_of_service_option, day, echo_json, json_option, resources


@click.command("price", epilog="Example: medref price 99213 --locality 01112-05 --pos 11")
@click.argument("code", required=False)
@click.option(
    "--locality",
    "-l",
    default=None,
    help="Medicare payment locality: MAC-locality number (01112-05), state and locality "
    "number (CA-05), a one-locality state (AL), or words of its name ('manhattan').",
)
@click.option(
    "--pos",
    "place_of_service",
    default="11",
    show_default=True,
    help="Place of service: facility places (21, 22, 23, 24, 31, ...) take the facility rate.",
)
@click.option(
    "--modifiers",
    "-m",
    default="",
    help="Payment modifiers, `|`- or comma-separated: 26, 50, 62, 80, 54.",
)
@click.option("--units", default=1, show_default=True, type=click.IntRange(min=1, max=9999))
@date_of_service_option
@click.option("--localities", "list_localities", is_flag=True, help="List the payment localities.")
@json_option
def command(
    code: str | None,
    locality: str | None,
    place_of_service: str,
    modifiers: str,
    units: int,
    date_of_service: datetime | None,
    list_localities: bool,
    as_json: bool,
) -> None:
    """The expected Medicare allowed amount of CODE: RVUs x GPCIs of the locality x the
    conversion factor, facility or non-facility by place of service, with the payment
    modifiers applied, citing the PFS row, the GPCI row and the manual sections.
    """
    from medref.services.pricing import localities, price

    res = resources()
    on = day(date_of_service)
    if list_localities:
        found = localities(res, on)
        if as_json:
            echo_json(found)
            return
        for item in found:
            click.echo(f"{item['id']}  {item['state']}  {item['name']}")
        return
    if code is None or locality is None:
        raise click.UsageError("give a CODE and --locality (or --localities to list them)")
    mods = [m for m in modifiers.replace(",", "|").split("|") if m.strip()]
    result = price(res, code, locality, place_of_service, mods, units, on)
    if as_json:
        echo_json(result)
        return
    amount = result["allowed_amount"]
    named = "-".join([result["code"], *result["modifiers"]])
    where = result["locality"]
    click.echo(
        f"{named} x{result['units']} in {where['id']} ({where['state']}, {where['name']}), "
        f"POS {result['place_of_service']}: "
        + (f"${amount}" if amount is not None else "no amount")
    )
    click.echo(f"  {result['explanation']}")

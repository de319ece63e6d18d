"""`medref em`: the E/M level of a visit from MDM elements or total time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from medref.commands.options import date_of_service_option, day, echo_json, json_option
from medref.em import ELEMENT_SCALES, FAMILY_CHOICES


@click.command(
    "em",
    epilog="Example: medref em --patient established --problems moderate --data limited "
    "--risk moderate",
)
@click.option(
    "--patient",
    type=click.Choice(["new", "established"]),
    help="New or established patient (office and home families).",
)
@click.option(
    "--problems",
    metavar="LEVEL",
    help=f"Number and complexity of problems addressed: {', '.join(ELEMENT_SCALES['problems'])} "
    "(or the MDM level word: straightforward, low, moderate, high).",
)
@click.option(
    "--data",
    metavar="LEVEL",
    help=f"Amount and complexity of data reviewed and analysed: "
    f"{', '.join(ELEMENT_SCALES['data'])} (or straightforward, low, moderate, high).",
)
@click.option(
    "--risk",
    metavar="LEVEL",
    help=f"Risk of complications of patient management: {', '.join(ELEMENT_SCALES['risk'])} "
    "(or straightforward).",
)
@click.option("--minutes", type=int, help="Total time on the date of the encounter.")
@date_of_service_option
@click.option(
    "--year",
    type=int,
    help="Year of the date of service instead of a date (2021+; other families 2023+); "
    "default: this year.",
)
@click.option(
    "--family",
    type=click.Choice(FAMILY_CHOICES),
    default="office",
    show_default=True,
    help="E/M family.",
)
@click.option(
    "--medicare/--no-medicare",
    default=True,
    show_default=True,
    help="Medicare prolonged code G2212 instead of CPT 99417.",
)
@click.option(
    "--minimal",
    is_flag=True,
    help="Select the code needing no MDM or time (99211; 99281 in the ED).",
)
@json_option
def command(
    patient: str | None,
    problems: str | None,
    data: str | None,
    risk: str | None,
    minutes: int | None,
    date_of_service: datetime | None,
    year: int | None,
    family: str,
    medicare: bool,
    minimal: bool,
    as_json: bool,
) -> None:
    """Level an E/M visit by medical decision making (2 of 3 elements) or total time.

    Give --problems, --data and --risk, or --minutes, or both (the higher code wins).
    Prolonged office time is added as G2212 (Medicare) or 99417.
    """
    from medref.services.visits import em_level

    result = em_level(
        patient,
        problems,
        data,
        risk,
        minutes,
        year,
        family,
        medicare,
        minimal,
        date_of_service=day(date_of_service),
    )
    if as_json:
        echo_json(result)
        return
    for line in render(result):
        click.echo(line)


def render(result: dict[str, Any]) -> list[str]:
    """The result as a short card."""
    lines = [f"{result['code']}  {result['level_name']}"]
    if result["basis"] == "mdm":
        lines.append(f"basis: MDM, decided by {' and '.join(result['deciding'])}")
    elif result["basis"] == "time":
        lines.append(f"basis: total time, {result['minutes']} minutes")
    else:
        lines.append("basis: selected explicitly (no MDM or time required)")
    if result["mdm"] is not None:
        lines.append(f"MDM: {result['mdm']['level']}")
        lines += [f"  {name:<9} {value}" for name, value in result["mdm"]["elements"].items()]
    for extra in result["prolonged"]:
        lines.append(f"prolonged: {extra['code']} x {extra['units']} ({extra['rule']})")
    lines += [f"note: {note}" for note in result["notes"]]
    lines.append(f"sources: {', '.join(result['sources'])}")
    return lines

"""`medref em`: the E/M level of a visit from MDM elements or total time."""

from __future__ import annotations

import click

from medref.commands.options import echo_json, json_option
from medref.em import ELEMENT_SCALES, FAMILIES, EmResult, mdm_level
from medref.errors import InputError

PATIENT_FAMILIES = frozenset({"office", "home"})
"""Families split by patient type: `--family office --patient new` -> office-new."""
FAMILY_CHOICES = ["office", "home", *(f for f in FAMILIES if not f.startswith(("office", "home")))]


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
    type=click.Choice(ELEMENT_SCALES["problems"]),
    help="Number and complexity of problems addressed.",
)
@click.option(
    "--data",
    type=click.Choice(ELEMENT_SCALES["data"]),
    help="Amount and complexity of data reviewed and analysed.",
)
@click.option(
    "--risk",
    type=click.Choice(ELEMENT_SCALES["risk"]),
    help="Risk of complications of patient management.",
)
@click.option("--minutes", type=int, help="Total time on the date of the encounter.")
@click.option(
    "--year",
    type=int,
    default=2025,
    show_default=True,
    help="Year of the date of service (2021+; other families 2023+).",
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
    year: int,
    family: str,
    medicare: bool,
    minimal: bool,
    as_json: bool,
) -> None:
    """Level an E/M visit by medical decision making (2 of 3 elements) or total time.

    Give --problems, --data and --risk, or --minutes, or both (the higher code wins).
    Prolonged office time is added as G2212 (Medicare) or 99417.
    """
    result = mdm_level(
        _family(family, patient),
        problems=problems,
        data=data,
        risk=risk,
        minutes=minutes,
        year=year,
        medicare=medicare,
        minimal=minimal,
    )
    if as_json:
        echo_json(result.to_dict())
        return
    for line in render(result):
        click.echo(line)


def _family(family: str, patient: str | None) -> str:
    if family in PATIENT_FAMILIES:
        if patient is None:
            raise InputError(f"--family {family} needs --patient new or --patient established")
        return f"{family}-{patient}"
    if patient is not None:
        raise InputError(f"--patient does not apply to --family {family}")
    return family


def render(result: EmResult) -> list[str]:
    """The result as a short card."""
    lines = [f"{result.code}  {result.level_name}"]
    if result.basis == "mdm":
        lines.append(f"basis: MDM, decided by {' and '.join(result.deciding)}")
    elif result.basis == "time":
        lines.append(f"basis: total time, {result.minutes} minutes")
    else:
        lines.append("basis: selected explicitly (no MDM or time required)")
    if result.mdm is not None:
        lines.append(f"MDM: {result.mdm.level}")
        lines += [f"  {name:<9} {value}" for name, value in result.mdm.elements.items()]
    for extra in result.prolonged:
        lines.append(f"prolonged: {extra.code} x {extra.units} ({extra.rule})")
    lines += [f"note: {note}" for note in result.notes]
    return lines

"""The plan's inputs that do not come from a file reader: claims already read (the JSON
reader, the API, the history file) as the `lines`, `line_mods` and `claim_dx` tables, the
`outside` words of every table, and the facts of a batch's distinct values.

`LineTables` is what an engine registers; `from_claims` builds it with the same scope and
order the streaming engine uses (`engine.check_claims`: claims with a patient id are checked
with the patient's other claims and history, the others alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from medref.claims.columnar.edit_parquet import LABELS, epoch_day
from medref.claims.engine import input_errors
from medref.claims.model import Claim, Finding

LINE_SCHEMA = pa.schema(
    [
        ("lid", pa.int64()),
        ("claim_key", pa.int64()),
        ("claim_id", pa.string()),
        ("history", pa.bool_()),
        ("claim_order", pa.int64()),
        ("setting", pa.string()),
        ("scope", pa.string()),
        ("across", pa.bool_()),
        ("seq", pa.int64()),
        ("line", pa.int32()),
        ("dos", pa.int32()),
        ("dos_text", pa.string()),
        ("code", pa.string()),
        ("mods", pa.string()),
        ("units", pa.int32()),
        ("pos", pa.string()),
        ("npi", pa.string()),
    ]
)
MOD_SCHEMA = pa.schema([("lid", pa.int64()), ("slot", pa.int8()), ("modifier", pa.string())])
DX_SCHEMA = pa.schema(
    [
        ("claim_key", pa.int64()),
        ("claim_id", pa.string()),
        ("position", pa.int16()),
        ("code", pa.string()),
    ]
)
ORDER_SHIFT = 20
"""`seq` = batch flag, claim order, position in claim: 20 bits of position (a claim line
number is at most 999,999), 30 of claim order."""
BATCH_FLAG = 1 << 50


def sequence(history: bool, order: int, position: int) -> int:
    return (0 if history else BATCH_FLAG) + (order << ORDER_SHIFT) + position


@dataclass
class LineTables:
    lines: pa.Table
    line_mods: pa.Table
    claim_dx: pa.Table
    errors: list[Finding] = field(default_factory=list)
    """Input errors, found by the reader (claims with problems are not checked)."""
    claims: int = 0
    history_claims: int = 0


def from_claims(claims: Iterable[Claim], history: Iterable[Claim] = ()) -> LineTables:
    lines: dict[str, list[Any]] = {name: [] for name in LINE_SCHEMA.names}
    mods: dict[str, list[Any]] = {name: [] for name in MOD_SCHEMA.names}
    dx: dict[str, list[Any]] = {name: [] for name in DX_SCHEMA.names}
    errors: list[Finding] = []
    key = 0
    counted = {"claims": 0, "history": 0}

    def add(claim: Claim, is_history: bool) -> None:
        nonlocal key
        key += 1
        scope = f"P:{claim.patient_id}" if claim.patient_id else f"#{key}"
        for position, line in enumerate(claim.lines):
            lid = len(lines["lid"])
            lines["lid"].append(lid)
            lines["claim_key"].append(key)
            lines["claim_id"].append(claim.claim_id)
            lines["history"].append(is_history)
            lines["claim_order"].append(claim.order)
            lines["setting"].append(claim.setting)
            lines["scope"].append(scope)
            lines["across"].append(bool(claim.patient_id))
            lines["seq"].append(sequence(is_history, claim.order, position))
            lines["line"].append(line.line)
            lines["dos"].append(epoch_day(line.date_of_service))
            lines["dos_text"].append(line.date_of_service.isoformat())
            lines["code"].append(line.code)
            lines["mods"].append("|".join(line.modifiers))
            lines["units"].append(line.units)
            lines["pos"].append(line.place_of_service)
            lines["npi"].append(line.rendering_npi)
            for slot, modifier in enumerate(line.modifiers, start=1):
                mods["lid"].append(lid)
                mods["slot"].append(slot)
                mods["modifier"].append(modifier)
        if not is_history:
            for position, code in enumerate(claim.diagnoses, start=1):
                dx["claim_key"].append(key)
                dx["claim_id"].append(claim.claim_id)
                dx["position"].append(position)
                dx["code"].append(code)

    for claim in history:
        counted["history"] += 1
        if claim.patient_id and not claim.problems:
            add(claim, True)
    for claim in claims:
        counted["claims"] += 1
        if claim.problems:
            errors.extend(input_errors(claim))
            continue
        add(claim, False)
    return LineTables(
        pa.table(lines, schema=LINE_SCHEMA),
        pa.table(mods, schema=MOD_SCHEMA),
        pa.table(dx, schema=DX_SCHEMA),
        errors,
        counted["claims"],
        counted["history"],
    )


def outside_table(releases: list[dict[str, Any]]) -> pa.Table:
    """`Versioned.outside(day)` of every source, as the words before and after the date
    (`fixed` when no release is loaded: the words name no date)."""
    rows = []
    for source, label in LABELS.items():
        mine = sorted(
            (r for r in releases if r["source"] == source), key=lambda r: int(r["position"])
        )
        pre = post = fixed = None
        if not mine:
            fixed = f"no {label} release is loaded: build the knowledge base with its files"
        elif len(mine) == 1:
            pre = f"{label} {mine[0]['release']} covers {mine[0]['span']}; date of service "
            post = " is outside it"
        else:
            spans = ", ".join(f"{r['release']} ({r['span']})" for r in mine)
            pre = f"{label} releases loaded: {spans}; date of service "
            post = " is outside them"
        rows.append({"source": source, "label": label, "pre": pre, "post": post, "fixed": fixed})
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("source", pa.string()),
                ("label", pa.string()),
                ("pre", pa.string()),
                ("post", pa.string()),
                ("fixed", pa.string()),
            ]
        ),
    )

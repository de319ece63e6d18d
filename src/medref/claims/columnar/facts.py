"""What the rules say about single values, computed by the rule modules' own functions over
the distinct values of a batch, as small tables the plan joins.

A batch of a million lines holds a few thousand distinct codes and a few hundred modifier
lists: the verdict on a code's form, where a modifier may bypass a PTP edit, whether a
diagnosis can be an ICD-10-CM code, are worked out once per value by the same Python that
the streaming engine calls, so the plan never restates them. Everything that relates a line
to other lines or to the edit tables is the plan's (SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from medref.claims.model import ClaimLine
from medref.claims.rules import code_validity, modifiers, pfs_status, ptp
from medref.codes import modifier_groups as groups
from medref.codes.icd10 import cm_problem
from medref.codes.modifiers import CPT_MODIFIER_NUMBERS
from medref.codes.ncci import MAI_MEANINGS
from medref.codes.pfs_payment import STATUS_RULES
from medref.codes.service_kinds import (
    COMPLEXITY_ADD_ON,
    CRITICAL_CARE,
    HOSPITAL_DISCHARGE,
    MEDICARE_REPLACES,
    OFFICE_VISITS,
    PREVENTIVE_COMPANIONS,
    code_kind,
    is_ambulance,
    is_em,
    is_hospital_visit,
)

SETTINGS = ("practitioner", "outpatient", "dme")


def table(rows: list[dict[str, Any]], schema: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema(schema))


def code_facts(codes: Iterable[str], labs: frozenset[str]) -> pa.Table:
    """One row a procedure code: its form verdict (`code_validity.procedure_form`; no row
    fields when the HCPCS file must decide) and the kinds of service rules ask about."""
    rows = []
    for code in codes:
        form = code_validity.procedure_form(code)
        replaced = MEDICARE_REPLACES.get(code)
        rows.append(
            {
                "code": code,
                "form_status": form.status if form else None,
                "form_message": form.message if form else None,
                "form_ref": form.ref if form else None,
                "form_vintage": form.vintage if form else None,
                "is_em": is_em(code),
                "kind": code_kind(code, code in labs),
                "is_hospital_visit": is_hospital_visit(code),
                "is_discharge": code in HOSPITAL_DISCHARGE,
                "is_critical": code in CRITICAL_CARE,
                "is_office_visit": code in OFFICE_VISITS,
                "is_companion": code in PREVENTIVE_COMPANIONS,
                "is_complexity": code == COMPLEXITY_ADD_ON,
                "is_category_2": pfs_status.is_category_2(code),
                "is_ambulance": is_ambulance(code),
                "is_ignoring_59": code in groups.DISTINCT_SERVICE_IGNORED_ON,
                "replaced_by": f"; Medicare pays {replaced[0]} instead ({replaced[1]})"
                if replaced
                else None,
            }
        )
    flags = (
        "is_em",
        "is_hospital_visit",
        "is_discharge",
        "is_critical",
        "is_office_visit",
        "is_companion",
        "is_complexity",
        "is_category_2",
        "is_ambulance",
        "is_ignoring_59",
    )
    schema = [(name, pa.string()) for name in ("code", *FORM)]
    schema += [(flag, pa.bool_()) for flag in flags] + [
        ("kind", pa.string()),
        ("replaced_by", pa.string()),
    ]
    return table(rows, schema)


FORM = ("form_status", "form_message", "form_ref", "form_vintage")


def modifier_facts(pairs: Iterable[tuple[str, str]], labs: frozenset[str]) -> pa.Table:
    """One row a (modifier, code) per setting: may the modifier bypass a PTP edit on that
    code (`ptp.misplaced`: the note saying why not, or none), and is it known without the
    HCPCS modifier list (CPT numbers, Category II modifiers, ambulance trips)."""
    rows = []
    for modifier, code in pairs:
        line = ClaimLine(0, None, code, (modifier,), 1, "")  # type: ignore[arg-type]
        cpt = known_by_number(line, modifier)
        trip = modifiers.ambulance("", line, modifier)
        for setting in SETTINGS:
            note = None
            bypasses = modifier in groups.ASSOCIATED and modifier not in groups.ANATOMIC
            if bypasses:
                pair = ptp.Pair(line, line, setting, None, labs)  # type: ignore[arg-type]
                note = ptp.misplaced(modifier, line, pair)
            rows.append(
                {
                    "modifier": modifier,
                    "code": code,
                    "setting": setting,
                    "bypasses": bypasses,
                    "ptp_note": note,
                    "known_status": cpt.status if cpt else None,
                    "known_message": cpt.message if cpt else None,
                    "known_ref": cpt.ref if cpt else None,
                    "known_vintage": cpt.vintage if cpt else None,
                    "trip_message": trip.message if trip else None,
                    "trip_ref": trip.ref if trip else None,
                    "trip_vintage": trip.vintage if trip else None,
                }
            )
    schema = [
        ("modifier", pa.string()),
        ("code", pa.string()),
        ("setting", pa.string()),
        ("bypasses", pa.bool_()),
    ]
    schema += [
        (name, pa.string())
        for name in (
            "ptp_note",
            "known_status",
            "known_message",
            "known_ref",
            "known_vintage",
            "trip_message",
            "trip_ref",
            "trip_vintage",
        )
    ]
    return table(rows, schema)


def known_by_number(line: ClaimLine, modifier: str) -> Any:
    """`modifiers.known` for the modifiers it decides without the HCPCS list."""
    if modifier in groups.CATEGORY_II_MODIFIERS:
        return modifiers.category_2("", line, modifier)
    if modifier.isdigit():
        return modifiers.known("", line, modifier, None)  # type: ignore[arg-type]
    return None


def diagnosis_facts(codes: Iterable[str]) -> pa.Table:
    rows = [{"code": code, "problem": cm_problem(code)} for code in codes]
    return table(rows, [("code", pa.string()), ("problem", pa.string())])


def indicator_facts() -> pa.Table:
    """Per payment modifier (`modifiers.INDICATOR_RULES`) and indicator value 0-9: whether
    the value allows it, leaves it to review, and the words of the verdict."""
    rows = []
    for modifier, rule in modifiers.INDICATOR_RULES.items():
        for value in range(10):
            meaning = rule.meanings.get(str(value), "not defined in the RVU documentation")
            rows.append(
                {
                    "modifier": modifier,
                    "field": rule.field,
                    "value": value,
                    "allowed": value in rule.allowed,
                    "review": value in rule.review,
                    "said": f"has {rule.name} {value} ({meaning})",
                    "note": rule.note,
                    "unknown": f"{rule.name} is unknown",
                }
            )
    return table(
        rows,
        [
            ("modifier", pa.string()),
            ("field", pa.string()),
            ("value", pa.int8()),
            ("allowed", pa.bool_()),
            ("review", pa.bool_()),
            ("said", pa.string()),
            ("note", pa.string()),
            ("unknown", pa.string()),
        ],
    )


def status_facts() -> pa.Table:
    """PFS status codes: the verdict `pfs_status.verdict` gives and its words."""
    rows = [
        {
            "status": status,
            "verdict": pfs_status.VERDICTS[rule.payability],
            "words": rule.words,
            "invalid": rule.payability == "invalid",
        }
        for status, rule in STATUS_RULES.items()
    ]
    return table(
        rows,
        [
            ("status", pa.string()),
            ("verdict", pa.string()),
            ("words", pa.string()),
            ("invalid", pa.bool_()),
        ],
    )


def mai_facts() -> pa.Table:
    rows = [{"mai": mai, "meaning": meaning} for mai, meaning in MAI_MEANINGS.items()]
    return table(rows, [("mai", pa.int8()), ("meaning", pa.string())])


def known_cpt_modifiers() -> frozenset[str]:
    return frozenset(CPT_MODIFIER_NUMBERS)

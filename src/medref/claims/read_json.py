"""Read a JSON claim file: a list of claims, each with its lines (docs/claims.md). A claim
with bad or unknown fields carries problems saying what to fix; the other claims are read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from medref.claims.model import MAX_POINTERS, Claim, ClaimLine, InputProblem, Setting
from medref.claims.values import (
    Invalid,
    diagnosis_tuple,
    modifier_tuple,
    to_code,
    to_date,
    to_line_number,
    to_modifiers,
    to_npi,
    to_patient,
    to_place,
    to_setting,
    to_units,
)
from medref.errors import InputError

CLAIM_KEYS = frozenset({"claim_id", "setting", "diagnoses", "lines", "patient_id"})
LINE_KEYS = frozenset(
    {
        "line",
        "date_of_service",
        "code",
        "modifiers",
        "units",
        "place_of_service",
        "diagnosis_pointers",
        "rendering_npi",
    }
)


def read_json(
    handle: TextIO, *, setting: Setting = "practitioner", name: str = "claims"
) -> Iterator[Claim]:
    try:
        document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). What to "
            "do: give a JSON list of claims as docs/claims.md shows"
        ) from exc
    if not isinstance(document, list):
        raise InputError(f"{name}: the JSON must be a list of claims (see docs/claims.md)")
    seen: set[str] = set()
    for position, item in enumerate(document, start=1):
        claim = json_claim(item, position, setting)
        claim.order = position
        if claim.claim_id in seen:
            claim.problems.append(InputProblem(None, f"claim {claim.claim_id!r} is listed twice"))
        seen.add(claim.claim_id)
        yield claim


def json_claim(item: object, position: int, default_setting: Setting) -> Claim:
    if not isinstance(item, dict):
        return Claim(
            f"#{position}",
            default_setting,
            (),
            [],
            [InputProblem(None, f"claim {position} of the list is not an object")],
        )
    claim_id = str(item.get("claim_id") or f"#{position}")
    problems: list[InputProblem] = []
    unknown = sorted(set(item) - CLAIM_KEYS)
    if unknown:
        problems.append(
            InputProblem(
                None,
                (
                    f"unknown claim fields {', '.join(unknown)}: the fields are "
                    f"{', '.join(sorted(CLAIM_KEYS))}"
                ),
            )
        )
    if "claim_id" not in item:
        problems.append(InputProblem(None, f"claim {position} of the list has no claim_id"))
    setting: Setting = default_setting
    if "setting" in item:
        found = to_setting(str(item["setting"]))
        if isinstance(found, Invalid):
            problems.append(InputProblem(None, found.problem))
        else:
            setting = found
    diagnoses = json_diagnoses(item.get("diagnoses", []))
    if isinstance(diagnoses, Invalid):
        problems.append(InputProblem(None, diagnoses.problem))
        diagnoses = ()
    raw_lines = item.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(InputProblem(None, "the claim has no lines: give a list of lines"))
        raw_lines = []
    lines: list[ClaimLine] = []
    for at, raw in enumerate(raw_lines, start=1):
        line = json_line(raw, at, len(diagnoses), problems)
        if line is not None:
            lines.append(line)
    numbers = [line.line for line in lines]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        problems.append(
            InputProblem(
                repeated[0],
                f"line numbers {', '.join(map(str, repeated))} appear more than once in the "
                "claim; number the lines 1, 2, 3, ...",
            )
        )
    patient = to_patient(str(item.get("patient_id") or ""))
    if isinstance(patient, Invalid):
        problems.append(InputProblem(None, patient.problem))
        patient = ""
    return Claim(claim_id, setting, diagnoses, lines, problems, patient_id=patient)


def json_diagnoses(value: object) -> tuple[str, ...] | Invalid:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return Invalid('diagnoses must be a list of ICD-10-CM codes, e.g. ["E11.9"]')
    return diagnosis_tuple(value, value)


def json_line(
    raw: object, at: int, diagnoses: int, problems: list[InputProblem]
) -> ClaimLine | None:
    if not isinstance(raw, dict):
        problems.append(InputProblem(None, f"line {at} of the list is not an object"))
        return None
    number = to_line_number(str(raw.get("line", at)))
    label = f"line {raw.get('line', at)}"
    errors: list[str] = []
    unknown = sorted(set(raw) - LINE_KEYS)
    if unknown:
        errors.append(
            f"unknown line fields {', '.join(unknown)}: the fields are "
            f"{', '.join(sorted(LINE_KEYS))}"
        )
    missing = [key for key in ("date_of_service", "code", "units") if key not in raw]
    if missing:
        errors.append(f"missing {', '.join(missing)}")
    modifiers_raw = raw.get("modifiers", [])
    values = {
        "line": number,
        "date_of_service": to_date(str(raw.get("date_of_service", ""))),
        "code": to_code(str(raw.get("code", ""))),
        "units": to_units(str(raw.get("units", ""))),
        "place_of_service": to_place(str(raw.get("place_of_service", "") or "")),
        "modifiers": (
            modifier_tuple(tuple(str(m).strip().upper() for m in modifiers_raw), modifiers_raw)
            if isinstance(modifiers_raw, list)
            else to_modifiers(str(modifiers_raw))
        ),
        "diagnosis_pointers": json_pointers(raw.get("diagnosis_pointers", []), diagnoses),
        "rendering_npi": to_npi(str(raw.get("rendering_npi", "") or "")),
    }
    if not missing:
        errors += [value.problem for value in values.values() if isinstance(value, Invalid)]
    if errors:
        where = int(number) if isinstance(number, int) else None
        problems.extend(InputProblem(where, f"{label}: {text}") for text in errors)
        return None
    return ClaimLine(**values)  # type: ignore[arg-type]  # every value checked above


def json_pointers(value: object, diagnoses: int) -> tuple[int, ...] | Invalid:
    if not isinstance(value, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in value
    ):
        return Invalid("diagnosis_pointers must be a list of numbers, e.g. [1, 2]")
    if any(not 1 <= p <= diagnoses for p in value):
        return Invalid(
            f"diagnosis_pointers {value} point outside the claim's {diagnoses} diagnoses"
        )
    if len(value) > MAX_POINTERS:
        return Invalid(f"a line points to at most {MAX_POINTERS} diagnoses")
    return tuple(value)

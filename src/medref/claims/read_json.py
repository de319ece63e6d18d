"""Read a JSON claim file: a list of claims, each with its lines (docs/claims.md). A claim
with bad or unknown fields carries problems saying what to fix; the other claims are read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from medref.claims.model import MAX_POINTERS, Claim, ClaimLine, InputProblem, Setting
from medref.claims.seen import SeenIds
from medref.claims.values import (
    MAX_ID,
    Invalid,
    diagnosis_tuple,
    modifier_tuple,
    shown,
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
    except RecursionError:
        raise InputError(
            f"{name}: the JSON is nested too deeply to be a list of claims (docs/claims.md)"
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise InputError(f"{name}: not JSON a claim file can hold ({exc})") from None
    if not isinstance(document, list):
        raise InputError(f"{name}: the JSON must be a list of claims (see docs/claims.md)")
    yield from claims_from(enumerate(document, start=1), setting)


def read_json_lines(handle: TextIO, *, setting: Setting = "practitioner") -> Iterator[Claim]:
    """One claim object per line (JSON Lines), read a line at a time; a line that is not
    JSON is a claim with that problem, named by its line number, and the rest are read."""

    def items() -> Iterator[tuple[int, object]]:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                problem = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
                yield (
                    number,
                    NotJson(
                        f"line {number} is not JSON ({problem}): give one claim object per line"
                    ),
                )

    yield from claims_from(items(), setting, where="line")


class NotJson(str):
    """A line of a JSON Lines file that could not be parsed: why, for its claim's problem."""


def claims_from(
    items: Iterable[tuple[int, object]], setting: Setting, where: str = "claim"
) -> Iterator[Claim]:
    """Claims of numbered JSON values (`where`: what the number counts, in messages); ids
    are remembered in 8 bytes each (`SeenIds`), so a JSON Lines file of any length streams."""
    seen = SeenIds()
    for position, item in items:
        claim = json_claim(item, position, setting, where)
        claim.order = position
        raw_lines = item.get("lines") if isinstance(item, dict) else None
        claim.rows = max(1, len(raw_lines) if isinstance(raw_lines, list) else 0)
        if claim.claim_id in seen:
            claim.problems.append(InputProblem(None, f"claim {claim.claim_id!r} is listed twice"))
        seen.add(claim.claim_id)
        yield claim


def json_claim(
    item: object, position: int, default_setting: Setting, where: str = "claim"
) -> Claim:
    place = f"claim {position} of the list" if where == "claim" else f"{where} {position}"
    if not isinstance(item, dict):
        problem = item if isinstance(item, NotJson) else f"{place} is not an object"
        return Claim(f"#{position}", default_setting, (), [], [InputProblem(None, problem)])
    claim_id = scalar(item.get("claim_id")) or f"#{position}"
    if len(claim_id) > MAX_ID:
        claim_id = f"#{position}"
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
        problems.append(InputProblem(None, f"{place} has no claim_id"))
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
    patient = to_patient(scalar(item.get("patient_id") or ""))
    if isinstance(patient, Invalid):
        problems.append(InputProblem(None, patient.problem))
        patient = ""
    return Claim(claim_id, setting, diagnoses, lines, problems, patient_id=patient)


def scalar(value: object) -> str:
    """A JSON value as the text a field is read from: numbers and strings as written, any
    other value (object, list, boolean, null) as a text no field accepts."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value) if -(10**12) < value < 10**12 else "(a number too large)"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e12 else repr(value)
    return f"({type(value).__name__})"


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
    number = to_line_number(scalar(raw.get("line", at)))
    label = f"line {shown(scalar(raw.get('line', at)))}"
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
        "date_of_service": to_date(scalar(raw.get("date_of_service", ""))),
        "code": to_code(scalar(raw.get("code", ""))),
        "units": to_units(scalar(raw.get("units", ""))),
        "place_of_service": to_place(scalar(raw.get("place_of_service", "") or "")),
        "modifiers": (
            modifier_tuple(tuple(scalar(m).strip().upper() for m in modifiers_raw), modifiers_raw)
            if isinstance(modifiers_raw, list)
            else to_modifiers(scalar(modifiers_raw))
        ),
        "diagnosis_pointers": json_pointers(raw.get("diagnosis_pointers", []), diagnoses),
        "rendering_npi": to_npi(scalar(raw.get("rendering_npi", "") or "")),
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

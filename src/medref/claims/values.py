"""Claim field values from text: each conversion returns the value, or `Invalid` saying
what to fix. Shared by the CSV and JSON readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from medref.claims.model import MAX_DIAGNOSES, MAX_MODIFIERS, SETTINGS, Setting
from medref.codes.icd10 import dotted
from medref.records import parse_date

MAX_ID = 80
"""Longest claim or patient id (the 837's CLM01 holds 38; room for local ids)."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A value that failed conversion, with what to do about it."""

    problem: str


def to_date(text: str) -> date | Invalid:
    try:
        found = parse_date(text)
    except ValueError:
        found = None
    if found is None:
        return Invalid(f"date of service {shown(text)} is not a date: write it as YYYY-MM-DD")
    return found


MAX_CODE = 7
"""Longest procedure code read as one (HCPCS and CPT codes have 5 characters)."""
MAX_DIAGNOSIS = 8
"""Longest ICD-10-CM code, dotted (7 characters and the dot)."""
MAX_DIGITS = 6
"""Units and line numbers up to 999,999 (an MUE is at most a few thousand units)."""


def whole_number(text: str) -> int | None:
    """ASCII digits only (`²` and `١` are digits to `str.isdigit`, not to `int`), at most
    MAX_DIGITS of them, 1 or more."""
    value = text.strip()
    if not value or len(value) > MAX_DIGITS or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number >= 1 else None


def shown(text: str) -> str:
    """A value for a message: long ones shortened."""
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text):,} characters)"


def to_units(text: str) -> int | Invalid:
    number = whole_number(text)
    if number is None:
        return Invalid(f"units {shown(text)} must be a whole number from 1 to 999999")
    return number


def to_line_number(text: str) -> int | Invalid:
    number = whole_number(text)
    if number is None:
        return Invalid(f"line {shown(text)} must be a whole number from 1 to 999999")
    return number


def to_claim_id(text: str) -> str | Invalid:
    value = text.strip()
    if len(value) > MAX_ID:
        return Invalid(f"claim_id of {len(value):,} characters: the limit is {MAX_ID}")
    return value


def to_npi(text: str) -> str | Invalid:
    """A rendering provider's National Provider Identifier: 10 digits whose last is the Luhn
    check digit over the prefix 80840 and the first nine (45 CFR 162.406); empty = not given."""
    value = text.strip()
    if not value:
        return ""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return Invalid(f"rendering NPI {text!r} must be 10 digits")
    if not luhn_valid("80840" + value):
        return Invalid(f"rendering NPI {value} fails its check digit: check the number")
    return value


def luhn_valid(digits: str) -> bool:
    total = 0
    for at, char in enumerate(reversed(digits)):
        digit = int(char)
        if at % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def to_patient(text: str) -> str | Invalid:
    value = text.strip()
    if len(value) > MAX_ID:
        return Invalid(f"patient_id of {len(value):,} characters: the limit is {MAX_ID}")
    return value


def to_code(text: str) -> str | Invalid:
    code = text.strip().upper()
    if not code:
        return Invalid("the procedure code is empty: give a HCPCS or CPT code")
    if len(code) > MAX_CODE or not code.isascii() or not code.isalnum():
        return Invalid(
            f"procedure code {shown(text)} is not a HCPCS or CPT code (5 letters or digits)"
        )
    return code


def to_modifiers(text: str) -> tuple[str, ...] | Invalid:
    found = tuple(part.strip().upper() for part in text.split("|") if part.strip())
    return modifier_tuple(found, text)


def modifier_tuple(found: tuple[str, ...], given: object) -> tuple[str, ...] | Invalid:
    if len(found) > MAX_MODIFIERS:
        return Invalid(
            f"{len(found)} modifiers ({shown(str(given))}): a claim line holds at most {MAX_MODIFIERS}; "
            "split the service over several lines or drop the informational ones"
        )
    for modifier in found:
        if len(modifier) != 2 or not modifier.isascii() or not modifier.isalnum():
            return Invalid(f"modifier {shown(modifier)} must be 2 letters or digits")
    return found


def to_place(text: str) -> str | Invalid:
    place = text.strip()
    if place and (len(place) != 2 or not place.isascii() or not place.isdigit()):
        return Invalid(f"place of service {shown(text)} must be 2 digits (e.g. 11), or empty")
    return place


def to_diagnoses(text: str) -> tuple[str, ...] | Invalid:
    return diagnosis_tuple([part for part in text.split("|") if part.strip()], text)


def diagnosis_tuple(codes: list[str], given: object) -> tuple[str, ...] | Invalid:
    if len(codes) > MAX_DIAGNOSES:
        return Invalid(
            f"{len(codes)} diagnoses ({shown(str(given))}): a claim holds at most "
            f"{MAX_DIAGNOSES}; keep the ones the lines point to"
        )
    found = tuple(map(diagnosis_code, codes))
    if "" in found:
        bad = next(code for code, dotted_code in zip(codes, found, strict=True) if not dotted_code)
        return Invalid(f"diagnosis {shown(bad)} is not an ICD-10-CM code")
    return found


@lru_cache(maxsize=65_536)
def diagnosis_code(text: str) -> str:
    """`e119 ` -> `E11.9`: ICD-10-CM codes as the knowledge base spells them; "" for text
    that cannot be one (too long, not ASCII letters and digits)."""
    value = text.strip().upper()
    if len(value) > MAX_DIAGNOSIS or not value.isascii() or not value.replace(".", "").isalnum():
        return ""
    return dotted(value)


def to_setting(text: str) -> Setting | Invalid:
    value = text.strip().lower()
    for setting in SETTINGS:
        if value == setting:
            return setting
    return Invalid(f"setting {text!r} must be one of {', '.join(SETTINGS)}")

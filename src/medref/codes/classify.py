"""What kind of code a string is, from its form alone (no knowledge base needed).

`classify("99213-25")` -> CPT Category I, Evaluation and Management, modifier 25.
Some forms read two ways: `G0439` is a HCPCS code and, dotted, an ICD-10-CM code; `25` is
a modifier and a place of service. The most likely reading comes first and every reading
is listed in `candidates`; pass `hint=` (a system, or a canonical prefix such as
`ICD10CM:E11.9`) to pick one. Input that no system accepts raises `InputError` saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from medref.codes import cpt, hcpcs_ranges, icd10, modifiers
from medref.codes.systems import CPT_SYSTEMS, Hint, System
from medref.errors import InputError

REF_PREFIXES: dict[System, str] = {
    **dict.fromkeys(CPT_SYSTEMS, "CPT"),
    "hcpcs-level-2": "HCPCS",
    "icd-10-cm": "ICD10CM",
    "modifier": "MOD",
    "place-of-service": "POS",
}
PREFIX_HINTS: dict[str, Hint] = {
    "CPT": "cpt",
    "HCPCS": "hcpcs-level-2",
    "ICD10CM": "icd-10-cm",
    "ICD10PCS": "icd-10-pcs",
    "MOD": "modifier",
    "POS": "place-of-service",
}
EXAMPLES = "give a code such as 99213, G0439, E11.9, 0DTJ4ZZ, 25 or 11"


@dataclass(frozen=True, slots=True)
class Classification:
    input: str
    normalized: str
    """The code as systems spell it: upper case, ICD-10-CM dotted."""
    system: System
    category: str | None
    """CPT section, HCPCS letter family, ICD-10-CM chapter, ICD-10-PCS section."""
    subcategory: str | None = None
    """CPT Surgery subsection, when the number lies in one."""
    modifiers: tuple[str, ...] = ()
    """Modifiers given after the code (`99213-25`)."""
    candidates: tuple[Classification, ...] = ()
    """Every reading of an ambiguous input, this one first; empty when there is one."""

    @property
    def ref(self) -> str | None:
        """Canonical reference (`CPT:99213`, `ICD10CM:E11.9`); ICD-10-PCS has none."""
        prefix = REF_PREFIXES.get(self.system)
        return f"{prefix}:{self.normalized}" if prefix else None

    @property
    def systems(self) -> tuple[System, ...]:
        return tuple(c.system for c in self.candidates) or (self.system,)

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    def reading(self, system: System) -> Classification | None:
        """The reading of this input as `system`, if the form allows one."""
        return next((c for c in self.candidates or (self,) if c.system == system), None)


def classify(raw: str, hint: Hint | None = None) -> Classification:
    """Classify one code, optionally followed by modifiers (`99213-25`, `27447 RT 59`)."""
    text, hint = _strip_prefix(raw.strip().upper(), hint)
    parts = [part for part in re.split(r"[\s-]+", text) if part]
    if not parts:
        raise InputError(f"empty input: {EXAMPLES}")
    code, *mods = parts
    readings = _readings(code, raw.strip())
    if hint is not None:
        readings = [r for r in readings if _fits(r.system, hint)]
        if not readings:
            raise InputError(f"{code} is not {_system_name(hint)}: {_why_not(hint, code)}")
    for modifier in mods:
        _check_modifier(modifier, readings[0])
    readings = [replace(r, modifiers=tuple(mods)) for r in readings]
    if len(readings) == 1:
        return readings[0]
    return replace(readings[0], candidates=tuple(readings))


def _fits(system: System, hint: Hint) -> bool:
    return system in CPT_SYSTEMS if hint == "cpt" else system == hint


SPELLED_OUT: tuple[tuple[re.Pattern[str], Hint], ...] = (
    (re.compile(r"(?:MODIFIERS?|MOD)\s*-?\s*([0-9A-Z]{2})"), "modifier"),
    (re.compile(r"(?:POS|PLACE\s+OF\s+SERVICE)\s*-?\s*(\d{2})"), "place-of-service"),
)
"""How people write a modifier or a place of service in words, as the search box takes them:
`modifier 59`, `mod 25`, `POS11`, `place of service 02`."""


def _strip_prefix(text: str, hint: Hint | None) -> tuple[str, Hint | None]:
    for pattern, system in SPELLED_OUT:
        spelled = pattern.fullmatch(text)
        if spelled is not None and hint in (None, system):
            return spelled[1], system
    prefix, sep, rest = text.partition(":")
    if not sep:
        return text, hint
    if prefix not in PREFIX_HINTS:
        known = ", ".join(PREFIX_HINTS)
        raise InputError(f"{prefix}: is not a code prefix; use one of {known}, or none")
    return rest.strip(), hint or PREFIX_HINTS[prefix]


def _readings(code: str, raw: str) -> list[Classification]:
    if len(code) < 2:
        raise InputError(f"{code} is not a code: codes have at least 2 characters; {EXAMPLES}")
    if not re.fullmatch(r"[A-Z0-9.]+", code):
        raise InputError(
            f"{code} is not a code: codes hold only letters, digits and an ICD-10-CM dot"
        )
    if "." in code:
        return [_icd10cm(code, raw)]
    if len(code) == 2:
        return _two_characters(code, raw)
    if code.isdigit() and len(code) != 7:
        if len(code) != 5:
            raise InputError(f"{code} is not a code: CPT codes have 5 characters")
        return [_cpt_numeric(code, raw)]
    if code[0].isdigit():
        return _digit_first(code, raw)
    return _letter_first(code, raw)


def _two_characters(code: str, raw: str) -> list[Classification]:
    found: list[Classification] = []
    if not code.isdigit() or code in modifiers.CPT_MODIFIER_NUMBERS:
        found.append(Classification(raw, code, "modifier", _modifier_category(code)))
    if code.isdigit() and code != "00":
        found.append(Classification(raw, code, "place-of-service", "Place of service"))
    if not found:
        raise InputError(f"{code} is not a code: no place of service or modifier is 00")
    return found


def _modifier_category(code: str) -> str:
    known = modifiers.lookup(code)
    if known is not None:
        return "CPT (Level I) modifier" if known.level == "cpt" else "HCPCS Level II modifier"
    if code.isdigit():
        return "CPT (Level I) modifier"
    if code[0].isdigit() and code[1] == "P":
        return "CPT Category II performance measurement modifier"
    return "HCPCS Level II modifier"


def _cpt_numeric(code: str, raw: str) -> Classification:
    number = int(code)
    section = cpt.section(number)
    subsection = cpt.surgery_subsection(number) if section and section.name == "Surgery" else None
    return Classification(
        raw,
        code,
        "cpt-category-1",
        section.label if section else None,
        subsection.label if subsection else None,
    )


def _digit_first(code: str, raw: str) -> list[Classification]:
    if len(code) == 5 and code[:4].isdigit():
        suffix = code[4]
        system = cpt.SUFFIX_SYSTEMS.get(suffix)
        if system is None:
            raise InputError(
                f"{code} is not a code: CPT codes of 4 digits and a letter end "
                f"in {', '.join(cpt.SUFFIX_SYSTEMS)}"
            )
        return [Classification(raw, code, system, cpt.SUFFIX_CATEGORIES[suffix])]
    if len(code) == 7:
        problem = icd10.pcs_problem(code)
        if problem is None:
            return [Classification(raw, code, "icd-10-pcs", icd10.pcs_section(code))]
        raise InputError(f"{code} is not a code: {problem}")
    raise InputError(f"{code} is not a code: CPT codes have 5 characters; ICD-10-PCS codes 7")


def _letter_first(code: str, raw: str) -> list[Classification]:
    found: list[Classification] = []
    if _hcpcs_problem(code) is None:
        found.append(Classification(raw, code, "hcpcs-level-2", hcpcs_ranges.letter_range(code)))
    if icd10.cm_problem(code) is None:
        found.append(_icd10cm(code, raw))
    if len(code) == 7 and icd10.pcs_problem(code) is None:
        found.append(Classification(raw, code, "icd-10-pcs", icd10.pcs_section(code)))
    if found:
        return found
    systems: list[System] = ["icd-10-cm"]
    if len(code) == 5:
        systems.insert(0, "hcpcs-level-2")
    if len(code) == 7:
        systems.append("icd-10-pcs")
    reasons = "; ".join(_why_not(system, code) for system in systems)
    raise InputError(f"{code} is not a code: {reasons}")


def _icd10cm(code: str, raw: str) -> Classification:
    problem = icd10.cm_problem(code)
    if problem is not None:
        raise InputError(f"{code} is not a code: {problem}")
    return Classification(raw, icd10.dotted(code), "icd-10-cm", icd10.cm_chapter(code))


def _hcpcs_problem(code: str) -> str | None:
    if len(code) != 5 or not code[1:].isdigit():
        return "HCPCS Level II codes are a letter and 4 digits"
    if hcpcs_ranges.letter_range(code) is None:
        return f"no HCPCS Level II code starts with {code[0]}"
    return None


def _why_not(system: Hint, code: str) -> str:
    if system == "cpt":
        return "CPT codes are 5 digits, or 4 digits and one of F, T, U, M, A"
    if system == "hcpcs-level-2":
        return _hcpcs_problem(code) or "it reads as another system here"
    if system == "icd-10-cm":
        return icd10.cm_problem(code) or "it reads as another system here"
    if system == "icd-10-pcs":
        return icd10.pcs_problem(code) or "it reads as another system here"
    if system == "modifier":
        return "modifiers have 2 characters (two-digit ones are the CPT modifier numbers)"
    if system == "place-of-service":
        return "places of service are 2 digits, 01-99"
    if system == "cpt-category-1":
        return "CPT Category I codes are 5 digits (or 4 digits and A)"
    suffix = next(s for s, name in cpt.SUFFIX_SYSTEMS.items() if name == system)
    return f"{_system_name(system)} codes are 4 digits and {suffix}"


def _check_modifier(modifier: str, code: Classification) -> None:
    if code.system in ("modifier", "place-of-service", "icd-10-cm", "icd-10-pcs"):
        raise InputError(
            f"modifier {modifier} after {code.normalized}: modifiers apply to procedure codes "
            f"(CPT and HCPCS Level II), not to {_system_name(code.system)}"
        )
    if not re.fullmatch(r"[A-Z0-9]{2}", modifier):
        raise InputError(f"{modifier} is not a modifier: modifiers have 2 characters")
    if modifier.isdigit() and modifier not in modifiers.CPT_MODIFIER_NUMBERS:
        raise InputError(f"{modifier} is not a modifier: no CPT modifier has that number")


def _system_name(system: Hint) -> str:
    names: dict[Hint, str] = {
        "cpt": "a CPT code",
        "cpt-category-1": "a CPT Category I code",
        "cpt-category-2": "a CPT Category II code",
        "cpt-category-3": "a CPT Category III code",
        "cpt-pla": "a CPT PLA code",
        "cpt-maaa": "a CPT MAAA code",
        "hcpcs-level-2": "a HCPCS Level II code",
        "icd-10-cm": "an ICD-10-CM code",
        "icd-10-pcs": "an ICD-10-PCS code",
        "modifier": "a modifier",
        "place-of-service": "a place of service",
    }
    return names[system]

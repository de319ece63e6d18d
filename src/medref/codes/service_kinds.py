"""Kinds of service by code number, as claim rules need them: E/M families, clinical
laboratory tests, ambulance services, and the codes Medicare replaces with its own.

Numbers and structure only (CPT descriptors are the AMA's). Each set names the manual
section that defines it.
"""

from __future__ import annotations

from medref.codes.modifier_groups import CodeKind


def _numeric(code: str) -> int | None:
    return int(code) if len(code) == 5 and code.isdigit() else None


def _between(code: str, first: int, last: int) -> bool:
    number = _numeric(code)
    return number is not None and first <= number <= last


def is_em(code: str) -> bool:
    """CPT Evaluation and Management, 99202-99499 (IOM 100-04/12/30.6)."""
    return len(code) == 5 and "99202" <= code <= "99499" and code.isdigit()


OFFICE_VISITS = frozenset({"99202", "99203", "99204", "99205"}) | frozenset(
    {"99211", "99212", "99213", "99214", "99215"}
)
"""Office/outpatient E/M visits (IOM 100-04/12/30.6.7)."""


def is_hospital_visit(code: str) -> bool:
    """Hospital inpatient or observation care, 99221-99239 (IOM 100-04/12/30.6.9)."""
    return _between(code, 99221, 99239)


HOSPITAL_DISCHARGE = frozenset({"99234", "99235", "99236", "99238", "99239"})
"""Hospital visits that include a discharge (IOM 100-04/12/30.6.9, §30.6.9.2 B)."""
CRITICAL_CARE = frozenset({"99291", "99292"})
"""Critical care (IOM 100-04/12/30.6.12); in a global period only with FT (§40.2 A.9)."""


def is_lab(code: str, level_2_lab: bool = False) -> bool:
    """A clinical laboratory test: CPT Pathology and Laboratory (80000-89999), a PLA or MAAA
    code (4 digits and U or M), or a Level II code the HCPCS file types as diagnostic
    laboratory (`level_2_lab`, from its type of service)."""
    if _between(code, 80000, 89999):
        return True
    if len(code) == 5 and code[:4].isdigit() and code[4] in "UM":
        return True
    return level_2_lab


def code_kind(code: str, level_2_lab: bool = False) -> CodeKind:
    if is_em(code):
        return "em"
    return "lab" if is_lab(code, level_2_lab) else "procedure"


def is_ambulance(code: str) -> bool:
    """Ambulance services, A0021-A0999 (IOM 100-04/15)."""
    return len(code) == 5 and code[0] == "A" and code[1:].isdigit() and "0021" <= code[1:] <= "0999"


MEDICARE_REPLACES: dict[str, tuple[str, str]] = {
    "99417": ("G2212", "IOM:100-04/12/30.6.15.2"),
    "99418": ("G0316, G0317 or G0318 (by the visit)", "IOM:100-04/12/30.6.15.3"),
}
"""CPT codes Medicare does not recognise, with the code it pays instead and where the
manual says so (prolonged E/M services)."""

COMPLEXITY_ADD_ON = "G2211"
"""Office/outpatient E/M visit complexity add-on (IOM 100-04/12/30.6.19)."""
COMPLEXITY_SECTION = "IOM:100-04/12/30.6.19"
PREVENTIVE_WITH_25_FROM = "2025-01-01"
"""From CY 2025 the PFS final rule pays G2211 with a modifier-25 visit when the other
same-day service is an annual wellness visit, a vaccine administration or a Medicare Part B
preventive service; the loaded §30.6.19 (effective 2024-01-01) predates that change."""
PREVENTIVE_COMPANIONS = frozenset(
    {"G0402", "G0438", "G0439", "G0008", "G0009", "G0010"}
    | {"90460", "90461", "90471", "90472", "90473", "90474", "90480"}
)
"""Initial preventive examination, annual wellness visits and vaccine administration
codes: the same-day services the CY 2025 exception names that medref recognises."""

"""ICD-10-CM and ICD-10-PCS code shapes: dot placement, format checks, chapters, sections.

ICD-10-CM: a letter, a digit (the FY2026 category QA0 is the one letter), a third character,
then up to four more after a dot placed after the third. ICD-10-PCS: exactly seven
characters, digits and letters except I and O, the first naming the section.
"""

from __future__ import annotations

import re

CM_CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("A00", "B99", "1: Certain infectious and parasitic diseases"),
    ("C00", "D49", "2: Neoplasms"),
    ("D50", "D89", "3: Blood, blood-forming organs and certain immune disorders"),
    ("E00", "E89", "4: Endocrine, nutritional and metabolic diseases"),
    ("F01", "F99", "5: Mental, behavioral and neurodevelopmental disorders"),
    ("G00", "G99", "6: Nervous system"),
    ("H00", "H59", "7: Eye and adnexa"),
    ("H60", "H95", "8: Ear and mastoid process"),
    ("I00", "I99", "9: Circulatory system"),
    ("J00", "J99", "10: Respiratory system"),
    ("K00", "K95", "11: Digestive system"),
    ("L00", "L99", "12: Skin and subcutaneous tissue"),
    ("M00", "M99", "13: Musculoskeletal system and connective tissue"),
    ("N00", "N99", "14: Genitourinary system"),
    ("O00", "O9A", "15: Pregnancy, childbirth and the puerperium"),
    ("P00", "P96", "16: Certain conditions originating in the perinatal period"),
    ("Q00", "QA0", "17: Congenital malformations and chromosomal abnormalities"),
    ("R00", "R99", "18: Symptoms, signs and abnormal findings not elsewhere classified"),
    ("S00", "T88", "19: Injury, poisoning and other consequences of external causes"),
    ("U00", "U85", "22: Codes for special purposes"),
    ("V00", "Y99", "20: External causes of morbidity"),
    ("Z00", "Z99", "21: Factors influencing health status and contact with health services"),
)
"""(first category, last category, chapter); categories compare as strings (`O9A` > `O99`)."""

LETTER_SECOND_CATEGORIES = frozenset({"QA0"})
"""Categories whose second character is a letter (new in FY2026)."""

PCS_SECTIONS: dict[str, str] = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}

_ALNUM = re.compile(r"[A-Z0-9]+")
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")


def undotted(code: str) -> str:
    return code.replace(".", "")


def dotted(code: str) -> str:
    """`E119` -> `E11.9`; three-character categories stay as they are."""
    bare = undotted(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def cm_problem(code: str) -> str | None:
    """Why `code` (upper case, dotted or not) cannot be an ICD-10-CM code; None when it can."""
    bare = undotted(code)
    if code.count(".") > 1:
        return "ICD-10-CM codes have at most one dot"
    if "." in code:
        if code.endswith("."):
            return "ICD-10-CM codes need 1 to 4 characters after the dot, or no dot at all"
        if code.index(".") != 3:
            return f"ICD-10-CM puts the dot after the third character ({dotted(bare)})"
    if not 3 <= len(bare) <= 7:
        return "ICD-10-CM codes have 3 to 7 characters"
    if not _ALNUM.fullmatch(bare):
        return "ICD-10-CM codes hold only letters and digits"
    if not bare[0].isalpha():
        return "ICD-10-CM codes start with a letter"
    if not bare[1].isdigit() and bare[:3] not in LETTER_SECOND_CATEGORIES:
        return "ICD-10-CM codes have a digit in the second position"
    return None


def is_printed_cm(code: str) -> bool:
    """True for an ICD-10-CM code as the tabular list prints it: dotted after the third
    character whenever it is longer than three."""
    return cm_problem(code) is None and ("." in code or len(code) == 3)


def cm_chapter(code: str) -> str | None:
    category = undotted(code)[:3]
    return next((name for first, last, name in CM_CHAPTERS if first <= category <= last), None)


def pcs_problem(code: str) -> str | None:
    """Why `code` cannot be an ICD-10-PCS code; None when it can."""
    if len(code) != 7:
        return "ICD-10-PCS codes have exactly 7 characters"
    if not _PCS.fullmatch(code):
        return "ICD-10-PCS codes hold digits and letters other than I and O"
    if code[0] not in PCS_SECTIONS:
        return f"no ICD-10-PCS section starts with {code[0]}"
    return None


def pcs_section(code: str) -> str | None:
    return PCS_SECTIONS.get(code[:1])

"""The code systems medref recognises, as one closed set of names."""

from __future__ import annotations

from typing import Literal, get_args

System = Literal[
    "cpt-category-1",
    "cpt-category-2",
    "cpt-category-3",
    "cpt-pla",
    "cpt-maaa",
    "hcpcs-level-2",
    "icd-10-cm",
    "icd-10-pcs",
    "modifier",
    "place-of-service",
]
SYSTEMS: tuple[System, ...] = get_args(System)
CPT_SYSTEMS: frozenset[System] = frozenset(s for s in SYSTEMS if s.startswith("cpt-"))

Hint = System | Literal["cpt"]
"""A system, or `cpt` for any CPT category."""


UNLOADED_SYSTEMS: dict[str, str] = {
    "ICD-11": r"icd-?11",
    "ICD-9": r"icd-?9(?:-?cm)?",
    "SNOMED CT": r"snomed(?:[- ]?ct)?",
    "LOINC": r"loinc",
    "RxNorm": r"rxnorm",
    "NDC": r"ndcs?|national drug codes?",
    "MS-DRG": r"(?:ms-?)?drgs?",
    "APC": r"apcs?|ambulatory payment classifications?",
    "revenue code": r"revenue codes?",
}
"""Code systems people ask about that medref does not load (name -> pattern): a question
asking for one of their codes has no answer in the loaded tables."""

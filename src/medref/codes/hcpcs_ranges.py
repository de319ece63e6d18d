"""HCPCS Level II: the first letter says what family of items or services a code belongs to.

The wording is ours; CMS's own code descriptors come from the HCPCS file in the knowledge
base. D codes are CDT (dental, ADA copyright): we name the range and never show descriptors.
"""

from __future__ import annotations

from medref.codes.patterns import LEVEL_II_CODE

LETTER_RANGES: dict[str, str] = {
    "A": "Transportation, medical and surgical supplies, miscellaneous and investigational",
    "B": "Enteral and parenteral therapy",
    "C": "Outpatient prospective payment system (hospital outpatient) temporary codes",
    "D": "Dental procedures (CDT, maintained by the ADA)",
    "E": "Durable medical equipment",
    "G": "Procedures and professional services (temporary)",
    "H": "Behavioral health and substance use treatment services",
    "J": "Drugs administered other than by mouth, chemotherapy drugs",
    "K": "Temporary codes for DME MACs",
    "L": "Orthotic and prosthetic procedures and devices",
    "M": "Other medical services, quality measures and value-based programs",
    "P": "Pathology and laboratory services",
    "Q": "Temporary codes (miscellaneous services, drugs and supplies)",
    "R": "Diagnostic radiology (transportation of portable equipment)",
    "S": "Temporary national codes for private payers (not payable by Medicare)",
    "T": "National codes for state Medicaid agencies",
    "U": "Coronavirus diagnostic laboratory tests",
    "V": "Vision, hearing and speech-language services",
}

DESCRIPTOR_RESTRICTED = frozenset({"D"})
"""First letters whose descriptors belong to someone else (CDT) and are never output."""


def letter_range(code: str) -> str | None:
    """The family named by a Level II code's first letter, None for letters CMS does not use."""
    return LETTER_RANGES.get(code[:1])


def public_descriptor(code: str) -> bool:
    """True for a Level II code whose descriptor we may show; CPT and CDT text is licensed."""
    return LEVEL_II_CODE.fullmatch(code) is not None and code[0] not in DESCRIPTOR_RESTRICTED

"""NCCI edit semantics: what the indicators of the PTP, MUE and add-on code tables mean.

The wording is ours, from the NCCI policy manual and the table documentation; the readers in
`medref.sources.ncci_*` check values against these tables, the code cards and claim rules
explain them.
"""

from __future__ import annotations

PTP_MODIFIER_INDICATORS = {
    "0": "not bypassable; no modifier allows the pair",
    "1": "bypassable with an NCCI-associated modifier when the services are distinct",
    "9": "not applicable; the edit is effectively deleted",
}
"""PTP modifier indicator values and their meaning."""

CONTRACTOR_DEFINED_PRIMARY = "CCCCC"
"""The add-on code table's primary code for "no specific primary" (type 2 edits)."""

MAI_MEANINGS = {
    1: "a claim line edit: the limit applies to the units on each claim line",
    2: "a date of service edit based on policy: the limit is absolute for all units of the "
    "code on one date of service",
    3: "a date of service edit based on clinical benchmarks: the limit applies to all units "
    "on one date of service, and units above it may be paid on appeal when the records "
    "show they were medically necessary",
}
"""MUE adjudication indicators (MAI)."""

AOC_TYPE_MEANINGS = {
    1: "the CPT and HCPCS files list every acceptable primary code, and contractors allow "
    "no other primary code",
    2: "no specific primary codes are listed; each Medicare contractor decides which primary "
    "codes are acceptable",
    3: "some acceptable primary codes are listed, and contractors may accept other primary "
    "codes as well",
}
"""Add-on code edit types."""

"""Claim-line checks against the CMS edit tables (NCCI PTP, MUE, add-on codes, PFS
indicators, HCPCS, ICD-10-CM, place of service): read a claim file, stream findings."""

from medref.claims.engine import Summary, Tally, check_claims, summarize
from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.read import read_claims
from medref.claims.tables import EditTables, edit_tables

__all__ = [
    "Claim",
    "ClaimLine",
    "EditTables",
    "Finding",
    "Summary",
    "Tally",
    "check_claims",
    "edit_tables",
    "read_claims",
    "summarize",
]

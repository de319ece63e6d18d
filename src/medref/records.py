"""Typed records: what every source parser yields and what the knowledge base stores.

A `Record` is one citable unit (a code, a modifier, a manual section, an NCD, a statute
subsection, an MUE row, a vault page). It carries its canonical reference, source, release
and effective/termination dates from the parser all the way to the answer.

NCCI procedure-to-procedure edits come in millions of rows; they are not records but
`PtpEdit` rows in a table of their own, materialised as records only when cited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Record:
    ref: str
    """Canonical reference, e.g. `HCPCS:G0439` (see refs.py)."""
    source: str
    """Source name, e.g. `hcpcs`, `ncci-mue-practitioner` (see sources/__init__.py)."""
    release: str
    """Release of the source this came from, e.g. `2026-01`."""
    kind: str
    """What it is within the source: `code`, `modifier`, `section`, `ncd`, `edit`, ..."""
    title: str
    """One-line label: a code's short description, a section heading."""
    text: str
    """Official text to index and quote. Never CPT/CDT descriptors."""
    code: str | None = None
    """Lookup key for code-like records (`G0439`, `E11.9`, `25`, `11`)."""
    effective: date | None = None
    terminated: date | None = None
    parent: str | None = None
    """Reference of the enclosing record (ICD-10-CM parent, section, subsection)."""
    data: dict[str, Any] = field(default_factory=dict)
    """Source-specific structured fields; must be JSON-serialisable."""

    def content_hash(self) -> str:
        payload = json.dumps(
            [self.ref, self.release, self.title, self.text, self.data], sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def in_force(self, on: date) -> bool:
        if self.effective is not None and on < self.effective:
            return False
        return self.terminated is None or on <= self.terminated


class PtpEdit(NamedTuple):
    """One row of an NCCI procedure-to-procedure edit table."""

    column1: str
    column2: str
    effective: date | None
    """Effective date where the layout gives it (the official text files do)."""
    deleted: date | None
    """Deletion date; None while the edit is active."""
    modifier_indicator: str
    """'0' never bypassable, '1' bypassable with an NCCI-associated modifier, '9' not applicable."""
    rationale: str
    line: int
    """Line of the source file, for error messages and provenance."""


def parse_date(value: str | None) -> date | None:
    """ISO `YYYY-MM-DD`, `YYYYMMDD`, or US `MM/DD/YYYY`; blank and `*` mean no date."""
    if value is None:
        return None
    value = value.strip()
    if not value or value == "*":
        return None
    if len(value) == 8 and value.isdigit():
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    if "/" in value:
        month, day, year = value.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(value)

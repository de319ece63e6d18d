"""The claim model: what a claim file holds and what a check says about it.

A `Claim` groups the lines of one claim; a `Finding` is one rule's verdict on one line (or on
the whole claim when `line` is None), with the canonical reference of the table row or manual
section behind it and the data vintage that decided it. Findings are plain, flat and cheap to
create: a batch of a million lines makes several million of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Status = Literal["pass", "fail", "bypassed", "warning", "no_data", "error"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "bypassed", "warning", "no_data", "error")
"""`warning`: the tables are loaded and say the outcome is the contractor's call, or needs a
document a claim cannot carry (a type 3 add-on without a listed primary, global days YYY,
an assistant beside co-surgeons, a payment modifier its PFS indicator pays only with
documentation); a person looks before the claim goes out. `no_data`: no
loaded release decides."""
PROBLEM_STATUSES: frozenset[str] = frozenset({"fail", "warning", "error"})
"""What `--only-problems` keeps: a line that would be denied, one a person must look at,
or input that cannot be read."""

Setting = Literal["practitioner", "outpatient", "dme"]
SETTINGS: tuple[Setting, ...] = ("practitioner", "outpatient", "dme")
"""NCCI's settings: practitioner and outpatient hospital claims (a PTP and an MUE table each),
and DME supplier claims (an MUE table only: NCCI publishes no PTP table for them)."""
PROFESSIONAL_SETTINGS: frozenset[Setting] = frozenset({"practitioner", "dme"})
"""Settings billed on the professional claim (CMS-1500 / 837P), which gives a place of service
on every line; outpatient hospital claims are institutional."""

MAX_MODIFIERS = 4
"""Modifier positions on a claim line (CMS-1500 item 24D, 837P SV101-3..6)."""
MAX_POINTERS = 4
"""Diagnosis pointers per line (CMS-1500 item 24E)."""
MAX_DIAGNOSES = 12
"""Diagnosis codes on a professional claim (CMS-1500 item 21 A-L)."""


@dataclass(slots=True)
class ClaimLine:
    line: int
    """The line number the submitter gave (`line` column); findings name it."""
    date_of_service: date
    code: str
    """HCPCS Level II or CPT code, upper case."""
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    """Two-digit POS code; empty on institutional (outpatient hospital) claims."""
    diagnosis_pointers: tuple[int, ...] = ()
    """1-based positions in the claim's diagnoses."""
    rendering_npi: str = ""
    """The rendering provider's NPI; empty when not given (the claim's one provider)."""


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why a claim could not be checked, naming where and what to fix."""

    line: int | None
    message: str


@dataclass(slots=True)
class Claim:
    claim_id: str
    setting: Setting
    diagnoses: tuple[str, ...]
    """ICD-10-CM codes in claim order, dotted and upper case."""
    lines: list[ClaimLine]
    problems: list[InputProblem] = field(default_factory=list)
    """Input errors; a claim with any is reported as errors and not checked."""
    patient_id: str = ""
    """Who the claim is for; empty when not given (the claim is checked on its own)."""
    history: bool = False
    """An earlier claim read for context (`--history`): its lines count for the checks
    across claims, and it gets no findings."""
    order: int = 0
    """Position in its file, to tell which of two duplicate lines came later."""
    rows: int = 0
    """Input rows (CSV rows, JSON lines) read for the claim, good or bad: with the claims
    and lines, the summary accounts for every row read."""
    _days: dict[date, list[ClaimLine]] | None = field(default=None, repr=False, compare=False)
    _codes: frozenset[str] | None = field(default=None, repr=False, compare=False)
    _modifiers: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def codes(self) -> frozenset[str]:
        """The claim's procedure codes (worked out once: rules ask whether one is there)."""
        found = self._codes
        if found is None:
            found = self._codes = frozenset([line.code for line in self.lines])
        return found

    def modifiers(self) -> frozenset[str]:
        """Every modifier on the claim's lines."""
        found = self._modifiers
        if found is None:
            found = self._modifiers = frozenset().union(*[line.modifiers for line in self.lines])
        return found

    def by_date(self) -> dict[date, list[ClaimLine]]:
        """The lines grouped by date of service, in line order (worked out once: most rules
        compare lines of the same date)."""
        days = self._days
        if days is None:
            days = self._days = {}
            for line in self.lines:
                group = days.get(line.date_of_service)
                if group is None:
                    days[line.date_of_service] = [line]
                else:
                    group.append(line)
        return days


@dataclass(slots=True)
class Finding:
    claim_id: str
    line: int | None
    """Claim line number, None for a claim-level finding (diagnoses, input errors)."""
    rule: str
    status: Status
    message: str
    ref: str | None
    """Canonical reference of the table row or manual section behind the verdict; None only
    for input errors, which no CMS rule decides."""
    vintage: str
    """The data release that decided it, e.g. `NCCI PTP practitioner 2024-07`."""
    allowed_amount: Decimal | None = None
    """The line's expected Medicare allowed amount, when the check was given a locality: on
    every finding of a priced line, so a failure shows the dollars at risk."""

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "claim_id": self.claim_id,
            "line": self.line,
            "rule": self.rule,
            "status": self.status,
            "ref": self.ref,
            "message": self.message,
            "vintage": self.vintage,
        }
        if self.allowed_amount is not None:
            found["allowed_amount"] = str(self.allowed_amount)
        return found

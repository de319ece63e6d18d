"""The lines a claim is checked against.

NCCI edits apply to "all line items for the same beneficiary, same NPI, and same date of
service" (IOM 100-04/23/20.9.1.1 A) and the global surgical package to the surgeon's services
across claims (IOM 100-04/12/40.3 B). Without a patient id a claim is all we know of its
beneficiary, so a claim's scope is the claim (`ClaimScope`). With one, it is every line of the
same patient in the batch and the history file (`PatientScope`), and the rules pair lines of
the same rendering provider in it. Findings always sit on the claim's own lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from medref.claims.model import Claim, ClaimLine

EMPTY: list[ClaimLine] = []


class ClaimScope:
    """A claim on its own: one beneficiary, one rendering provider unless its lines say.

    Also the scope of a patient's only claim (`across_claims=True`): the patient's lines are
    the claim's, so the rules see the same lines either way, and findings say the patient's
    claims were looked at."""

    __slots__ = ("across_claims", "claim")
    single_claim = True
    """Only the claim's own lines: rules may take claim-level shortcuts."""

    def __init__(self, claim: Claim, *, across_claims: bool = False) -> None:
        self.claim = claim
        self.across_claims = across_claims

    def on(self, day: date) -> list[ClaimLine]:
        """Every line of the scope on `day` (the claim's own, here)."""
        return self.claim.by_date().get(day, EMPTY)

    def lines(self) -> Sequence[ClaimLine]:
        return self.claim.lines

    def owns(self, line: ClaimLine) -> bool:
        return True

    def where(self, line: ClaimLine) -> str:
        return f"line {line.line}"

    def claim_of(self, line: ClaimLine) -> Claim:
        return self.claim


class PatientLines:
    """Every line of one patient, over the batch and the history file, by date."""

    def __init__(self, claims: Sequence[Claim]) -> None:
        self.claims = claims
        self.by_day: dict[date, list[ClaimLine]] = {}
        self.owner: dict[int, Claim] = {}
        self.all: list[ClaimLine] = []
        for claim in claims:
            for line in claim.lines:
                self.by_day.setdefault(line.date_of_service, []).append(line)
                self.owner[id(line)] = claim
                self.all.append(line)


class PatientScope:
    """One claim seen against every line of its patient."""

    __slots__ = ("claim", "patient")
    across_claims = True
    single_claim = False

    def __init__(self, claim: Claim, patient: PatientLines) -> None:
        self.claim = claim
        self.patient = patient

    def on(self, day: date) -> list[ClaimLine]:
        return self.patient.by_day.get(day, EMPTY)

    def lines(self) -> Sequence[ClaimLine]:
        return self.patient.all

    def owns(self, line: ClaimLine) -> bool:
        return self.patient.owner[id(line)] is self.claim

    def where(self, line: ClaimLine) -> str:
        owner = self.patient.owner[id(line)]
        if owner is self.claim:
            return f"line {line.line}"
        kind = "history claim" if owner.history else "claim"
        return f"{kind} {owner.claim_id} line {line.line}"

    def claim_of(self, line: ClaimLine) -> Claim:
        return self.patient.owner[id(line)]


Scope = ClaimScope | PatientScope


def same_provider(first: ClaimLine, second: ClaimLine) -> bool:
    """Both lines by one rendering provider (both unnamed counts as one: the claim's)."""
    return first.rendering_npi == second.rendering_npi

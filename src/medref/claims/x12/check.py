"""Findings of an 837 keep their place in the file.

The engine counts each claim's findings (`Tally.count`) with the very `Finding` objects it
then hands on; `PlacedTally` notes the claim's place for each of them there, and
`placed(finding)` gives it back as the finding goes out (and forgets it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat

from medref.claims.engine import Tally
from medref.claims.model import PROBLEM_STATUSES, Claim, Finding
from medref.claims.x12.read837 import ClaimPlace


@dataclass
class PlacedTally(Tally):
    places: dict[int, ClaimPlace] = field(default_factory=dict)
    """The reader's places, by claim order."""
    only_problems: bool = False
    pending: dict[int, ClaimPlace] = field(default_factory=dict)

    def count(self, claim: Claim, findings: list[Finding], amounts: dict[int, Decimal]) -> None:
        super().count(claim, findings, amounts)
        place = self.places.pop(claim.order, None)
        if place is None:
            return
        if self.only_problems:
            findings = [f for f in findings if f.status in PROBLEM_STATUSES]
        self.pending.update(zip(map(id, findings), repeat(place)))

    def place(self, finding: Finding) -> ClaimPlace | None:
        """The place of the finding's claim (then forgotten)."""
        return self.pending.pop(id(finding), None)

    def placed(self, finding: Finding) -> dict[str, object]:
        """The finding as a dict with its `place` (and the place forgotten)."""
        row = finding.as_dict()
        place = self.place(finding)
        if place is not None:
            row["place"] = place.of(finding.line)
        return row

    def label(self, finding: Finding) -> str:
        """Where the finding's claim stands, for a text report (the place kept)."""
        place = self.pending.get(id(finding))
        return place.label() if place is not None else ""

"""Modifiers grouped by what they mean to claim edits, with the codes each may sit on.

One place for the facts the claim rules and pricing read (IOM 100-04 chapter 23 §20.9.1.1
for NCCI; chapter 12 §30.6.6, §30.6.12.7, §40.2, §40.4, §40.6-40.9 for global surgery and
surgical payment modifiers; chapter 15 §30 A for ambulance origin and destination).
Each group is data: a rule asks "which group is this modifier in, and may it sit on this
kind of code", never a list written inside the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CodeKind = Literal["em", "procedure", "lab", "any"]
"""What a line's code is, for the question "may this modifier bypass an edit here":
`em` CPT 99202-99499; `lab` a clinical laboratory test; `procedure` anything else."""

NCCI_SECTION = "IOM:100-04/23/20.9.1.1"

ANATOMIC = frozenset(
    {"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"}
    | {"TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"}
    | {"LT", "RT", "LC", "LD", "RC", "LM", "RI"}
)
"""NCCI PTP-associated anatomic modifiers (§20.9.1.1 A). They say where a service was done,
so they show "different sites" only when both lines of a pair name a site and the sites
differ; a site on one line alone shows nothing about the other."""
GLOBAL_SURGERY = frozenset({"24", "25", "57", "58", "78", "79"})
"""NCCI PTP-associated global surgery modifiers (§20.9.1.1 A)."""
DISTINCT_SERVICE = frozenset({"59", "XE", "XP", "XS", "XU"})
"""59 and its subsets (§20.9.1.1 B)."""
OTHER_ASSOCIATED = frozenset({"27", "91"})
ASSOCIATED = ANATOMIC | GLOBAL_SURGERY | DISTINCT_SERVICE | OTHER_ASSOCIATED
"""Every NCCI PTP-associated modifier, as §20.9.1.1 A lists them."""

DISTINCT_SERVICE_IGNORED_ON = frozenset({"77427"})
"""Codes on which 59/X{EPSU} are processed as if absent (§20.9.1.1 B), besides every E/M
code: 77427, radiation treatment management."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an NCCI PTP-associated modifier is "appropriately appended" (§20.9.1.1 A): the
    kinds of code it describes, and the claim settings it exists for."""

    kinds: frozenset[CodeKind]
    basis: str
    """Canonical reference of the rule that says so."""
    settings: frozenset[str] = frozenset({"practitioner", "outpatient"})
    why: str = ""
    """The placement rule in words, for a finding's message."""


_EM: frozenset[CodeKind] = frozenset({"em"})
_PROCEDURE: frozenset[CodeKind] = frozenset({"procedure", "lab"})
_LAB: frozenset[CodeKind] = frozenset({"lab"})
PLACEMENT: dict[str, Placement] = {
    "25": Placement(_EM, "IOM:100-04/12/30.6.6", why="25 is used only on an E/M code (§30.6.6 B)"),
    "57": Placement(
        _EM,
        "IOM:100-04/12/40.2",
        why="57 marks the E/M that was the decision for surgery (§40.2 A.4)",
    ),
    "24": Placement(
        _EM,
        "IOM:100-04/12/40.2",
        why="24 marks an unrelated E/M in a postoperative period (§40.2 A.7)",
    ),
    "58": Placement(
        _PROCEDURE,
        "IOM:100-04/12/40.2",
        why="58 marks a staged or related procedure, not an E/M (§40.2 A.6)",
    ),
    "78": Placement(
        _PROCEDURE,
        "IOM:100-04/12/40.2",
        why="78 marks a return to the operating room, a procedure (§40.2 A.5)",
    ),
    "79": Placement(
        _PROCEDURE,
        "IOM:100-04/12/40.2",
        why="79 marks an unrelated procedure, not an E/M (§40.2 A.7)",
    ),
    "27": Placement(
        _EM,
        NCCI_SECTION,
        settings=frozenset({"outpatient"}),
        why="27 marks another outpatient hospital E/M encounter: it exists on outpatient "
        "hospital (institutional) claims, on E/M codes",
    ),
    "91": Placement(
        _LAB,
        NCCI_SECTION,
        why="91 marks a repeated clinical laboratory test (§20.9.1.1 C)",
    ),
}
"""Associated modifiers that bypass only on the codes and settings they describe; the
anatomic ones and 59/X{EPSU} follow their own rules (ANATOMIC, DISTINCT_SERVICE_IGNORED_ON)."""

GLOBAL_PERIOD_MODIFIERS: dict[str, str] = {
    "24": "an unrelated E/M by the same physician in a postoperative period",
    "25": "a significant, separately identifiable E/M on the day of a procedure",
    "57": "the E/M that resulted in the decision for major surgery",
    "58": "a staged or related procedure in a postoperative period",
    "78": "an unplanned return to the operating room for a related procedure",
    "79": "an unrelated procedure in a postoperative period",
    "FT": "an unrelated E/M in a global period (preoperative, same day or postoperative)",
}
"""What each modifier says about a service inside a global surgical package (§40.2 A,
§40.4 A, §30.6.12.7)."""
POSTOPERATIVE_PROCEDURE_MODIFIERS = frozenset({"58", "78", "79"})
"""A procedure in another procedure's postoperative period is paid only with one of these
(§40.4 A)."""
RETURN_TO_OPERATING_ROOM = "78"
"""A return trip for a complication is paid only its intra-operative share (§40.4 C): it
opens no postoperative period of its own, the first procedure's goes on (58 and 79 begin a
new one, §40.2 A.5)."""
VISIT_IN_PACKAGE_MODIFIERS = frozenset({"24", "25", "57", "FT"})
"""An E/M on the day of or after a procedure is paid only with one of these (§40.4 A)."""

BILATERAL = "50"
SIDES = frozenset({"RT", "LT"})
ASSISTANT_AT_SURGERY = frozenset({"80", "81", "82", "AS"})
CO_OR_TEAM_SURGERY = frozenset({"62", "66"})

CATEGORY_II_MODIFIERS: dict[str, str] = {
    "1P": "performance measure exclusion for medical reasons",
    "2P": "performance measure exclusion for patient reasons",
    "3P": "performance measure exclusion for system reasons",
    "8P": "performance measure reporting: action not performed, reason not otherwise given",
}
"""CPT Category II (performance measurement) modifiers, reported with Category II codes
(4 digits and F). Our own short wording."""

AMBULANCE_SECTION = "IOM:100-04/15/30"
AMBULANCE_PLACES: dict[str, str] = {
    "D": "diagnostic or therapeutic site other than P or H",
    "E": "residential, domiciliary or custodial facility",
    "G": "hospital-based ESRD facility",
    "H": "hospital",
    "I": "site of transfer between types of ambulance transport",
    "J": "freestanding ESRD facility",
    "N": "skilled nursing facility",
    "P": "physician's office",
    "R": "residence",
    "S": "scene of an accident or acute event",
    "X": "intermediate stop at a physician's office on the way to the hospital",
}
"""Ambulance origin/destination letters: a modifier is an origin letter then a destination
letter (`RH`: residence to hospital). X is a destination only."""


def ambulance_modifier(modifier: str) -> str | None:
    """`RH` -> "from residence to hospital"; None when it is not an origin/destination pair."""
    if len(modifier) != 2:
        return None
    origin, destination = modifier[0], modifier[1]
    if origin == "X" or origin not in AMBULANCE_PLACES or destination not in AMBULANCE_PLACES:
        return None
    return f"from {AMBULANCE_PLACES[origin]} to {AMBULANCE_PLACES[destination]}"

"""Physician Fee Schedule payment facts: what a status code means for a claim line, which
places of service take the facility rate, and the percentages of the payment modifiers,
each with the rule that sets it.

The meanings of the indicator values themselves are in `medref.codes.pfs_indicators` (RVU file
documentation, Attachment A); this module says what follows from them for payment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, NamedTuple

Payability = Literal["paid", "contractor", "review", "bundled", "invalid", "deleted", "outside"]


class StatusRule(NamedTuple):
    payability: Payability
    words: str


STATUS_RULES: dict[str, StatusRule] = {
    "A": StatusRule("paid", "active: paid separately under the PFS when covered"),
    "C": StatusRule("contractor", "contractor-priced: the MAC sets the payment, case by case"),
    "R": StatusRule(
        "review", "restricted coverage: special coverage instructions apply; contractor-priced"
    ),
    "T": StatusRule(
        "paid",
        "paid only when no other PFS service is billed by the same provider on the same date",
    ),
    "B": StatusRule("bundled", "bundled: payment is always in the payment for other services"),
    "P": StatusRule("bundled", "bundled or excluded: no separate PFS payment"),
    "I": StatusRule("invalid", "not valid for Medicare: Medicare uses another code"),
    "G": StatusRule("invalid", "not valid for Medicare: Medicare uses another code"),
    "D": StatusRule("deleted", "deleted code"),
    "F": StatusRule("deleted", "deleted or discontinued code"),
    "H": StatusRule("deleted", "deleted professional or technical component"),
    "E": StatusRule(
        "review", "excluded from the PFS by regulation: paid, when covered, under other rules"
    ),
    "N": StatusRule("invalid", "not covered by Medicare"),
    "J": StatusRule("outside", "anesthesia service: paid under the anesthesia fee schedule"),
    "M": StatusRule("outside", "measurement code: for reporting only, no payment"),
    "X": StatusRule(
        "outside",
        "statutory exclusion from the PFS: paid, when covered, under another fee schedule "
        "(e.g. clinical laboratory, ambulance)",
    ),
}
"""What each PFS status code (RVU file documentation, Attachment A) means for a claim line.
Only status A, R and T RVUs are used for payment (RVU file layout, Status Code)."""
PRICED_STATUSES = frozenset({"A", "T"})
"""Statuses whose RVUs price the line nationally; R and C are contractor-priced."""

FACILITY_PLACES = frozenset(
    {"02", "19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53"}
    | {"56", "61"}
)
"""Places of service paid at the facility rate (the facility practice expense RVUs): hospital
inpatient and outpatient departments, emergency room, ASC, military facility, SNF (Part A),
hospice, ambulance, psychiatric facilities, community mental health center, psychiatric
residential treatment and inpatient rehabilitation facilities, and telehealth other than in
the patient's home (02). Every other place takes the non-facility rate (IOM 100-04/12/20.4.2,
site of service payment differential; RVU file documentation: facility PE RVUs "for services
performed in inpatient or outpatient hospital settings, emergency rooms, skilled nursing
facilities, or ambulatory surgical centers")."""
SITE_OF_SERVICE = "IOM:100-04/12/20.4.2"


class Percentage(NamedTuple):
    share: Decimal
    basis: str
    """Canonical reference of the rule that sets it."""
    words: str


BILATERAL_150 = Percentage(Decimal("1.5"), "IOM:100-04/12/40.7", "150% for a bilateral procedure")
BILATERAL_EACH_SIDE = Percentage(
    Decimal("2"), "IOM:100-04/12/40.7", "100% for each side (bilateral indicator 3)"
)
MULTIPLE_SECOND = Percentage(
    Decimal("0.5"), "IOM:100-04/12/40.6", "50% as the second to fifth ranked procedure"
)
MULTIPLE_LEGACY_LATER = Percentage(
    Decimal("0.25"), "IOM:100-04/12/40.6", "25% as the third to fifth ranked procedure"
)
CO_SURGEON = Percentage(Decimal("0.625"), "IOM:100-04/12/40.8", "62.5% for each co-surgeon")
ASSISTANT = Percentage(
    Decimal("0.16"), "USC:42/1395w-4(i)(2)(A)", "16% for a physician assistant at surgery"
)
NPP_ASSISTANT = Percentage(
    Decimal("0.136"),
    "USC:42/1395l(a)(1)(O)",
    "13.6% (85% of the 16% physician assistant-at-surgery amount) for a PA, NP or CNS",
)
ASSISTANT_PERCENTAGES = {"80": ASSISTANT, "81": ASSISTANT, "82": ASSISTANT, "AS": NPP_ASSISTANT}
SPLIT_CARE = "IOM:100-04/12/40.4"
"""54, 55 and 56 pay the pre-, intra- and postoperative shares of the PFS row (§40.4 B); 78
pays the intraoperative share (§40.4 C)."""
MAX_RANKED = 5
"""Procedures beyond the fifth are priced by report (§40.6 C.8, C.12)."""

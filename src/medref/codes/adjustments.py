"""Remittance adjustment codes, explained in medref's own words.

An 835 says why a payer paid less than was billed with a claim adjustment group code (who
bears the amount), a claim adjustment reason code (CARC: why) and remittance advice remark
codes (RARC: more detail). The official code lists and their wording are maintained by
others; medref does not ship them. This module explains the few codes a denial analyst
meets most, and the ones the claim rules can re-check, in words written for medref. Each
CARC names the medref rules whose verdict can reproduce it (`rules`) and, where a manual
section says when a MAC uses it, that section.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS: dict[str, str] = {
    "CO": "contractual obligation: the provider absorbs the amount (its agreement or Medicare's "
    "rules); the patient may not be billed for it",
    "PR": "patient responsibility: the patient owes the amount (deductible, coinsurance, "
    "copayment, or a service the patient agreed in writing to pay for)",
    "OA": "other adjustment: neither the provider's agreement nor the patient bears it (for "
    "example what another payer already paid)",
    "PI": "payer-initiated reduction: the payer reduced the amount for a reason outside a "
    "contract; the patient may not be billed for it",
    "CR": "correction or reversal of an earlier adjudication",
}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    meaning: str
    """What the code says, in medref's words."""
    rules: tuple[str, ...] = ()
    """medref claim rules whose failure reproduces the denial, most specific first; empty
    when no table medref loads decides it (eligibility, filing limits, money owed)."""
    basis: str = ""
    """Canonical reference of a manual section that ties the code to a rule, when one does."""
    kind: str = "rule"
    """`rule` (a claim rule re-checks it), `diagnosis` (the claim's ICD-10-CM codes),
    `coverage` (NCD/LCD), `payment` (an amount, not a denial), `outside` (nothing loaded
    decides it)."""


DIAGNOSIS = "diagnosis"
COVERAGE = "coverage"
PAYMENT = "payment"
OUTSIDE = "outside"

REASONS: dict[str, Reason] = {
    reason.code: reason
    for reason in (
        Reason("1", "the amount goes to the patient's deductible", kind=PAYMENT),
        Reason("2", "the amount is the patient's coinsurance share", kind=PAYMENT),
        Reason("3", "the amount is the patient's copayment", kind=PAYMENT),
        Reason(
            "4",
            "the modifier does not fit the procedure code, or a modifier the code needs is missing",
            ("modifiers", "bilateral", "assistant", "global_surgery"),
        ),
        Reason(
            "5",
            "the procedure code or bill type does not fit the place of service",
            ("place_of_service",),
        ),
        Reason(
            "11",
            "the diagnosis does not fit the procedure: the payer does not see the reported "
            "condition as a reason for this service",
            kind=DIAGNOSIS,
        ),
        Reason(
            "16",
            "the claim lacks information or has a billing error the payer needs fixed; the "
            "remark codes name what (a corrected or new claim, not an appeal)",
            kind=OUTSIDE,
        ),
        Reason(
            "18",
            "the payer already has this service for this patient, date and provider: an exact "
            "duplicate of a claim or line",
            ("duplicate",),
            "IOM:100-04/23/20.9.1.1",
        ),
        Reason(
            "22", "another payer is primary for this care (coordination of benefits)", kind=OUTSIDE
        ),
        Reason(
            "23",
            "the amount reflects what an earlier payer already paid or allowed",
            kind=PAYMENT,
        ),
        Reason("26", "the service was before the patient's coverage began", kind=OUTSIDE),
        Reason("27", "the service was after the patient's coverage ended", kind=OUTSIDE),
        Reason("29", "the claim came in after the filing limit", kind=OUTSIDE),
        Reason(
            "45",
            "the charge is above the fee schedule or contracted amount; the difference is "
            "written off, not a denial",
            ("price",),
            kind=PAYMENT,
        ),
        Reason(
            "50",
            "the payer does not find the service medically necessary for this patient "
            "(coverage policy: an NCD, an LCD or the payer's own)",
            kind=COVERAGE,
        ),
        Reason(
            "54",
            "an assistant surgeon, co-surgeon or team is not payable for this procedure",
            ("assistant", "modifiers"),
            "IOM:100-04/12/40.8",
        ),
        Reason(
            "59",
            "paid under the rules for multiple or concurrent procedures (a reduced share)",
            ("price",),
            kind=PAYMENT,
        ),
        Reason(
            "96",
            "a charge the payer does not cover; the remark codes say why",
            ("pfs_status",),
        ),
        Reason(
            "97",
            "the service is paid as part of another service or procedure on the claim or an "
            "earlier one (bundled: an NCCI pair or a global surgical package)",
            ("ptp", "global_surgery", "add_on", "pfs_status"),
            "IOM:100-04/12/40.4",
        ),
        Reason(
            "109",
            "this payer or contractor does not process this service: send it to the right one",
            kind=OUTSIDE,
        ),
        Reason(
            "119",
            "the benefit's maximum for the period or occurrence has been reached (for units on "
            "a date, the MUE)",
            ("mue",),
            "IOM:100-04/23/20.9.3.2",
        ),
        Reason(
            "151",
            "the payer finds more units or services than the information supports (units "
            "over the medically unlikely edit)",
            ("mue",),
            "IOM:100-04/23/20.9.3.2",
        ),
        Reason(
            "167",
            "the diagnosis reported is not one the payer covers for this service",
            kind=DIAGNOSIS,
        ),
        Reason(
            "181", "the procedure code was not valid on the date of service", ("code_validity",)
        ),
        Reason("182", "a modifier was not valid on the date of service", ("modifiers",)),
        Reason("197", "the payer required authorization or certification first", kind=OUTSIDE),
        Reason(
            "204",
            "the service is not covered under the patient's current benefit plan",
            kind=OUTSIDE,
        ),
        Reason(
            "234",
            "this procedure is not paid separately",
            ("pfs_status", "add_on", "ptp"),
        ),
        Reason(
            "236",
            "this procedure, or this procedure with this modifier, may not be billed with "
            "another procedure on the same day (an NCCI procedure-to-procedure edit)",
            ("ptp",),
            "IOM:100-04/23/20.9.3.1",
        ),
        Reason(
            "252",
            "the payer needs documentation to decide; send the records it asks for",
            kind=OUTSIDE,
        ),
        Reason("253", "the Medicare sequestration reduction of the payment", kind=PAYMENT),
        Reason(
            "B15",
            "the service needs another qualifying service that was not paid or not billed (an "
            "add-on code without its primary)",
            ("add_on",),
        ),
    )
}

REMARKS: dict[str, str] = {
    "M15": "separately billed services were bundled as parts of one procedure",
    "M20": "the HCPCS code is missing, incomplete or invalid",
    "M51": "the procedure code is missing, incomplete or invalid",
    "M76": "the diagnosis is missing, incomplete or invalid",
    "M77": "the place of service is missing, incomplete or invalid",
    "M80": "not covered when done in the same session or on the same date as a service "
    "already processed",
    "M86": "denied because a payment was already made for the same or a similar procedure in "
    "the set time frame",
    "MA130": "the claim has incomplete or invalid information and no appeal rights: submit a "
    "new, corrected claim",
    "N20": "the service is not paid with another service on the same date",
    "N56": "the procedure code is not valid for the services or the date billed",
    "N115": "the decision rests on a Local Coverage Determination (LCD)",
    "N362": "the days or units of service exceed the acceptable maximum",
    "N386": "the decision rests on a National Coverage Determination (NCD)",
    "N390": "this service or report cannot be billed separately",
    "N657": "the service should be billed with the code meant for it",
    "N706": "documentation is missing",
}
"""RARC meanings in medref's words; a code not listed is shown without one."""

REMARK_RULES: dict[str, tuple[str, ...]] = {
    "M20": ("code_validity",),
    "M51": ("code_validity",),
    "N56": ("code_validity",),
    "M77": ("place_of_service",),
    "M15": ("ptp",),
    "M80": ("ptp", "duplicate"),
    "M86": ("duplicate",),
    "N20": ("ptp",),
    "N362": ("mue",),
    "N390": ("pfs_status", "ptp"),
}
"""Remark codes that point a vague CARC (16, 96, 234) at a rule medref can re-check."""


def reason(code: str) -> Reason:
    """The CARC explained, or a note that medref has no words for it."""
    found = REASONS.get(code)
    if found is not None:
        return found
    return Reason(
        code,
        f"CARC {code}: medref has no explanation of this code; read the payer's remark codes "
        "and the published code list",
        kind=OUTSIDE,
    )

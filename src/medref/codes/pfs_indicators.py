"""Physician Fee Schedule payment policy indicators: what each value of the RVU file's status,
global surgery, PC/TC, multiple procedure, bilateral, assistant, co-surgeon and team surgery
columns means, restating the RVU file documentation (RVU25A, Attachment A and the record
layout) in our own words.
"""

from __future__ import annotations

STATUS_CODES = {
    "A": "active code, paid separately under the fee schedule when covered (the status alone "
    "is not a national coverage decision)",
    "B": "bundled code: payment is always included in the payment for other services, and "
    "any RVUs shown are not used for payment",
    "C": "contractor-priced: the Medicare contractor sets the RVUs and payment, usually case "
    "by case after reviewing documentation",
    "D": "deleted code, from the start of the year",
    "E": "excluded from the fee schedule by regulation; when covered, it is paid under other rules",
    "F": "deleted or discontinued code, with no grace period",
    "G": "not valid for Medicare, which uses another code for the service (90-day grace period)",
    "H": "deleted component: the code's professional or technical component row was deleted",
    "I": "not valid for Medicare, which uses another code for the service (no grace period)",
    "J": "anesthesia service: no RVUs and no fee schedule amount",
    "M": "measurement code, for reporting only",
    "N": "not covered by Medicare",
    "P": "bundled or excluded: no RVUs and no separate fee schedule payment; bundled into the "
    "physician service when furnished incident to it, otherwise paid under other provisions",
    "R": "restricted coverage: special coverage instructions apply, and covered services are "
    "contractor-priced",
    "T": "paid only when no other fee schedule service is billed by the same provider on the "
    "same date; otherwise bundled into that service",
    "X": "statutory exclusion: not a physician service for fee schedule purposes, so no fee "
    "schedule payment",
}

GLOBAL_DAYS = {
    "000": "0-day global period: pre- and postoperative work on the day of the procedure is "
    "in the payment, and E/M services that day are generally not paid separately",
    "010": "10-day global period: the payment covers the day of the procedure and 10 days "
    "after it, and E/M services in that window are generally not paid separately",
    "090": "90-day global period (major surgery): the payment covers the day before, the day "
    "of the procedure and 90 days after it",
    "MMM": "maternity code: the usual global surgery period does not apply",
    "XXX": "the global surgery concept does not apply",
    "YYY": "the contractor decides whether a global period applies and sets it when pricing",
    "ZZZ": "the code goes with another service and falls within that service's global period",
}

PCTC_INDICATORS = {
    "0": "physician service that cannot be split into professional and technical components; "
    "modifiers 26 and TC do not apply",
    "1": "diagnostic test with professional and technical components; modifiers 26 and TC "
    "may be used",
    "2": "professional component only (a stand-alone interpretation code); modifiers 26 and "
    "TC do not apply",
    "3": "technical component only (a stand-alone code for the staff and equipment part, or a "
    "test covered only as a diagnostic test); modifiers 26 and TC do not apply",
    "4": "global test only (a stand-alone code for the whole test, which also has "
    "professional-only and technical-only codes); modifiers 26 and TC do not apply",
    "5": "incident-to service furnished by auxiliary staff under direct supervision; not "
    "payable to the practitioner for hospital inpatients or outpatients; modifiers 26 and TC "
    "do not apply",
    "6": "laboratory physician interpretation, paid separately from the test (the test is "
    "paid under the laboratory fee schedule); modifier TC does not apply",
    "7": "physical therapy service not payable when an independently practising therapist "
    "furnishes it to a hospital outpatient or inpatient",
    "8": "physician interpretation paid only for an abnormal smear of a hospital inpatient; no "
    "technical component is recognised",
    "9": "the professional/technical component concept does not apply",
}

MULTIPLE_PROCEDURE = {
    "0": "no multiple procedure reduction: paid at the lower of the charge and the fee "
    "schedule amount",
    "1": "the multiple procedure rules in effect before 1995 apply (100%, 50%, 25%, 25%, 25%, "
    "then by report)",
    "2": "standard multiple procedure reduction: ranked by fee schedule amount, 100% for the "
    "highest and 50% for each of the next procedures, then by report",
    "3": "multiple endoscopy rules apply with other endoscopies that share its endoscopic "
    "base code",
    "4": "diagnostic imaging reduction: with another image of the same family in the same "
    "session, the technical component of the lower-priced ones is paid at 50% and their "
    "professional component is reduced by 5%",
    "5": "practice expense reduction for certain therapy services (50% of the practice "
    "expense of the second and later services)",
    "6": "diagnostic cardiovascular reduction: 25% off the technical component of the second "
    "and later procedures",
    "7": "diagnostic ophthalmology reduction: 20% off the technical component of the second "
    "and later procedures",
    "9": "the multiple procedure concept does not apply",
}
"""Indicator 8 is not defined in the RVU25A documentation, so it is not decoded."""

BILATERAL_SURGERY = {
    "0": "no 150% bilateral adjustment: both sides together are paid at most 100% of the "
    "single-code amount (anatomy or a separate bilateral code rules it out)",
    "1": "the 150% bilateral adjustment applies when billed with modifier 50, with RT and LT, "
    "or with 2 units",
    "2": "the RVUs already assume a bilateral procedure: no 150% adjustment, and both sides "
    "together are paid at most 100% of the single-code amount",
    "3": "each side is paid on its own, up to 100% of the fee schedule amount per side "
    "(mostly radiology and other diagnostic tests)",
    "9": "the bilateral surgery concept does not apply",
}

ASSISTANT_AT_SURGERY = {
    "0": "an assistant at surgery is paid only with documentation of medical necessity",
    "1": "an assistant at surgery may not be paid (statutory restriction)",
    "2": "an assistant at surgery may be paid",
    "9": "the assistant-at-surgery concept does not apply",
}

CO_SURGEONS = {
    "0": "co-surgeons (modifier 62) are not permitted",
    "1": "co-surgeons may be paid with documentation that two surgeons were medically necessary",
    "2": "co-surgeons are permitted without documentation when the two-specialty requirement "
    "is met",
    "9": "the co-surgeon concept does not apply",
}

TEAM_SURGERY = {
    "0": "team surgeons (modifier 66) are not permitted",
    "1": "team surgeons may be paid, by report, with documentation that a team was medically "
    "necessary",
    "2": "team surgeons are permitted and paid by report",
    "9": "the team surgery concept does not apply",
}

PAYMENT_MODIFIERS = {
    "26": "professional component",
    "TC": "technical component",
    "53": "discontinued procedure (separate RVUs for a procedure the physician ended early)",
}
"""Modifiers that have rows of their own in the RVU file."""

INDICATORS = {
    "status_code": ("Status", STATUS_CODES),
    "glob_days": ("Global surgery", GLOBAL_DAYS),
    "pctc_ind": ("PC/TC indicator", PCTC_INDICATORS),
    "mult_proc": ("Multiple procedure indicator", MULTIPLE_PROCEDURE),
    "bilat_surg": ("Bilateral surgery indicator", BILATERAL_SURGERY),
    "asst_surg": ("Assistant at surgery indicator", ASSISTANT_AT_SURGERY),
    "co_surg": ("Co-surgeon indicator", CO_SURGEONS),
    "team_surg": ("Team surgery indicator", TEAM_SURGERY),
}
"""RVU file column -> (its name in words, the meaning of each value)."""

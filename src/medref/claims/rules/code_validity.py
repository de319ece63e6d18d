"""Are the codes valid on the date of service?

- HCPCS Level II codes: listed in the HCPCS file and in force on the date (add and
  termination dates of the quarterly Alpha-Numeric HCPCS File, `HCPCS:<code>`).
- CPT codes: checked by form only (5 digits in one of the Category I sections, or 4 digits
  and F, T, U, M or A). The CPT code list is the AMA's and medref does not ship it; a
  well-formed CPT code passes with a message that says so, and a 5-digit number in no section
  (00050: below Anesthesia's 00100) fails.
- ICD-10-CM diagnoses: present and billable in the release in force on the claim's dates
  (fiscal year from October 1, April updates). A header (a code with children) fails with
  some of its billable children as the hint: claims need the most specific code (ICD-10-CM
  Official Guidelines, Section I.B.2, level of detail).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Literal

from medref.claims.model import Claim, Finding
from medref.claims.rules.base import Outcome, RuleContext, listed_on
from medref.claims.tables import IcdCodes, Loaded
from medref.codes.classify import classify
from medref.codes.icd10 import cm_problem
from medref.errors import InputError

RULE_ID = "code_validity"
CPT_VINTAGE = "CPT structure (form only)"
SHOWN_CHILDREN = 5


@lru_cache(maxsize=16384)
def procedure_form(code: str) -> Outcome | None:
    """The verdict on a code's form alone: a failure, a CPT pass (form is all we check), or
    None for a well-formed HCPCS Level II code, which the HCPCS file must confirm."""
    hint: Literal["hcpcs-level-2", "cpt"] = "hcpcs-level-2" if code[:1].isalpha() else "cpt"
    try:
        found = classify(code, hint=hint)
    except InputError as exc:
        ref = f"HCPCS:{code}" if hint == "hcpcs-level-2" else f"CPT:{code}"
        return Outcome("fail", str(exc), ref, CPT_VINTAGE)
    if hint == "hcpcs-level-2":
        return None
    if found.system == "cpt-category-1" and found.category is None:
        return Outcome(
            "fail",
            f"{code} lies in no CPT Category I section (Anesthesia 00100-01999, Surgery "
            "10000-69990, Radiology, Pathology and Laboratory, Medicine, E/M): no CPT code has "
            "this number",
            f"CPT:{code}",
            CPT_VINTAGE,
        )
    return Outcome(
        "pass",
        f"{code} is a well-formed CPT code ({found.category or found.system}); checked by form "
        "only: medref ships no CPT code list (AMA licence)",
        f"CPT:{code}",
        CPT_VINTAGE,
    )


def check(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    claim_id = claim.claim_id
    hcpcs = ctx.tables.hcpcs
    for line in claim.lines:
        code = line.code
        outcome = procedure_form(code)
        if outcome is None:
            outcome = listed_on(hcpcs, code, line.date_of_service, "HCPCS code", f"HCPCS:{code}")
        if outcome.status == "fail":
            yield ctx.deny(line, Finding(claim_id, line.line, RULE_ID, *outcome))
        elif ctx.passes or outcome.status != "pass":
            yield Finding(claim_id, line.line, RULE_ID, *outcome)
    if claim.diagnoses:
        yield from diagnoses(claim, ctx)


def diagnoses(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Each diagnosis against every ICD-10-CM release in force on the claim's dates (one,
    unless the claim spans October 1 or an April update)."""
    table = ctx.tables.icd
    releases: dict[str, tuple[Loaded[IcdCodes], date]] = {}
    uncovered: date | None = None
    for day in sorted(claim.by_date()):
        loaded = table.on(day)
        if loaded is None:
            uncovered = uncovered or day
        elif loaded.vintage not in releases:
            releases[loaded.vintage] = (loaded, day)
    memo = table.memo
    reason = None if uncovered is None else table.outside(uncovered)
    for code in claim.diagnoses:
        if reason is not None:
            yield Finding(
                claim.claim_id, None, RULE_ID, "no_data", reason, f"ICD10CM:{code}", table.label
            )
        for loaded, day in releases.values():
            outcome = memo.get((code, loaded.vintage, day))
            if outcome is None:
                outcome = memo[(code, loaded.vintage, day)] = diagnosis(code, loaded, day)
            if ctx.passes or outcome.status != "pass":
                yield Finding(claim.claim_id, None, RULE_ID, *outcome)


def diagnosis(code: str, loaded: Loaded[IcdCodes], day: date) -> Outcome:
    ref, vintage = f"ICD10CM:{code}", loaded.vintage
    problem = cm_problem(code)
    if problem is not None:
        return Outcome("fail", f"{code} is not an ICD-10-CM code: {problem}", ref, vintage)
    billable = loaded.data.billable(code)
    if billable is None:
        return Outcome(
            "fail", f"{code} is not a code of {vintage}, in force on {day}", ref, vintage
        )
    if billable:
        return Outcome("pass", f"{code} is a billable code of {vintage}", ref, vintage)
    children = loaded.data.children(code, SHOWN_CHILDREN + 1)
    shown = ", ".join(children[:SHOWN_CHILDREN])
    if len(children) > SHOWN_CHILDREN:
        shown += ", ..."
    return Outcome(
        "fail",
        f"{code} is a header in {vintage}, not billable: code to a billable child such as {shown}",
        ref,
        vintage,
    )

"""Why each adjusted line of an 835 was cut, and whether medref's rules say the same.

Each remitted claim is rebuilt as a claim (from the claim file the provider sent when one is
given, matched by CLP01 = CLM01 and by line item control number, else from the 835's own
service lines), checked by the claim rules with the other claims of its patient, and every
adjustment (group, CARC, remarks) of a line is judged against the rules its reason names
(`medref.codes.adjustments`):

| verdict | when |
|---|---|
| `reproduced` | a rule the reason names fails the line: the finding's reference is the edit row or manual section behind the denial |
| `not_reproduced` | those rules pass (or lawfully bypass) the line with the tables in force on its date: the payer's reason is not one medref finds |
| `review` | the loaded sources name the rule or policy but a person must judge (a contractor's call, an NCD's conditions) |
| `no_data` | nothing loaded decides it (no table for the date, no diagnoses in an 835 without its claim, no NCD or LCD for the code) |
| `not_checked` | no medref rule covers the reason (an amount such as a deductible, eligibility, filing limits) |

Every row says what to do (`fix`): a modifier, units, a corrected diagnosis, a corrected
claim (frequency 7), documentation, an appeal, or nothing when the denial is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from medref.claims.engine import Tally, check_claims
from medref.claims.model import Claim, ClaimLine, Finding, Setting
from medref.claims.tables import EditTables, ptp_verdict
from medref.claims.values import Invalid, to_place
from medref.codes.adjustments import (
    COVERAGE,
    DIAGNOSIS,
    GROUPS,
    OUTSIDE,
    PAYMENT,
    REMARK_RULES,
    REMARKS,
    Reason,
    reason,
)
from medref.denials.read835 import REVERSAL, Adjustment, RemitClaim, ServiceLine

CoverageLookup = Callable[[str, date | None], list[tuple[str, str]]]
"""(code, date) -> [(canonical reference, title)] of loaded NCDs/LCDs that may apply."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """A claim as the provider sent it, with the line item control numbers of its lines."""

    claim: Claim
    controls: dict[str, int] = field(default_factory=dict)
    """REF*6R -> line number."""


@dataclass(frozen=True, slots=True)
class Explanation:
    claim: RemitClaim
    line: ServiceLine | None
    """None for an adjustment of the whole claim."""
    adjustment: Adjustment
    reason: Reason
    verdict: str
    rule: str | None
    ref: str | None
    evidence: str
    fix: str
    claim_line: int | None = None
    """The line of the submitted claim it was matched to, when a claim file was given."""

    def as_dict(self) -> dict[str, object]:
        line = self.line
        remarks = (line.remarks if line is not None else []) + self.claim.remarks
        found: dict[str, object] = {
            "place": {
                **self.claim.place(),
                **({"svc": line.number, "svc_segment": line.segment} if line is not None else {}),
            },
            "claim_id": self.claim.claim_id,
            "line": line.number if line is not None else None,
            "claim_line": self.claim_line,
            "code": line.code if line is not None else None,
            "modifiers": list(line.modifiers) if line is not None else [],
            "units": line.units if line is not None else None,
            "date_of_service": line.day.isoformat() if line is not None and line.day else None,
            "charge": str(line.charge if line is not None else self.claim.charge),
            "paid": str(line.paid if line is not None else self.claim.paid),
            "group": self.adjustment.group,
            "group_meaning": GROUPS.get(self.adjustment.group, "not a 5010 group code"),
            "carc": self.adjustment.reason,
            "carc_meaning": self.reason.meaning,
            "amount": str(self.adjustment.amount),
            "rarcs": [{"code": code, "meaning": REMARKS.get(code, "")} for code in remarks],
            "verdict": self.verdict,
            "rule": self.rule,
            "ref": self.ref,
            "evidence": self.evidence,
            "fix": self.fix,
        }
        return found


@dataclass
class Collected(Tally):
    """Keeps each claim's findings by its order (an 835 is a payment batch: it fits)."""

    by_claim: dict[int, list[Finding]] = field(default_factory=dict)

    def count(self, claim: Claim, findings: list[Finding], amounts: dict[int, Decimal]) -> None:
        super().count(claim, findings, amounts)
        self.by_claim[claim.order] = findings


@dataclass
class Case:
    """A remitted claim and what it was checked as."""

    remit: RemitClaim
    claim: Claim | None
    lines: dict[int, int | None] = field(default_factory=dict)
    """835 line number -> the checked claim's line number (None: not checked)."""
    why_not: dict[int, str] = field(default_factory=dict)
    """835 line number -> why the line was not re-checked."""


def explain(
    remits: Iterable[RemitClaim],
    tables: EditTables,
    *,
    submitted: dict[str, list[Submitted]] | None = None,
    setting: Setting = "practitioner",
    coverage: CoverageLookup | None = None,
) -> Iterable[Explanation]:
    """An explanation per adjustment of every adjusted line (and claim)."""
    cases = [case_of(remit, order, submitted, setting) for order, remit in enumerate(remits, 1)]
    tally = Collected()
    claims = [case.claim for case in cases if case.claim is not None]
    for _ in check_claims(claims, tables, tally=tally):
        pass
    for case in cases:
        findings = tally.by_claim.get(case.claim.order, []) if case.claim is not None else []
        judge = Judge(case, findings, tables, coverage)
        for adjustment in case.remit.adjustments:
            yield judge.explain(None, adjustment)
        for line in case.remit.lines:
            for adjustment in line.adjustments:
                yield judge.explain(line, adjustment)


def case_of(
    remit: RemitClaim, order: int, submitted: dict[str, list[Submitted]] | None, setting: Setting
) -> Case:
    case = Case(remit, None)
    if remit.status == REVERSAL:
        for line in remit.lines:
            case.why_not[line.number] = "a reversal of an earlier payment (CLP02 22)"
        return case
    if remit.problems:
        for line in remit.lines:
            case.why_not[line.number] = "; ".join(remit.problems)
        return case
    found = (submitted or {}).get(remit.claim_id)
    if submitted is not None:
        if not found:
            for line in remit.lines:
                case.why_not[line.number] = f"claim {remit.claim_id} is not in the claim file given"
            return case
        return matched(case, found[0], order)
    return rebuilt(case, order, setting)


def rebuilt(case: Case, order: int, setting: Setting) -> Case:
    """The claim from the 835 alone: codes, modifiers, units as billed, dates, place of
    service (CLP08), patient and rendering provider; no diagnoses (an 835 has none)."""
    remit = case.remit
    chosen: Setting = "outpatient" if remit.institutional else setting
    place = ""
    if chosen != "outpatient":
        found = to_place(remit.facility)
        place = "" if isinstance(found, Invalid) else found
    start, end = remit.statement
    lines: list[ClaimLine] = []
    for line in remit.lines:
        day = line.day or (start if start is not None and start == end else None)
        if line.problems:
            case.why_not[line.number] = "; ".join(line.problems)
        elif not line.code:
            case.why_not[line.number] = "no HCPCS/CPT code on the line (revenue code only)"
        elif day is None:
            case.why_not[line.number] = "no date of service (DTM*472) on the line"
        else:
            lines.append(
                ClaimLine(
                    line.number,
                    day,
                    line.code,
                    line.modifiers,
                    line.units,
                    place,
                    (),
                    line.rendering_npi or remit.rendering_npi,
                )
            )
            case.lines[line.number] = line.number
    if lines:
        case.claim = Claim(
            remit.claim_id, chosen, (), lines, patient_id=remit.patient_id, order=order
        )
    return case


def matched(case: Case, sent: Submitted, order: int) -> Case:
    """The claim as submitted; each 835 line matched to its line by control number, else by
    code, modifiers and date (units may differ: the payer may have cut them)."""
    claim = sent.claim
    if claim.problems:
        for line in case.remit.lines:
            case.why_not[line.number] = "the submitted claim has input errors: " + "; ".join(
                problem.message for problem in claim.problems
            )
        return case
    taken: set[int] = set()
    for line in case.remit.lines:
        number = sent.controls.get(line.control) if line.control else None
        if number is None:
            number = next(
                (
                    own.line
                    for own in claim.lines
                    if own.line not in taken
                    and own.code == line.code
                    and (line.day is None or own.date_of_service == line.day)
                    and (own.modifiers == line.modifiers or not line.modifiers)
                ),
                None,
            )
        if number is None:
            case.why_not[line.number] = (
                f"no line of claim {claim.claim_id} in the claim file matches {line.code} "
                f"on {line.day or 'its date'}"
            )
        else:
            taken.add(number)
            case.lines[line.number] = number
    copy = Claim(
        claim.claim_id,
        claim.setting,
        claim.diagnoses,
        list(claim.lines),
        patient_id=claim.patient_id,
        order=order,
    )
    case.claim = copy
    return case


class Judge:
    """Judges each adjustment of one remitted claim against the findings of its check."""

    def __init__(
        self,
        case: Case,
        findings: list[Finding],
        tables: EditTables,
        coverage: CoverageLookup | None,
    ) -> None:
        self.case = case
        self.tables = tables
        self.coverage = coverage
        self.by_line: dict[int | None, list[Finding]] = {}
        for finding in findings:
            self.by_line.setdefault(finding.line, []).append(finding)

    def explain(self, line: ServiceLine | None, adjustment: Adjustment) -> Explanation:
        code = reason(adjustment.reason)
        own = self.case.lines.get(line.number) if line is not None else None
        remarks = (line.remarks if line is not None else []) + self.case.remit.remarks
        rules = code.rules + tuple(
            rule
            for remark in remarks
            for rule in REMARK_RULES.get(remark, ())
            if rule not in code.rules
        )

        def row(
            verdict: str, rule: str | None, ref: str | None, evidence: str, fix: str
        ) -> Explanation:
            return Explanation(
                self.case.remit, line, adjustment, code, verdict, rule, ref, evidence, fix, own
            )

        if code.kind == PAYMENT:
            return row(
                "not_checked",
                None,
                code.basis or None,
                "an amount adjustment, not a denial of the service",
                payment_fix(adjustment),
            )
        if code.kind == OUTSIDE and not rules:
            return row(
                "not_checked", None, code.basis or None, OUTSIDE_EVIDENCE, outside_fix(code.code)
            )
        if line is None:
            return row(
                "not_checked",
                None,
                code.basis or None,
                "an adjustment of the whole claim: medref re-checks service lines",
                outside_fix(code.code),
            )
        if own is None:
            why = self.case.why_not.get(line.number, "the line was not re-checked")
            return row("no_data", None, code.basis or None, f"not re-checked: {why}", NO_DATA_FIX)
        if code.kind == DIAGNOSIS:
            return self.diagnosis(line, own, row)
        if code.kind == COVERAGE:
            return self.coverage_policy(line, row)
        return self.rules(line, own, rules, code, row)

    def rules(
        self,
        line: ServiceLine,
        own: int,
        rules: Sequence[str],
        code: Reason,
        row: Callable[[str, str | None, str | None, str, str], Explanation],
    ) -> Explanation:
        findings = [f for f in self.by_line.get(own, []) if f.rule in rules]
        findings.sort(key=lambda f: rules.index(f.rule))
        for wanted in ("fail", "warning"):
            hit = next((f for f in findings if f.status == wanted), None)
            if hit is not None:
                verdict = "reproduced" if wanted == "fail" else "review"
                return row(verdict, hit.rule, hit.ref, hit.message, self.fix(hit, line, verdict))
        decided = [f for f in findings if f.status in ("pass", "bypassed")]
        if decided:
            best = next((f for f in decided if f.status == "bypassed"), decided[0])
            passed = ", ".join(sorted({f.rule for f in decided}))
            return row(
                "not_reproduced",
                best.rule,
                best.ref,
                f"the {passed} rule{'s pass' if ',' in passed else ' passes'} this line: {best.message}",
                NOT_REPRODUCED_FIX,
            )
        missing = next((f for f in findings if f.status == "no_data"), None)
        if missing is not None:
            return row("no_data", missing.rule, missing.ref, missing.message, NO_DATA_FIX)
        return row(
            "no_data",
            rules[0] if rules else None,
            code.basis or None,
            f"the {', '.join(rules)} rule{'s' if len(rules) > 1 else ''} made no finding on this "
            "line",
            NO_DATA_FIX,
        )

    def diagnosis(
        self,
        line: ServiceLine,
        own: int,
        row: Callable[[str, str | None, str | None, str, str], Explanation],
    ) -> Explanation:
        claim = self.case.claim
        assert claim is not None
        if not claim.diagnoses:
            return row(
                "no_data",
                "code_validity",
                None,
                "an 835 carries no diagnoses: give the claim as sent (medref denials FILE.835 "
                "--claims FILE.837) to re-check them",
                NO_DATA_FIX,
            )
        checked = next(item for item in claim.lines if item.line == own)
        pointed = [
            claim.diagnoses[p - 1] for p in checked.diagnosis_pointers if p <= len(claim.diagnoses)
        ] or list(claim.diagnoses)
        refs = {f"ICD10CM:{code}" for code in pointed}
        findings = [
            f for f in self.by_line.get(None, []) if f.rule == "code_validity" and f.ref in refs
        ]
        failed = next((f for f in findings if f.status == "fail"), None)
        if failed is not None:
            return row(
                "reproduced",
                "code_validity",
                failed.ref,
                failed.message,
                "replace the diagnosis with a valid, billable ICD-10-CM code the record "
                "supports (the finding names billable children) and send a corrected claim "
                "(frequency 7)",
            )
        if findings and all(f.status == "pass" for f in findings):
            policies = self.policies(line)
            named = f"; loaded coverage documents that may apply: {policies}" if policies else ""
            return row(
                "not_reproduced",
                "code_validity",
                findings[0].ref,
                f"the line's diagnoses {', '.join(pointed)} are valid, billable ICD-10-CM codes on "
                "the date; whether they support the service is coverage policy (NCD/LCD), which "
                f"medref does not check against diagnoses{named}",
                "check the payer's coverage policy for the diagnoses it accepts; if the record "
                "supports one the claim lacks, send a corrected claim; else appeal with the "
                "records",
            )
        missing = findings[0] if findings else None
        return row(
            "no_data",
            "code_validity",
            missing.ref if missing else None,
            missing.message if missing else "no ICD-10-CM release decides these diagnoses",
            NO_DATA_FIX,
        )

    def coverage_policy(
        self,
        line: ServiceLine,
        row: Callable[[str, str | None, str | None, str, str], Explanation],
    ) -> Explanation:
        found = self.coverage(line.code, line.day) if self.coverage is not None else []
        if not found:
            return row(
                "no_data",
                None,
                None,
                f"no loaded NCD or LCD names {line.code} (LCDs are not loaded); the medical "
                "necessity decision is the contractor's",
                "if the record shows the service was reasonable and necessary, appeal with it; "
                "if the patient signed an ABN (modifier GA), the patient may be billed",
            )
        ref, title = found[0]
        others = "; ".join(f"{r} {t}" for r, t in found[1:])
        return row(
            "review",
            None,
            ref,
            f"{ref} ({title}) may govern {line.code}: medref does not judge its indications and "
            "limitations" + (f"; also {others}" if others else ""),
            "read the coverage document's indications and limitations against the record; if "
            "they are met, appeal with the documentation; if not, the service is not covered "
            "(bill the patient only with a signed ABN, modifier GA)",
        )

    def policies(self, line: ServiceLine) -> str:
        found = self.coverage(line.code, line.day) if self.coverage is not None else []
        return ", ".join(ref for ref, _ in found)

    def fix(self, finding: Finding, line: ServiceLine, verdict: str) -> str:
        if verdict == "review":
            return (
                "the tables leave this to the contractor or a person: read the finding's "
                "reference, and appeal with documentation if the service was billed correctly"
            )
        rule = finding.rule
        if rule == "ptp":
            return self.ptp_fix(finding, line)
        if rule == "mue":
            return self.mue_fix(line)
        return RULE_FIXES.get(
            rule, "correct the line as the finding says and send a corrected claim (frequency 7)"
        )

    def ptp_fix(self, finding: Finding, line: ServiceLine) -> str:
        indicator = self.indicator(finding, line)
        if indicator == 0:
            return (
                "modifier indicator 0: no modifier bypasses this pair, so the denial is right; "
                "do not rebill the column 2 code (write it off), unless a code itself was "
                "wrong: then send a corrected claim"
            )
        return (
            "modifier indicator 1: if the services were distinct (another session, site, "
            "organ or encounter, as the record shows), append the modifier that says so (59 or "
            "XE/XS/XP/XU on the procedure; 25 or 57 on an E/M) and send a corrected claim "
            "(frequency 7); if they were not distinct, the denial is right"
        )

    def indicator(self, finding: Finding, line: ServiceLine) -> int | None:
        claim = self.case.claim
        if claim is None or not finding.ref or line.day is None:
            return None
        first, _, second = finding.ref.removeprefix("PTP:").partition("/")
        table = self.tables.ptp.get(claim.setting)
        loaded = table.on(line.day) if table is not None else None
        row = loaded.data.get(first) if loaded is not None else None
        cell = row.get(second) if row is not None else None
        if cell is None:
            return None
        return ptp_verdict(cell, line.day.toordinal())[0]

    def mue_fix(self, line: ServiceLine) -> str:
        claim = self.case.claim
        table = self.tables.mue.get(claim.setting) if claim is not None else None
        loaded = table.on(line.day) if table is not None and line.day is not None else None
        limit = loaded.data.get(line.code) if loaded is not None else None
        if limit is None:
            return "correct the units, or appeal with the records"
        if limit.mai == 1:
            return (
                f"MAI 1, {limit.units} units per line: if more were truly given (another "
                "side or site, a repeat), report them on separate lines with the modifier that "
                "says why (RT/LT, 76, 91, XS) in a corrected claim; units above the limit on "
                "one line may be paid on appeal with the records (IOM 100-04/23/20.9.3.2)"
            )
        if limit.mai == 2:
            return (
                f"MAI 2, {limit.units} units per day, an absolute limit set by policy: correct "
                "the units in a corrected claim; an appeal will not pay units above it"
            )
        return (
            f"MAI 3, {limit.units} units per day by clinical benchmark: appeal with records "
            "showing the units were given and medically necessary; the MAC may pay them "
            "(IOM 100-04/23/20.9.3.2)"
        )


OUTSIDE_EVIDENCE = (
    "no table medref loads decides this reason (eligibility, filing limits, prior "
    "authorization, coordination of benefits, missing information)"
)
NO_DATA_FIX = (
    "medref cannot re-check this line with what is loaded: read the payer's remark codes; "
    "appeal only with the rule or record that shows the line was right"
)
NOT_REPRODUCED_FIX = (
    "medref's rules, with the tables in force on the date, do not deny this line: ask the "
    "payer which edit it applied (the remark codes, the edit's quarter), and if the line was "
    "right, request a reopening or appeal citing the finding's reference"
)
RULE_FIXES = {
    "modifiers": "correct the modifier as the finding says (or remove it) and send a corrected "
    "claim (frequency 7)",
    "bilateral": "report the bilateral service as the finding says (one line, modifier 50, one "
    "unit, or RT/LT on separate lines when the code allows) in a corrected claim",
    "assistant": "bill the assistant or co-surgeon modifiers the PFS indicators allow; if "
    "they allow none, the denial is right",
    "global_surgery": "if the service was unrelated to the surgery (or a staged, related or "
    "return-to-the-room procedure), add the modifier the finding names (24, 25, 57, 58, 78, 79, "
    "FT) with documentation in a corrected claim; else it is part of the global package: do "
    "not rebill",
    "duplicate": "if the service was truly repeated, add 76 or 77 (91 for a laboratory test) "
    "with documentation in a corrected claim; if it was billed twice, the denial is right: do "
    "not rebill",
    "add_on": "bill the add-on with its primary code on the same date (or correct the primary "
    "that was denied) in a corrected claim",
    "complexity_add_on": "remove G2211 from a visit billed with modifier 25, or bill it only "
    "when its conditions are met",
    "pfs_status": "the fee schedule does not pay this code separately (or at all): bill the "
    "code Medicare pays for the service (the finding names it) or write it off",
    "code_validity": "bill a code in force on the date of service in a corrected claim",
    "place_of_service": "correct the place of service in a corrected claim",
    "price": "compare the payment with the allowed amount; appeal an underpayment with the "
    "fee schedule row",
}


def payment_fix(adjustment: Adjustment) -> str:
    if adjustment.group == "PR":
        return "bill the patient (or a secondary payer) for this amount"
    return "nothing to fix: the amount is written off under the fee schedule or contract"


OUTSIDE_FIXES = {
    "16": "add or correct the information the remark codes name and send a new claim (a "
    "claim returned for missing information has no appeal rights)",
    "22": "bill the primary payer first, then this payer with the primary's payment",
    "26": "check the patient's eligibility on the date; bill the payer that covered it",
    "27": "check the patient's eligibility on the date; bill the payer that covered it",
    "29": "only proof of timely filing (or a filing-limit exception) reverses this",
    "109": "send the claim to the payer or contractor that processes this service",
    "197": "obtain the authorization, or appeal with proof it was obtained",
    "204": "the plan does not cover it: bill the patient only with a signed notice",
    "252": "send the documentation the payer asks for",
}


def outside_fix(code: str) -> str:
    return OUTSIDE_FIXES.get(
        code, "read the remark codes: they say what the payer needs; medref has no rule for it"
    )

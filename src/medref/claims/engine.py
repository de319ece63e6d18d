"""Run the rules over a stream of claims.

`check_claims` is a generator: claims are read, checked and their findings handed on one at
a time, so a file of any size runs in constant memory beyond the edit tables. Claims with a
patient id are checked with the other claims of their patient (`patients.py` holds them in
bounded memory until the input ends). A `Tally`
passed in counts as it goes, and `summarize` turns it into the report's summary: the data
vintages actually used and what the check does not cover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from medref.claims.model import Claim, Finding
from medref.claims.patients import PatientGroups
from medref.claims.rules import RuleContext, all_rules
from medref.claims.rules.base import Check
from medref.claims.scope import ClaimScope, PatientLines, PatientScope
from medref.claims.tables import EditTables
from medref.pricing import Pricer

INPUT_RULE = "input"

NOT_CHECKED = (
    "CPT code existence: CPT codes are checked by form only (medref ships no CPT code list; "
    "it is the AMA's)",
    "medical necessity: LCD/NCD coverage of the diagnoses for each service",
    "diagnosis pointers: read and kept, not matched to services",
    "ICD-10-CM conventions: excludes notes, code-first and use-additional instructions, "
    "age and sex edits",
    "frequency limits, prior authorization, eligibility and timely filing",
    "group practices: providers are told apart by rendering NPI only, not by group and "
    "specialty (IOM 100-04/12/30.6.5)",
    "outpatient hospital payment: OPPS status indicators are not loaded (pfs_status and price "
    "run on practitioner claims)",
    "DME supplier claims beyond their MUEs: NCCI publishes no PTP table for them (the ptp "
    "rule says no_data); DMEPOS fee schedule, rental and pricing-modifier rules (NU, RR, UE, "
    "KX) are not checked",
)
PER_CLAIM = (
    "across claims: no patient_id, so each claim is checked on its own (global periods, MUE "
    "date-of-service totals, PTP pairs, duplicates and add-on primaries see only its lines); "
    "each claim is taken as one beneficiary"
)
NO_NPI = (
    "rendering providers: no rendering_npi, so the lines of one patient are taken as one "
    "provider's (give rendering_npi to tell providers apart)"
)
NO_PRICE = "allowed amounts: no payment locality was given (medref check --locality)"
UNPRICED = (
    "allowed amounts beyond the PFS: the imaging, therapy, cardiovascular and ophthalmology "
    "multiple procedure reductions, HPSA and other bonuses, sequestration, deductible and "
    "coinsurance, non-participating rates"
)


RULE_STATUS = attrgetter("rule", "status")


@dataclass
class Tally:
    """Counts kept while findings stream by."""

    claims: int = 0
    lines: int = 0
    rows: int = 0
    """Input rows read, good or bad: every one is a line checked or in a claim's errors."""
    error_claims: int = 0
    error_rows: int = 0
    """Rows of claims not checked because of input errors."""
    by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Findings by (rule, status); `by_status` adds them up (one count per finding, not two)."""
    patient_claims: int = 0
    """Claims checked together with the other claims of their patient."""
    history_claims: int = 0
    """Claims of the history file read for context."""
    providers_named: bool = False
    allowed: Decimal = Decimal("0.00")
    """Sum of the allowed amounts of the priced lines."""
    at_risk: Decimal = Decimal("0.00")
    """Sum of the allowed amounts of priced lines with a failing finding."""
    priced: bool = False

    @property
    def by_status(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for (_, status), count in self.by_rule.items():
            found[status] += count
        return found

    def add(self, finding: Finding) -> None:
        self.by_rule[(finding.rule, finding.status)] += 1

    def add_all(self, findings: list[Finding]) -> None:
        """`add` for many findings, counted in C (a batch makes millions)."""
        self.by_rule.update(map(RULE_STATUS, findings))

    def count(self, claim: Claim, findings: list[Finding], amounts: dict[int, Decimal]) -> None:
        self.claims += 1
        rows = claim.rows or len(claim.lines)
        self.rows += rows
        if claim.problems:
            self.error_claims += 1
            self.error_rows += rows
        else:
            self.lines += len(claim.lines)
        self.add_all(findings)
        if amounts:
            failed = {f.line for f in findings if f.status == "fail"}
            for line in claim.lines:
                amount = amounts.get(id(line))
                if amount is not None:
                    self.allowed += amount
                    if line.line in failed:
                        self.at_risk += amount


@dataclass(frozen=True, slots=True)
class Summary:
    claims: int
    lines: int
    rows: int
    """Input rows read; = lines checked + rows of claims with input errors."""
    error_claims: int
    error_rows: int
    by_status: dict[str, int]
    by_rule: dict[str, dict[str, int]]
    vintages: list[str]
    """Releases the check read, e.g. `NCCI PTP practitioner 2024-07 (2024-07-01..2024-09-30)`."""
    loaded: list[str]
    """Every release the knowledge base offers to the check."""
    not_checked: tuple[str, ...] = NOT_CHECKED
    across_claims: dict[str, object] = field(default_factory=dict)
    money: dict[str, str] | None = None

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "claims": self.claims,
            "lines": self.lines,
            "rows": self.rows,
            "claims_with_input_errors": self.error_claims,
            "rows_in_claims_with_input_errors": self.error_rows,
            "by_status": self.by_status,
            "by_rule": self.by_rule,
            "vintages_used": self.vintages,
            "releases_available": self.loaded,
            "across_claims": self.across_claims,
            "not_checked": list(self.not_checked),
        }
        if self.money is not None:
            found["allowed_amounts"] = self.money
        return found


def check_claims(
    claims: Iterable[Claim],
    tables: EditTables,
    *,
    passes: bool = True,
    tally: Tally | None = None,
    pricer: Pricer | None = None,
    history: Iterable[Claim] = (),
    groups: PatientGroups | None = None,
) -> Iterator[Finding]:
    """Every rule's findings for every claim. Claims without a patient id are checked one by
    one as they stream by; claims with one are held (`PatientGroups`, bounded memory) and
    checked with every claim of their patient, and the `history` claims, at the end. With
    `passes=False` only findings that are not `pass` are produced."""
    ctx = RuleContext(tables, passes, pricer=pricer)
    checks = [rule.check for rule in all_rules()]
    tally = tally if tally is not None else Tally()
    tally.priced = pricer is not None
    patients = groups if groups is not None else PatientGroups()
    for claim in history:
        tally.history_claims += 1
        if claim.patient_id and not claim.problems:
            claim.history = True
            patients.add(claim)
    for claim in claims:
        if claim.problems:
            findings = list(input_errors(claim))
            tally.count(claim, findings, {})
            yield from findings
            continue
        if claim.patient_id:
            patients.add(claim)
            continue
        yield from check_alone(claim, ctx, checks, tally)
    for claims_of_patient in patients.patients():
        yield from check_patient(claims_of_patient, ctx, checks, tally)


def check_alone(
    claim: Claim, ctx: RuleContext, checks: list[Check], tally: Tally, *, patient: bool = False
) -> list[Finding]:
    """One claim on its own; `patient`: it is its patient's only claim (then the findings
    say the patient's claims were looked at, and it counts as checked across claims)."""
    ctx.scope = ClaimScope(claim, across_claims=patient)
    if ctx.denied:
        ctx.denied.clear()
    if ctx.amounts:
        ctx.amounts.clear()
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(claim, ctx))
    if ctx.amounts:
        stamp(claim, findings, ctx.amounts)
    if any(line.rendering_npi for line in claim.lines):
        tally.providers_named = True
    if patient:
        tally.patient_claims += 1
    tally.count(claim, findings, ctx.amounts)
    return findings


def check_patient(
    claims: list[Claim], ctx: RuleContext, checks: list[Check], tally: Tally
) -> Iterator[Finding]:
    """One patient's claims, rule by rule over all of them (so a rule that asks whether
    another line is payable sees every earlier rule's denials), then claim by claim. A
    patient with one claim and no history is that claim's lines: the claim path checks it."""
    if len(claims) == 1 and not claims[0].history:
        yield from check_alone(claims[0], ctx, checks, tally, patient=True)
        return
    patient = PatientLines(claims)
    ctx.denied.clear()
    ctx.amounts.clear()
    batch = [claim for claim in claims if not claim.history]
    scoped: list[tuple[Claim, PatientScope, list[Finding]]] = [
        (claim, PatientScope(claim, patient), []) for claim in batch
    ]
    for check in checks:
        for claim, scope, findings in scoped:
            ctx.scope = scope
            findings.extend(check(claim, ctx))
    for claim, _, findings in scoped:
        if ctx.amounts:
            stamp(claim, findings, ctx.amounts)
        if any(line.rendering_npi for line in claim.lines):
            tally.providers_named = True
        tally.patient_claims += 1
        tally.count(claim, findings, ctx.amounts)
        yield from findings


def stamp(claim: Claim, findings: list[Finding], amounts: dict[int, Decimal]) -> None:
    """Every finding of a priced line carries the line's allowed amount."""
    by_line = {line.line: amounts[id(line)] for line in claim.lines if id(line) in amounts}
    for finding in findings:
        if finding.line is not None:
            amount = by_line.get(finding.line)
            if amount is not None:
                finding.allowed_amount = amount


def input_errors(claim: Claim) -> Iterator[Finding]:
    for problem in claim.problems:
        yield Finding(
            claim.claim_id,
            problem.line,
            INPUT_RULE,
            "error",
            f"claim not checked: {problem.message}",
            None,
            "input",
        )


def summarize(tables: EditTables, tally: Tally) -> Summary:
    by_rule: dict[str, dict[str, int]] = {}
    for (rule, status), count in sorted(tally.by_rule.items()):
        by_rule.setdefault(rule, {})[status] = count
    used = [vintage for table in tables.all() for vintage in table.used()]
    not_checked = list(NOT_CHECKED)
    if tally.patient_claims < tally.claims:
        not_checked.insert(2, PER_CLAIM)
    if tally.patient_claims and not tally.providers_named:
        not_checked.insert(2, NO_NPI)
    not_checked.append(UNPRICED if tally.priced else NO_PRICE)
    across: dict[str, object] = {
        "claims_checked_with_their_patient": tally.patient_claims,
        "claims_checked_alone": tally.claims - tally.patient_claims,
        "history_claims_read": tally.history_claims,
    }
    money = None
    if tally.priced:
        money = {"allowed": str(tally.allowed), "at_risk_on_failing_lines": str(tally.at_risk)}
    return Summary(
        tally.claims,
        tally.lines,
        tally.rows,
        tally.error_claims,
        tally.error_rows,
        dict(tally.by_status),
        by_rule,
        used,
        tables.vintages(),
        tuple(not_checked),
        across,
        money,
    )

"""Run the rules over a stream of claims.

`check_claims` is a generator: claims are read, checked and their findings handed on one at
a time, so a file of any size runs in constant memory beyond the edit tables. A `Tally`
passed in counts as it goes, and `summarize` turns it into the report's summary: the data
vintages actually used and what the check does not cover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from medref.claims.model import Claim, Finding
from medref.claims.rules import RuleContext, all_rules
from medref.claims.scope import ClaimScope
from medref.claims.tables import EditTables

INPUT_RULE = "input"

NOT_CHECKED = (
    "CPT code existence: CPT codes are checked by form only (medref ships no CPT code list; "
    "it is the AMA's)",
    "medical necessity: LCD/NCD coverage of the diagnoses for each service",
    "history across claims: global periods, MUEs and add-on primaries see only the lines of "
    "the same claim",
    "provider and beneficiary: each claim is taken as one beneficiary and one rendering "
    "provider, the unit NCCI edits apply to",
    "diagnosis pointers: read and kept, not matched to services",
    "ICD-10-CM conventions: excludes notes, code-first and use-additional instructions, "
    "age and sex edits",
    "frequency limits, prior authorization, eligibility and timely filing",
    "DME supplier claims beyond their MUEs: NCCI publishes no PTP table for them (the ptp "
    "rule says no_data); DMEPOS fee schedule, rental and pricing-modifier rules (NU, RR, UE, "
    "KX) are not checked",
)


@dataclass
class Tally:
    """Counts kept while findings stream by."""

    claims: int = 0
    lines: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, finding: Finding) -> None:
        self.by_status[finding.status] += 1
        self.by_rule[(finding.rule, finding.status)] += 1


@dataclass(frozen=True, slots=True)
class Summary:
    claims: int
    lines: int
    by_status: dict[str, int]
    by_rule: dict[str, dict[str, int]]
    vintages: list[str]
    """Releases the check read, e.g. `NCCI PTP practitioner 2024-07 (2024-07-01..2024-09-30)`."""
    loaded: list[str]
    """Every release the knowledge base offers to the check."""
    not_checked: tuple[str, ...] = NOT_CHECKED

    def as_dict(self) -> dict[str, object]:
        return {
            "claims": self.claims,
            "lines": self.lines,
            "by_status": self.by_status,
            "by_rule": self.by_rule,
            "vintages_used": self.vintages,
            "releases_available": self.loaded,
            "not_checked": list(self.not_checked),
        }


def check_claims(
    claims: Iterable[Claim],
    tables: EditTables,
    *,
    passes: bool = True,
    tally: Tally | None = None,
) -> Iterator[Finding]:
    """Every rule's findings for every claim, in claim order. With `passes=False` only
    findings that are not `pass` are produced (cheaper when only problems are wanted)."""
    ctx = RuleContext(tables, passes)
    checks = [rule.check for rule in all_rules()]
    findings: list[Finding] = []
    denied = ctx.denied
    for claim in claims:
        if claim.problems:
            findings = list(input_errors(claim))
        else:
            findings.clear()
            ctx.scope = ClaimScope(claim)
            if denied:
                denied.clear()
            for check in checks:
                findings.extend(check(claim, ctx))
        if tally is not None:
            tally.claims += 1
            tally.lines += len(claim.lines)
            for finding in findings:
                tally.add(finding)
        yield from findings


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
    return Summary(
        tally.claims, tally.lines, dict(tally.by_status), by_rule, used, tables.vintages()
    )

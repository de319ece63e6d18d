"""Check a batch of claims with the relational plan: claims read by the same readers as the
streaming engine (so bad rows are the same `error` findings, naming row and column), put in
columnar tables, checked by DuckDB (`columnar`) or Spark (`spark`), findings in claim order.

`ColumnarFindings` mirrors the streaming `FindingStream`: iterate the findings, then ask for
the summary (the same counts, the releases the batch's dates fall in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from medref.claims.columnar.inputs import LineTables, from_claims
from medref.claims.engine import NO_NPI, NO_PRICE, NOT_CHECKED, PER_CLAIM
from medref.claims.model import PROBLEM_STATUSES, Claim, Finding

Engine = Literal["stream", "columnar", "spark"]
ENGINES: tuple[Engine, ...] = ("stream", "columnar", "spark")


class Counted:
    """Claims as they are read, counted the way the streaming `Tally` counts them."""

    def __init__(self, claims: Iterable[Claim]) -> None:
        self.claims = claims
        self.count = self.lines = self.rows = self.error_claims = self.error_rows = 0
        self.patient_claims = 0
        self.providers_named = False

    def __iter__(self) -> Iterator[Claim]:
        for claim in self.claims:
            self.count += 1
            rows = claim.rows or len(claim.lines)
            self.rows += rows
            if claim.problems:
                self.error_claims += 1
                self.error_rows += rows
            else:
                self.lines += len(claim.lines)
                if claim.patient_id:
                    self.patient_claims += 1
                if any(line.rendering_npi for line in claim.lines):
                    self.providers_named = True
            yield claim


def to_findings(table: pa.Table) -> list[Finding]:
    """Rows of the plan in the order a reader expects: claim by claim, rule by rule."""
    ordered = table.sort_by(
        [("claim_key", "ascending"), ("rule_rank", "ascending"), ("line", "ascending")]
    )
    return [
        Finding(
            row["claim_id"],
            row["line"],
            row["rule"],
            row["status"],
            row["message"],
            row["ref"],
            row["vintage"],
        )
        for row in ordered.select(
            ["claim_id", "line", "rule", "status", "message", "ref", "vintage"]
        ).to_pylist()
    ]


class ColumnarFindings:
    def __init__(
        self,
        batch: LineTables,
        counted: Counted,
        findings: list[Finding],
        vintages: list[str],
        only_problems: bool,
    ) -> None:
        self.batch = batch
        self.counted = counted
        every = findings + batch.errors
        self.findings = (
            [f for f in every if f.status in PROBLEM_STATUSES] if only_problems else every
        )
        self.vintages = vintages

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def row(self, finding: Finding) -> dict[str, Any]:
        """A finding as the JSON output gives it (as `FindingStream.row`)."""
        return finding.as_dict()

    def label(self, finding: Finding) -> str:
        """No place in a file beyond the claim id (CSV, JSON Lines, Parquet input)."""
        return ""

    def summary(self) -> dict[str, Any]:
        counted = self.counted
        by_status = Counter(f.status for f in self.findings)
        by_rule: dict[str, dict[str, int]] = {}
        for (rule, status), n in sorted(Counter((f.rule, f.status) for f in self.findings).items()):
            by_rule.setdefault(rule, {})[status] = n
        not_checked = list(NOT_CHECKED)
        if counted.patient_claims < counted.count - counted.error_claims:
            not_checked.insert(2, PER_CLAIM)
        if counted.patient_claims and not counted.providers_named:
            not_checked.insert(2, NO_NPI)
        not_checked.append(NO_PRICE)
        checked = counted.count - counted.error_claims
        return {
            "claims": counted.count,
            "lines": counted.lines,
            "rows": counted.rows,
            "claims_with_input_errors": counted.error_claims,
            "rows_in_claims_with_input_errors": counted.error_rows,
            "by_status": dict(by_status),
            "by_rule": by_rule,
            "vintages_used": self.vintages,
            "releases_available": self.vintages,
            "across_claims": {
                "claims_checked_with_their_patient": counted.patient_claims,
                "claims_checked_alone": checked - counted.patient_claims,
                "history_claims_read": self.batch.history_claims,
            },
            "not_checked": not_checked,
        }


def check_columnar(
    claims: Iterable[Claim],
    tables: Path,
    *,
    engine: Engine = "columnar",
    only_problems: bool = False,
    history: Iterable[Claim] = (),
) -> ColumnarFindings:
    counted = Counted(claims)
    batch = from_claims(counted, history)
    if engine == "spark":
        from medref.claims.columnar.spark import SparkChecker

        with SparkChecker.local(tables) as spark:
            found = spark.findings(batch, passes=not only_problems)
            vintages = spark.vintages()
    else:
        from medref.claims.columnar.duck import DuckChecker

        duck = DuckChecker(tables)
        try:
            found = duck.findings(batch, passes=not only_problems)
            vintages = duck.vintages()
        finally:
            duck.close()
    return ColumnarFindings(batch, counted, to_findings(found), vintages, only_problems)

"""The same claims as CSV and as 837 give the same findings.

Every claim fixture file (the examples, the web page's example, tests/data/claims) and a
synthetic batch from the real tables are written as an 837P (practitioner and DME supplier
claims) or an 837I (outpatient hospital claims), read back, and checked against the
knowledge base built from ../shared/cms; the findings must equal those of the CSV, rule by
rule, message by message. Two things an 837 always says and a CSV may not: the patient (the
subscriber loop; a CSV claim without a patient_id is given one of its own, as the 837
writer does, so it is still checked alone) and, on institutional claims, no place of service
(an 837I has none, so their CSV side is checked without it).
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables
from medref.claims.model import Claim, Finding, Setting
from medref.claims.read import read_claims
from medref.claims.synthetic import write_batch
from medref.claims.tables import EditTables
from medref.claims.x12.read837 import Reader837
from medref.claims.x12.write837 import Options, write_837
from medref.kb import KnowledgeBase
from medref.x12.tokens import Delimiters
from medref.x12.write import Writer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = sorted(
    [
        *(REPO / "examples").glob("*.csv"),
        REPO / "src" / "medref" / "web" / "static" / "example-claims.csv",
        *(REPO / "tests" / "data" / "claims").glob("*.csv"),
    ]
)
NPIS = ("1245319599", "1000000012", "1000000020", "")

pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> EditTables:
    return edit_tables(kb)


def as_837(claims: list[Claim], setting: Setting, writer: Writer | None = None) -> list[Claim]:
    guide = "837I" if setting == "outpatient" else "837P"
    text = write_837(claims, writer, Options(guide=guide, claims_per_transaction=7))
    return list(Reader837(setting).claims(io.StringIO(text)))


def outcome(findings: Iterable[Finding]) -> list[tuple[object, ...]]:
    return sorted(
        (f.claim_id, f.line or 0, f.rule, f.status, f.ref or "", f.message, f.vintage)
        for f in findings
    )


def compare(
    tables: EditTables,
    claims: list[Claim],
    history: list[Claim] | None = None,
    writer: Writer | None = None,
) -> int:
    """Check the claims of each setting as read and as their 837; returns findings compared."""
    compared = 0
    for setting in ("practitioner", "dme", "outpatient"):
        batch = [c for c in claims if c.setting == setting]
        earlier = [c for c in history or [] if c.setting == setting]
        if not batch:
            continue
        batch, earlier = identified(batch), identified(earlier)
        if setting == "outpatient":
            batch = [blank_places(c) for c in batch]
            earlier = [blank_places(c) for c in earlier]
        expected = outcome(check_claims(batch, tables, history=earlier))
        found = outcome(
            check_claims(as_837(batch, setting, writer), tables, history=as_837(earlier, setting))
        )
        assert found == expected, setting
        compared += len(expected)
    return compared


def identified(claims: list[Claim]) -> list[Claim]:
    """Each claim without a patient id as its own patient's (what its 837 subscriber says)."""
    return [
        c if c.patient_id else dataclasses.replace(c, patient_id=f"CLAIM-{c.order}") for c in claims
    ]


def blank_places(claim: Claim) -> Claim:
    lines = [dataclasses.replace(line, place_of_service="") for line in claim.lines]
    return dataclasses.replace(claim, lines=lines)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_claim_fixture_gives_the_same_findings_as_837(tables: EditTables, path: Path) -> None:
    claims = list(read_claims(path))
    assert claims and all(c.diagnoses and not c.problems for c in claims)
    assert compare(tables, claims) > 0


def test_claims_with_their_history(tables: EditTables) -> None:
    claims = list(read_claims(REPO / "examples" / "claims-across.csv"))
    history = list(read_claims(REPO / "examples" / "history.csv"))
    assert compare(tables, claims, history) > 0


def test_other_delimiters_without_line_breaks(tables: EditTables) -> None:
    claims = list(read_claims(REPO / "tests" / "data" / "claims" / "cases.csv"))
    writer = Writer(Delimiters("|", ">", "!", "'"), line_breaks=False)
    assert compare(tables, claims, writer=writer) > 0


def test_a_synthetic_batch_across_patients_and_providers(
    tables: EditTables, kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Thousands of lines of real PTP pairs, MUE codes and add-ons, spread over patients and
    rendering providers so that the checks across claims come into play."""
    batch = write_batch(kb, tmp_path / "synthetic.csv", 4_000, seed=14)
    rng = random.Random(14)
    claims = list(read_claims(batch.path))
    for at, claim in enumerate(claims):
        claim.patient_id = f"SYN-PT-{at % 53:02d}"
        npi = rng.choice(NPIS)
        claim.lines = [dataclasses.replace(line, rendering_npi=npi) for line in claim.lines]
    assert compare(tables, claims) > 10_000

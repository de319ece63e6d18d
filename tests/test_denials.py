"""`medref denials`: an 835 with a denial of each CARC the claim rules can re-check, each
explained with the right rule and reference, on the knowledge base built from ../shared/cms.

examples/remittance.835 was written for these tests from the 835 guide's published loop
structure; it pays and denies the claims of examples/denied-claims.csv, whose codes come from
the real tables (PTP pairs 93000/93010 indicator 1 and 29881/29877 indicator 0, MUE J1100 120
MAI 3 and G0439 1 MAI 2, PFS 99213 PC/TC indicator 0, ICD-10-CM header E11)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from medref.claims.read import read_claims
from medref.claims.x12.write837 import write_837
from medref.cli import cli
from medref.kb import KnowledgeBase
from medref.services.denials import denials_file
from medref.services.resources import Resources
from medref.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REMITTANCE = EXAMPLES / "remittance.835"
CLAIMS = EXAMPLES / "denied-claims.csv"

EXPECTED = {
    ("D-97", 2, "97"): ("reproduced", "ptp", "PTP:93000/93010"),
    ("D-236", 2, "236"): ("reproduced", "ptp", "PTP:29881/29877"),
    ("D-97N", 2, "97"): ("not_reproduced", "ptp", "PTP:93000/93010"),
    ("D-151", 1, "151"): ("reproduced", "mue", "MUE:J1100"),
    ("D-119", 1, "119"): ("reproduced", "mue", "MUE:G0439"),
    ("D-4", 1, "4"): ("reproduced", "modifiers", "PFS:99213"),
    ("D-11", 1, "11"): ("reproduced", "code_validity", "ICD10CM:E11"),
    ("D-167", 1, "167"): ("not_reproduced", "code_validity", "ICD10CM:I10"),
    ("D-50", 1, "50"): ("review", None, "NCD:240.4"),
    ("D-18B", 1, "18"): ("reproduced", "duplicate", "IOM:100-04/23/20.9.1.1"),
    ("D-97", 1, "45"): ("not_checked", None, None),
    ("D-97", 1, "2"): ("not_checked", None, None),
    ("D-97N", 1, "45"): ("not_checked", None, None),
    ("D-18A", 1, "45"): ("not_checked", None, None),
}

pytestmark = pytest.mark.kb


def run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"MEDREF_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def res(kb: KnowledgeBase, kb_settings: Settings) -> Resources:
    """One process's resources: the claim tables load once for the module."""
    return Resources(kb_settings)


def denials(
    res: Resources, claims: Path | None = None, remittance: Path = REMITTANCE
) -> dict[str, Any]:
    return denials_file(res, remittance, claims)


def verdicts(result: dict[str, Any]) -> dict[tuple[str, int | None, str], tuple[Any, ...]]:
    return {
        (row["claim_id"], row["line"], row["carc"]): (row["verdict"], row["rule"], row["ref"])
        for row in result["denials"]
    }


def test_each_carc_is_explained_with_its_rule_and_reference(res: Resources) -> None:
    result = denials(res, CLAIMS)
    assert verdicts(result) == EXPECTED
    rows = {(r["claim_id"], r["carc"]): r for r in result["denials"]}
    assert "modifier indicator 1" in rows[("D-97", "97")]["fix"]
    assert "modifier indicator 0" in rows[("D-236", "236")]["fix"]
    assert "bypassed by modifier XU" in rows[("D-97N", "97")]["evidence"]
    assert rows[("D-151", "151")]["fix"].startswith("MAI 3, 120 units per day")
    assert rows[("D-119", "119")]["fix"].startswith("MAI 2, 1 units per day")
    assert rows[("D-97", "97")]["rarcs"] == [
        {"code": "N20", "meaning": "the service is not paid with another service on the same date"}
    ]
    assert rows[("D-97", "97")]["group_meaning"].startswith("contractual obligation")
    assert (
        rows[("D-18B", "18")]["evidence"].endswith("(76, 77, 91, 59/X{EPSU}, anatomic)")
        and "claim D-18A line 1" in rows[("D-18B", "18")]["evidence"]
    )
    assert rows[("D-97", "97")]["place"] == {
        "interchange": "000003001",
        "group": "3001",
        "transaction": "0001",
        "clp01": "D-97",
        "clp_segment": 18,
        "payer_claim_number": "ICN0001",
        "svc": 2,
        "svc_segment": 27,
    }
    summary = result["summary"]
    assert (summary["claims"], summary["service_lines"], summary["adjustments"]) == (11, 14, 14)
    assert summary["x12"]["problems"] == []


def test_the_835_alone_reproduces_what_needs_no_diagnosis(res: Resources) -> None:
    found = verdicts(denials(res))
    expected = dict(EXPECTED)
    expected[("D-11", 1, "11")] = ("no_data", "code_validity", None)
    expected[("D-167", 1, "167")] = ("no_data", "code_validity", None)
    assert found == expected


def test_the_claims_as_an_837_match_by_line_item_control_number(
    res: Resources, tmp_path: Path
) -> None:
    sent = tmp_path / "claims.837"
    sent.write_text(write_837(read_claims(CLAIMS)))
    assert "REF*6R*D-97-2~" in sent.read_text()
    assert verdicts(denials(res, sent)) == EXPECTED


def test_text_json_and_csv_outputs(kb: KnowledgeBase, kb_settings: Settings) -> None:
    text = run(kb_settings, "denials", str(REMITTANCE), "--claims", str(CLAIMS))
    assert (
        "claim D-97 (payer claim ICN0001; ISA 000003001 / GS 3001 / ST 0001, CLP at segment 18)"
        in text
    )
    assert "REPRODUCED by ptp [PTP:93000/93010]" in text
    assert "11 claims, 14 service lines read; 13 lines adjusted, 14 adjustments" in text
    rows = list(
        csv.DictReader(io.StringIO(run(kb_settings, "denials", str(REMITTANCE), "--format", "csv")))
    )
    assert len(rows) == 14
    assert (
        rows[2]["carc"] == "97"
        and rows[2]["ref"] == "PTP:93000/93010"
        and rows[2]["svc_segment"] == "27"
    )


def test_a_broken_835_is_reported_and_nothing_is_dropped(res: Resources, tmp_path: Path) -> None:
    broken = tmp_path / "broken.835"
    broken.write_text(REMITTANCE.read_text().replace("SE*104*0001", "SE*103*0001"))
    result = denials(res, remittance=broken)
    rows = result["denials"]
    assert len(rows) == 14 and all(row["verdict"] in ("no_data", "not_checked") for row in rows)
    denied = next(row for row in rows if row["carc"] == "97")
    assert denied["evidence"] == (
        "not re-checked: transaction 0001 is not read: segment 106 (SE): SE01 says 103 segments, "
        "transaction 0001 has 104 (ST to SE): segments may be missing or added"
    )

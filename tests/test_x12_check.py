"""`medref check` on 837 files: found by content, each finding with its place in the file,
every claim and line read accounted for, on the knowledge base built from ../shared/cms."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from medref.cli import cli
from medref.kb import KnowledgeBase
from medref.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "x12"

pytestmark = pytest.mark.kb


def run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"MEDREF_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return result.output


def check_json(
    settings: Settings, path: Path, *args: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    *findings, last = [
        json.loads(row) for row in run(settings, "check", str(path), "--json", *args).splitlines()
    ]
    return findings, last["summary"]


def test_an_837_is_found_by_its_content_and_every_finding_has_its_place(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    named = tmp_path / "batch.txt"  # not named .837: the content decides
    shutil.copy(DATA / "professional.837", named)
    findings, summary = check_json(kb_settings, named)
    assert findings and all("place" in f for f in findings)
    ptp = next(
        f for f in findings if f["claim_id"] == "PCN-1003" and f["rule"] == "ptp" and f["line"] == 2
    )
    assert ptp["status"] == "fail" and ptp["ref"] == "PTP:93000/93010"
    assert ptp["place"] == {
        "interchange": "000001001",
        "group": "1001",
        "transaction": "1001",
        "guide": "837P",
        "clm01": "PCN-1003",
        "clm_segment": 81,
        "lx": 2,
        "lx_segment": 86,
    }
    mue = next(
        f for f in findings if f["claim_id"] == "PCN-1002" and f["rule"] == "mue" and f["line"] == 1
    )
    assert mue["status"] == "fail" and mue["ref"] == "MUE:J1100"
    # counts in = counts out
    x12 = summary["x12"]
    assert (x12["claims"], x12["service_lines"], x12["transaction_sets"]) == (5, 9, 3)
    assert summary["claims"] == x12["claims"]
    assert summary["rows"] == x12["service_lines"] - x12["revenue_code_only_lines"]
    # the RD8 range of PCN-1002 line 2 is said, not hidden
    assert x12["lines_with_date_ranges"] == 1
    assert any(item.startswith("date ranges: 1 lines") for item in summary["not_checked"])


def test_only_problems_and_broken_claims_keep_their_place(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    text = (DATA / "institutional.837").read_text()
    path = tmp_path / "claims.edi"
    path.write_text(text)
    findings, summary = check_json(kb_settings, path, "--only-problems")
    assert all("place" in f for f in findings)
    inpatient = [f for f in findings if f["claim_id"] == "HOSP-1002"]
    assert [f["status"] for f in inpatient] == ["error"]
    assert inpatient[0]["place"]["clm_segment"] == 47
    duplicate = [f for f in findings if f["rule"] == "duplicate"]
    assert [(f["line"], f["status"], f["place"]["lx_segment"]) for f in duplicate] == [
        (5, "fail", 44)
    ]
    assert summary["x12"]["revenue_code_only_lines"] == 2
    assert summary["claims_with_input_errors"] == 1


def test_the_text_report_names_the_place_and_the_envelope_problems(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "claims.837"
    path.write_text((DATA / "professional.837").read_text().replace("GE*2*1001", "GE*3*1001"))
    out = run(kb_settings, "check", str(path), "--only-problems")
    assert "claim PCN-1003 (837P ISA 000001001 / GS 1001 / ST 1001, CLM at segment 81)" in out
    assert (
        "ERROR segment 111 (GE): GE01 says 3 transaction sets, group 1001 holds 2: a "
        "transaction set may be missing"
    ) in out
    assert "5 claims (CLM) and 9 service lines (LX) read" in out


def test_the_benchmark_reads_the_same_claims_both_ways(kb: KnowledgeBase, tmp_path: Path) -> None:
    """`medref bench x12` on a small batch: the 837P and the CSV with patient ids agree."""
    from medref.claims.x12.benchmark import bench_x12

    saved = tmp_path / "volume.837"
    report = bench_x12(kb, 2_000, seed=3, workdir=tmp_path, save=saved)
    assert report.same_verdicts
    assert report.x12.lines == report.csv.lines == report.parse_only.lines == report.lines
    assert report.x12.findings == report.csv_patients.findings
    assert saved.read_text().startswith("ISA*")

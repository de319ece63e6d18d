"""`medref check` and `medref bench check` on the knowledge base built from ../shared/cms:
the example file, JSON Lines output, streaming past bad claims, and the baseline agreeing
with the in-memory tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from medref.claims.benchmark import bench_check
from medref.cli import cli
from medref.kb import KnowledgeBase
from medref.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "claims.csv"

pytestmark = pytest.mark.kb


def run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"MEDREF_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def example_findings(kb: KnowledgeBase, kb_settings: Settings) -> list[dict[str, Any]]:
    lines = run(kb_settings, "check", str(EXAMPLE), "--json").splitlines()
    return [json.loads(line) for line in lines]


def verdicts(found: list[dict[str, Any]], claim_id: str, rule: str) -> set[tuple[Any, ...]]:
    return {
        (f["line"], f["status"], f["ref"])
        for f in found
        if f.get("claim_id") == claim_id and f["rule"] == rule
    }


def test_json_lines_carry_the_fields_and_end_with_a_summary(
    example_findings: list[dict[str, Any]],
) -> None:
    *findings, last = example_findings
    for finding in findings:
        assert {"claim_id", "line", "rule", "status", "ref", "message", "vintage"} <= set(finding)
    summary = last["summary"]
    assert summary["claims"] == 10 and summary["lines"] == 19
    assert "NCCI PTP practitioner 2024-07 (2024-07-01..2024-09-30)" in summary["vintages_used"]
    assert any("CPT code existence" in item for item in summary["not_checked"])
    assert sum(summary["by_status"].values()) == len(findings)


def test_the_example_claims_get_their_verdicts(example_findings: list[dict[str, Any]]) -> None:
    found = example_findings
    assert (1, "bypassed", "PTP:20610/99214") in verdicts(found, "CLM-1001", "ptp")
    assert (2, "fail", "PTP:93000/93010") in verdicts(found, "CLM-1002", "ptp")
    assert (2, "fail", "PTP:29881/29877") in verdicts(found, "CLM-1003", "ptp")
    assert (1, "fail", "MUE:J1100") in verdicts(found, "CLM-1004", "mue")
    assert (2, "pass", "AOC:99215/G2212") in verdicts(found, "CLM-1005", "add_on")
    assert (2, "fail", "AOC:99205/G2212") in verdicts(found, "CLM-1006", "add_on")
    outpatient = [f for f in found if f.get("claim_id") == "CLM-1007" and f["rule"] == "ptp"]
    assert {f["vintage"] for f in outpatient} == {"NCCI PTP outpatient 2024-07"}
    assert (2, "fail", "IOM:100-04/12/30.6.6") in verdicts(found, "CLM-1008", "global_surgery")
    assert (None, "fail", "ICD10CM:E11") in verdicts(found, "CLM-1009", "code_validity")
    assert (2, "fail", "POS:30") in verdicts(found, "CLM-1009", "place_of_service")
    assert (1, "pass", "HCPCS:G0439") in verdicts(found, "CLM-1010", "code_validity")
    assert (None, "pass", "ICD10CM:Z00.00") in verdicts(found, "CLM-1010", "code_validity")
    assert {s for _, s, _ in verdicts(found, "CLM-1010", "ptp")} == {"no_data"}


def test_text_report_only_problems(kb: KnowledgeBase, kb_settings: Settings) -> None:
    output = run(kb_settings, "check", str(EXAMPLE), "--only-problems")
    assert "claim CLM-1002" in output and "claim CLM-1001" not in output
    statuses = {row.split()[2] for row in output.splitlines() if row.startswith("  line ")}
    assert statuses == {"FAIL"}
    assert "Data used:" in output and "Not checked:" in output


def test_a_bad_claim_does_not_stop_the_file(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "claims.json"
    good = {"date_of_service": "2024-08-15", "code": "93010", "units": 1, "place_of_service": "11"}
    path.write_text(
        json.dumps(
            [
                {"claim_id": "BAD", "lines": [{**good, "units": -1, "modifiers": ["25"] * 5}]},
                {"claim_id": "GOOD", "lines": [{**good, "code": "93000"}, {**good, "line": 2}]},
            ]
        )
    )
    found = [
        json.loads(line) for line in run(kb_settings, "check", str(path), "--json").splitlines()
    ]
    errors = [f for f in found if f.get("claim_id") == "BAD"]
    assert {f["status"] for f in errors} == {"error"} and len(errors) == 2
    assert any("5 modifiers" in f["message"] for f in errors)
    assert (2, "fail", "PTP:93000/93010") in verdicts(found, "GOOD", "ptp")


def test_setting_option_dme(kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "dme.csv"
    path.write_text(
        "claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses\n"
        "D1,1,2024-08-15,93000,,1,12,I10\nD1,2,2024-08-15,93010,,1,12,I10\n"
    )
    output = run(kb_settings, "check", str(path), "--setting", "dme", "--json").splitlines()
    found = [json.loads(line) for line in output[:-1]]
    assert verdicts(found, "D1", "ptp") == {
        (1, "no_data", "IOM:100-04/23/20.9"),
        (2, "no_data", "IOM:100-04/23/20.9"),
    }
    assert {f["vintage"] for f in found if f["rule"] == "mue"} == {"NCCI MUE dme 2024-07"}
    assert any("NCCI MUE dme" in v for v in json.loads(output[-1])["summary"]["vintages_used"])


def test_bench_baseline_agrees_with_the_in_memory_tables(kb: KnowledgeBase) -> None:
    report = bench_check(kb, lines=3_000, sample=600)
    assert report.lines >= 3_000 and report.streaming.lines == report.lines
    assert report.same_findings
    assert (
        report.baseline.lines >= 600 and report.baseline.findings == report.baseline_fast.findings
    )
    assert report.streaming.by_status.get("fail", 0) > 0
    assert report.streaming.by_status.get("bypassed", 0) > 0
    assert "pass" not in report.problems_only.by_status


def test_bench_command_prints_json(kb: KnowledgeBase, kb_settings: Settings) -> None:
    output = run(kb_settings, "bench", "check", "--lines", "1500", "--sample", "200", "--json")
    report = json.loads(output)
    assert report["same_findings"] is True
    assert report["streaming"]["lines_per_second"] > 0


def test_bench_engines_runs_each_engine_as_its_own_process(kb_settings: Settings) -> None:
    """`--engine` runs `medref check --engine E` per engine on one batch (the stream engine
    first, whatever the order asked), measured from outside, every finding compared."""
    output = run(
        kb_settings,
        "bench",
        "check",
        "--lines",
        "2000",
        "--engine",
        "columnar",
        "--engine",
        "stream",
        "--json",
    )
    report = json.loads(output)
    stream, columnar = report["runs"]
    assert (stream["engine"], columnar["engine"]) == ("stream", "columnar")
    assert stream["differ"] is None and columnar["differ"] == 0
    assert columnar["findings"] == stream["findings"] > report["lines"]
    for one in (stream, columnar):
        assert one["lines"] == report["lines"] and one["seconds"] > 0
        assert one["cpu_seconds"] > 0 and one["peak_rss_kb"] > 50_000  # a Python process
    assert report["columnar_over_stream"] > 0 and report["spark_2_over_1_workers"] is None
    floor = report["io_floor"]  # reading the batch and writing the stream engine's findings
    assert floor["findings"] == stream["findings"]
    assert floor["read_seconds"] > 0 and floor["write_seconds"] > 0
    spent = floor["read_seconds"] + floor["write_seconds"]
    assert floor["lines_per_second"] == round(report["lines"] / spent)


def test_bench_engines_counts_findings_that_differ_both_ways(tmp_path: Path) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from medref.claims.columnar.benchmark import COMPARED, differing

    row = {name: "x" for name in COMPARED.split(", ")}
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    pq.write_table(pa.Table.from_pylist([row, row, {**row, "status": "pass"}]), one)
    pq.write_table(pa.Table.from_pylist([row, {**row, "status": "fail"}]), two)
    # one has a second copy of `row` and a pass; two has a fail: three unmatched findings
    assert differing(duckdb.connect(), one, two) == 3
    assert differing(duckdb.connect(), one, one) == 0


def test_a_failed_engine_run_is_an_error_with_the_end_of_its_output(tmp_path: Path) -> None:
    import sys

    from medref.claims.columnar.benchmark import measured
    from medref.errors import MedrefError

    script = "import sys; print('the JVM could not start'); sys.exit(3)"
    with pytest.raises(MedrefError, match=r"status 3(.|\n)*the JVM could not start"):
        measured([sys.executable, "-c", script], tmp_path / "run.log")
    seconds, _, peak = measured([sys.executable, "-c", "print(1)"], tmp_path / "ok.log")
    assert seconds > 0 and peak > 0

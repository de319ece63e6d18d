"""`medref code` over the knowledge base built from ../shared/cms; expectations come from
the real files, read here directly."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from medref.cli import cli
from medref.codes.descriptors import load_descriptors
from medref.errors import InputError, SourceFormatError
from medref.kb import KnowledgeBase
from medref.lookup.diff import diff
from medref.lookup.explain import explain
from medref.settings import Settings

pytestmark = pytest.mark.kb


def run(settings: Settings, *args: str, **env: str) -> Any:
    environment = {"MEDREF_HOME": str(settings.home), "MEDREF_SOURCES": str(settings.sources)}
    result = CliRunner().invoke(cli, ["code", *args], env={**environment, **env})
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


def csv_row(path: Path, column: str, value: str) -> dict[str, str]:
    with path.open(newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row[column] == value)


def pfs_row(cms_dir: Path, code: str) -> list[str]:
    path = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    with path.open(encoding="cp1252", newline="") as handle:
        return next(row for row in csv.reader(handle) if row[:2] == [code, ""])


def test_hcpcs_card(kb: KnowledgeBase, kb_settings: Settings, cms_dir: Path) -> None:
    card = run(kb_settings, "G0439", "--json")
    assert (card["system"], card["ref"], card["valid"]) == ("hcpcs-level-2", "HCPCS:G0439", True)
    assert card["category"].startswith("Procedures and professional services")
    assert card["record"]["ref"] == "HCPCS:G0439" and card["record"]["title"]
    mue_file = cms_dir / "ncci" / "2024-07" / "ncci_mue_practitioner_2024-07-01.csv"
    row = csv_row(mue_file, "hcpcs_code", "G0439")
    practitioner = next(m for m in card["mue"] if m["setting"] == "practitioner")
    assert (
        (practitioner["units"], practitioner["mai"])
        == (int(row["mue_units"]), int(row["mue_mai"]))
        == (1, 2)
    )
    assert (
        "per day" in practitioner["mai_meaning"] or "date of service" in practitioner["mai_meaning"]
    )
    rvu = pfs_row(cms_dir, "G0439")
    indicators = {i["field"]: i for i in card["pfs"][0]["indicators"]}
    assert indicators["status_code"]["value"] == rvu[3]
    assert indicators["glob_days"]["value"] == rvu[14]
    assert all(i["meaning"] for i in indicators.values())


def test_ptp_counts_match_the_store(kb: KnowledgeBase) -> None:
    card = explain(kb, "G0439")
    rows = [r for r in kb.ptp_as_column1("G0439") if r.setting == "practitioner"]
    side = card.ptp["practitioner"]["as_column_1"]
    assert side["rows"] == len(rows)
    assert side["active"] == sum(r.deleted is None for r in rows)
    on = date(2024, 8, 1)
    dated = explain(kb, "G0439", on).ptp["practitioner"]["as_column_1"]
    assert dated["active"] == sum(r.active_on(on) for r in rows)
    assert all(p["ref"].startswith("PTP:G0439/") for p in side["top_pairs"])


def test_icd_header_lists_children(kb_settings: Settings, cms_dir: Path) -> None:
    card = run(kb_settings, "E11", "--json")
    assert (card["system"], card["valid"], card["icd"]["billable"]) == ("icd-10-cm", False, False)
    code_list = cms_dir / "icd10cm" / "2026-04" / "code-list-April-2026.txt"
    expected = sorted(
        f"E11.{line[3]}"
        for line in code_list.read_text().split()
        if line.startswith("E11") and len(line) == 4
    )
    assert sorted(card["icd"]["children"]) == expected
    assert "not billable" in card["validity"]
    assert card["billable"] is False and card["children"] == card["icd"]["children"]


def hcpcs_added_recently(cms_dir: Path) -> tuple[str, date]:
    path = next((cms_dir / "hcpcs" / "2026-01").glob("HCPC*_ANWEB_*.txt"))
    with path.open(encoding="cp1252") as handle:
        for line in handle:
            added = line[268:276]
            if line[10] == "3" and added >= "20250101":
                return line[:5], date(int(added[:4]), int(added[4:6]), int(added[6:]))
    raise AssertionError("no code added since 2025 in the HCPCS file")


def test_hcpcs_date_of_service_before_the_code_existed(
    kb_settings: Settings, cms_dir: Path
) -> None:
    code, added = hcpcs_added_recently(cms_dir)
    before = run(kb_settings, code, "--date-of-service", str(added - timedelta(days=1)), "--json")
    assert before["valid"] is False and "not valid" in before["validity"]
    on_the_day = run(kb_settings, code, "--date-of-service", str(added), "--json")
    assert on_the_day["valid"] is True


def icd_code_sets(cms_dir: Path) -> tuple[set[str], set[str]]:
    with (cms_dir / "icd10cm" / "2025" / "icd10cm_2025_codes.csv").open() as handle:
        fy2025 = {row["code_dot"] for row in csv.DictReader(handle)}
    text = (cms_dir / "icd10cm" / "2026-04" / "code-list-April-2026.txt").read_text()
    april = {
        line if len(line) == 3 else f"{line[:3]}.{line[3:]}"
        for line in text.split()
        if not line.isdigit() and "-" not in line
    }
    return fy2025, april


def test_icd_release_chosen_by_date_of_service(kb_settings: Settings, cms_dir: Path) -> None:
    fy2025, april = icd_code_sets(cms_dir)
    new_code = min(april - fy2025)
    old = run(kb_settings, new_code, "-d", "2025-01-15", "--json")
    assert (old["valid"], old["release"]) == (False, "2025")
    assert "icd10cm@2025" in old["releases"]
    new = run(kb_settings, new_code, "-d", "2026-04-15", "--json")
    assert new["release"] == "2026-04" and new["valid"] is not False
    gone = min(fy2025 - april)
    assert run(kb_settings, gone, "-d", "2026-04-15", "--json")["valid"] is False
    # October 2025 - March 2026 (FY2026 before April) is not loaded: unknown, not a guess
    assert run(kb_settings, "E11.9", "-d", "2025-12-01", "--json")["valid"] is None


def test_modifier_and_place_of_service(kb_settings: Settings) -> None:
    modifier = run(kb_settings, "25", "--json")
    assert (modifier["system"], modifier["ref"], modifier["valid"]) == ("modifier", "MOD:25", True)
    assert "ncci_associated" in modifier["modifier"]["flags"]
    assert modifier["other_readings"] == [
        {"system": "place-of-service", "ref": "POS:25", "known": True}
    ]
    office = run(kb_settings, "11", "--json")
    assert (office["system"], office["ref"], office["valid"]) == (
        "place-of-service",
        "POS:11",
        True,
    )
    level_two = run(kb_settings, "XU", "--json")
    assert level_two["record"]["source"] == "hcpcs-modifiers"


def test_cpt_code_never_shows_a_descriptor_without_a_licence(
    kb_settings: Settings, tmp_path: Path
) -> None:
    plain = run(kb_settings, "99213-25", "--json")
    assert (plain["system"], plain["ref"], plain["modifiers"]) == (
        "cpt-category-1",
        "CPT:99213",
        ["25"],
    )
    assert plain["descriptor"] is None and plain["record"] is None
    licensed = tmp_path / "cpt.tsv"
    licensed.write_text("# made-up text for a test\n99213\tInvented words for testing only\n")
    card = run(kb_settings, "99213", "--json", MEDREF_CPT_DESCRIPTORS=str(licensed))
    assert card["descriptor"] == "Invented words for testing only"
    text = run(kb_settings, "99213", MEDREF_CPT_DESCRIPTORS=str(licensed))
    assert "Invented words for testing only" in text


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("99213 no tab here\n", 1, "without a tab"),
        ("99213\tone\n\n99213\ttwo\n", 3, "listed twice"),
        ("G0439\tnot a CPT code\n", 1, "not a CPT code"),
    ],
)
def test_descriptor_file_errors(tmp_path: Path, content: str, line: int, problem: str) -> None:
    path = tmp_path / "cpt.tsv"
    path.write_text(content)
    with pytest.raises(SourceFormatError, match=problem) as caught:
        load_descriptors(path)
    assert caught.value.line == line


def test_mentions_really_mention_the_code(kb: KnowledgeBase) -> None:
    card = explain(kb, "G0439")
    assert any(m["ref"].startswith("IOM:") for m in card.mentions)
    for mention in card.mentions:
        record = kb.get(mention["ref"])
        assert record is not None and "G0439" in record.text


def test_text_card_reads_well(kb_settings: Settings) -> None:
    text = run(kb_settings, "G0439", "-d", "2024-08-01")
    assert text.startswith("G0439  hcpcs-level-2  [HCPCS:G0439]")
    assert "MUE practitioner (release 2024-07): 1 unit, MAI 2" in text


def test_icd_diff_between_releases(kb: KnowledgeBase, cms_dir: Path) -> None:
    fy2025, april = icd_code_sets(cms_dir)
    result = diff(kb, "icd10cm", "2025", "2026-04")
    assert {row["code"] for row in result.added} == april - fy2025
    assert {row["code"] for row in result.deleted} == fy2025 - april
    assert all(change.fields for change in result.changed)
    with pytest.raises(InputError, match="not loaded"):
        diff(kb, "icd10cm", "2025", "2031")


def test_diff_cli_names_the_source(kb_settings: Settings) -> None:
    data = run(kb_settings, "--diff", "2026-01", "2026-01", "--source", "hcpcs", "--json")
    assert (data["added"], data["deleted"], data["changed"]) == ([], [], [])


def test_cli_errors_are_one_line(kb_settings: Settings) -> None:
    environment = {"MEDREF_HOME": str(kb_settings.home)}
    for args, message in (
        (["9921"], "error: 9921 is not a code: CPT codes have 5 characters"),
        ([], "give a code"),
        (["G0439", "--diff", "2025", "2026-04"], "not both"),
    ):
        result = CliRunner().invoke(cli, ["code", *args], env=environment)
        assert result.exit_code == 2 and message in result.output, result.output


def test_help_ends_with_an_example() -> None:
    output = CliRunner().invoke(cli, ["code", "--help"]).output
    assert "Example: medref code G0439" in " ".join(output.split()[-16:])


def test_bench_code_times_every_sample_code(kb_settings: Settings) -> None:
    env = {"MEDREF_HOME": str(kb_settings.home), "MEDREF_SOURCES": str(kb_settings.sources)}
    result = CliRunner().invoke(cli, ["bench", "code", "--repeat", "1", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["overall"]["lookups"] == len(report["by_code"]) == 17


def hcpcs_terminated_but_priced(cms_dir: Path) -> tuple[str, date]:
    """A Level II code the 2026 HCPCS file ends before 2026 that the 2025 fee schedule
    still prices: its row belongs to a period when the code was in use."""
    path = next((cms_dir / "hcpcs" / "2026-01").glob("HCPC*_ANWEB_*.txt"))
    rvu = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    with rvu.open(encoding="cp1252", newline="") as handle:
        priced = {row[0] for row in csv.reader(handle) if row and row[1] == ""}
    with path.open(encoding="cp1252") as handle:
        for line in handle:
            ended = line[284:292].strip()
            in_2025 = ended and "20250101" <= ended < "20260101"
            if line[10] == "3" and in_2025 and line[:5] in priced:
                return line[:5], date(int(ended[:4]), int(ended[4:6]), int(ended[6:]))
    raise AssertionError("no code terminated in 2025 with a 2025 fee schedule row")


def test_a_code_not_valid_shows_no_fee_schedule_row_as_applying(
    kb_settings: Settings, cms_dir: Path
) -> None:
    code, ended = hcpcs_terminated_but_priced(cms_dir)
    card = run(kb_settings, code, "--json")
    assert card["valid"] is False and "terminated" in card["validity"]
    assert card["pfs"], "the 2025 fee schedule row is still shown, marked"
    for row in card["pfs"]:
        assert row["applies"] is False and row["does_not_apply_because"] == card["validity"]
    text = run(kb_settings, code)
    assert f"fee schedule PFS:{code} (release 2025-01) does NOT apply: " in text
    # on a date the code was in use the same row applies
    in_use = run(kb_settings, code, "--date-of-service", str(ended), "--json")
    assert in_use["valid"] is True and all(row["applies"] for row in in_use["pfs"])


def test_cdt_code_is_vouched_for_by_the_fee_schedule_not_refused_by_hcpcs(
    kb_settings: Settings, cms_dir: Path
) -> None:
    """The public HCPCS file leaves the ADA's D codes out: absence there is no verdict. The
    fee schedule row (status R for D0120) says the code exists, and it applies."""
    hcpcs = next((cms_dir / "hcpcs" / "2026-01").glob("HCPC*_ANWEB_*.txt"))
    assert not any(line.startswith("D") for line in hcpcs.open(encoding="cp1252"))
    status = pfs_row(cms_dir, "D0120")[3]
    card = run(kb_settings, "D0120", "--json")
    assert card["valid"] is True and card["release"] == "2025-01"
    assert f"(status {status})" in card["validity"] and "CDT" in card["validity"]
    assert card["pfs"][0]["applies"] is True
    rvu = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    with rvu.open(encoding="cp1252", newline="") as handle:
        priced = {row[0] for row in csv.reader(handle) if row}
    # D9xxx: no ICD-10-CM category reads the same (those stop at D89)
    unpriced = next(f"D{n}" for n in range(9000, 10000) if f"D{n}" not in priced)
    unknown = run(kb_settings, unpriced, "--json")
    assert unknown["valid"] is None and "CDT" in unknown["validity"]


def test_card_names_the_period_of_every_table_and_warns_when_they_differ(
    kb_settings: Settings,
) -> None:
    """2026 HCPCS, the 2025 fee schedule and the July 2024 NCCI quarter govern no date of
    service in common: the card says so and names each release and its dates."""
    card = run(kb_settings, "G0439", "--json")
    periods = {p["source"]: p for p in card["periods"]}
    assert periods["hcpcs"]["covers"] == "2026-01-01 onward"
    assert periods["pfs"]["covers"] == "2025-01-01 onward"
    assert periods["ncci-ptp-practitioner"]["covers"] == "2024-07-01 to 2024-09-30"
    warning = card["mixed_periods"]
    for named in (
        "HCPCS Level II 2026-01 (2026-01-01 onward)",
        "physician fee schedule 2025-01 (2025-01-01 onward)",
        "NCCI add-on code edits 2024-07 (2024-07-01 to 2024-09-30)",
    ):
        assert named in warning
    text = run(kb_settings, "G0439")
    assert f"warning: {warning}" in text
    assert "MUE practitioner (release 2024-07)" in text
    assert "PTP practitioner (release 2024-07) as column 1" in text
    assert "primary for add-on codes (NCCI release 2024-07)" in text
    # one table, or tables of one period: nothing to warn about
    assert run(kb_settings, "E11.9", "--json")["mixed_periods"] is None
    in_quarter = run(kb_settings, "99213", "-d", "2024-08-01", "--json")
    assert in_quarter["mixed_periods"] is None
    assert all(p["effective"] <= "2024-08-01" for p in in_quarter["periods"])
    # a date no loaded HCPCS release governs: the record read says which period it is from
    dated = run(kb_settings, "G0439", "-d", "2025-06-01", "--json")
    assert "not all of which govern 2025-06-01" in dated["mixed_periods"]
    assert "HCPCS Level II 2026-01" in dated["mixed_periods"]

"""Each claim-check rule against the knowledge base built from the real CMS files.

Codes come from the real tables: PTP pairs are picked, or confirmed, by reading the NCCI file
itself; MUE codes, add-on codes and PFS indicators by reading their CSVs. Dates follow the
data: NCCI covers 2024-07-01..2024-09-30, PFS 2025 from 2025-01-01, ICD-10-CM FY2025
2024-10-01..2025-09-30, HCPCS 2026-01 from 2026-01-01.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from medref.claims import check_claims, edit_tables
from medref.claims.model import Claim, ClaimLine, Finding, Setting
from medref.claims.rules import all_rules, ptp
from medref.claims.tables import EditTables
from medref.kb import KnowledgeBase
from medref.sources.pfs import read_rvu_rows

NCCI_DAY = date(2024, 8, 15)
PFS_DAY = date(2025, 3, 10)
OUTSIDE_NCCI = date(2026, 2, 3)
PtpRows = dict[tuple[str, str], list[tuple[str, str]]]
"""(column 1, column 2) -> [(deletion date, modifier indicator)] as the file has them."""

pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> EditTables:
    return edit_tables(kb)


@pytest.fixture(scope="module")
def ptp_file(cms_dir: Path) -> PtpRows:
    """Rows of the real practitioner PTP file whose column 1 is one of a few codes."""
    wanted = {"93000", "29881", "20610", "99213", "27447"}
    rows: PtpRows = {}
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_ptp_practitioner_*.csv.gz"))
    with gzip.open(path, "rt", newline="") as handle:
        for column1, column2, deleted, indicator, _ in csv.reader(handle):
            if column1 in wanted:
                rows.setdefault((column1, column2), []).append((deleted, indicator))
    return rows


def line(
    number: int,
    code: str,
    modifiers: str = "",
    units: int = 1,
    day: date = NCCI_DAY,
    place: str = "11",
) -> ClaimLine:
    mods = tuple(m for m in modifiers.split("|") if m)
    return ClaimLine(number, day, code, mods, units, place)


def claim(
    *lines: ClaimLine, diagnoses: tuple[str, ...] = (), setting: Setting = "practitioner"
) -> Claim:
    return Claim("T1", setting, diagnoses, list(lines))


def findings(tables: EditTables, item: Claim, rule: str) -> list[Finding]:
    return [f for f in check_claims([item], tables) if f.rule == rule]


def on_line(found: list[Finding], number: int) -> list[Finding]:
    return [f for f in found if f.line == number]


def test_every_rule_names_its_basis_and_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "claims.md").read_text()
    for rule in all_rules():
        assert "IOM" in rule.basis or "CMS" in rule.basis or "HCPCS" in rule.basis, rule.id
        assert f"| `{rule.id}` |" in docs


# -- PTP ----------------------------------------------------------------------------------


def test_the_chosen_pairs_are_what_the_file_says(ptp_file: PtpRows) -> None:
    assert ptp_file[("93000", "93010")] == [("", "1")]
    assert ("", "0") in ptp_file[("29881", "29877")]
    assert ptp_file[("20610", "20605")] == [("1996-01-01", "9")]
    assert ("", "1") in ptp_file[("20610", "99213")]
    assert ("", "1") in ptp_file[("27447", "29880")]


def test_the_associated_modifiers_are_those_the_manual_lists(cms_dir: Path) -> None:
    """IOM 100-04/23/20.9.1.1 as shipped in ../shared/cms names them in one sentence."""
    body = next(
        json.loads(row)["body"]
        for path in sorted((cms_dir / "manuals" / "iom").glob("sections-*.jsonl"))
        for row in path.read_text().splitlines()
        if json.loads(row)["id"] == "pub100-04/ch23/20.9.1.1"
    )
    listed = body.split("NCCI PTP-associated modifiers are the following:")[1].split(" B. ")[0]
    named: set[str] = set()
    for item in re.findall(r"\b[A-Z0-9]{2}(?:-[A-Z0-9]{2})?\b", listed):
        first, _, last = item.partition("-")
        if last:  # E1-E4, F1-F9, T1-T9
            named |= {f"{first[0]}{n}" for n in range(int(first[1]), int(last[1]) + 1)}
        else:
            named.add(first)
    assert named == ptp.ASSOCIATED


def test_active_indicator_1_pair_fails_without_a_modifier(tables: EditTables) -> None:
    found = findings(tables, claim(line(1, "93000"), line(2, "93010")), "ptp")
    (fail,) = on_line(found, 2)
    assert fail.status == "fail" and fail.ref == "PTP:93000/93010"
    assert fail.vintage == "NCCI PTP practitioner 2024-07"
    assert "modifier indicator 1" in fail.message
    assert [f.status for f in on_line(found, 1)] == ["pass"]


@pytest.mark.parametrize("modifier", ["59", "XE", "XS", "XP", "XU", "58", "78", "79"])
def test_associated_modifiers_bypass_an_indicator_1_edit(tables: EditTables, modifier: str) -> None:
    """Modifiers that describe a procedure, on the procedure 93010 (IOM 100-04/23/20.9.1.1)."""
    found = findings(tables, claim(line(1, "93000"), line(2, "93010", modifier)), "ptp")
    (bypassed,) = on_line(found, 2)
    assert bypassed.status == "bypassed" and modifier in bypassed.message


def test_a_modifier_on_the_column_1_line_also_bypasses(tables: EditTables) -> None:
    """IOM 100-04/23/20.9.1.1: 'appended to one of the codes'."""
    found = findings(tables, claim(line(1, "93000", "XU"), line(2, "93010")), "ptp")
    assert on_line(found, 2)[0].status == "bypassed"


@pytest.mark.parametrize(
    "sides", [("RT", "LT"), ("F1", "F2"), ("TA", "T1"), ("LC", "RC"), ("E1", "E3")]
)
def test_different_anatomic_modifiers_bypass(tables: EditTables, sides: tuple[str, str]) -> None:
    found = findings(tables, claim(line(1, "27447", sides[0]), line(2, "29880", sides[1])), "ptp")
    assert on_line(found, 2)[0].status == "bypassed"


def test_the_same_anatomic_modifier_on_both_lines_does_not(tables: EditTables) -> None:
    same = claim(line(1, "27447", "RT"), line(2, "29880", "RT"))
    (fail,) = on_line(findings(tables, same, "ptp"), 2)
    assert fail.status == "fail" and "both lines carry RT" in fail.message
    with_59 = claim(line(1, "27447", "RT"), line(2, "29880", "RT|59"))
    assert on_line(findings(tables, with_59, "ptp"), 2)[0].status == "bypassed"


def test_59_on_an_em_code_counts_as_absent(tables: EditTables) -> None:
    found = findings(tables, claim(line(1, "20610"), line(2, "99213", "59")), "ptp")
    (fail,) = on_line(found, 2)
    assert fail.status == "fail" and "59 on E/M code 99213" in fail.message
    found = findings(tables, claim(line(1, "20610"), line(2, "99213", "25")), "ptp")
    assert on_line(found, 2)[0].status == "bypassed"


def test_non_associated_modifiers_do_not_bypass(tables: EditTables) -> None:
    found = findings(tables, claim(line(1, "93000"), line(2, "93010", "GA|26")), "ptp")
    assert on_line(found, 2)[0].status == "fail"


def test_indicator_0_fails_whatever_the_modifiers(tables: EditTables) -> None:
    found = findings(tables, claim(line(1, "29881", "RT"), line(2, "29877", "LT|59|XS")), "ptp")
    (fail,) = on_line(found, 2)
    assert fail.status == "fail" and "modifier indicator 0" in fail.message
    assert fail.ref == "PTP:29881/29877"


def test_a_pair_deleted_before_the_date_does_not_apply(
    tables: EditTables, ptp_file: PtpRows
) -> None:
    deleted = sorted(
        (pair, rows[0][0])
        for pair, rows in ptp_file.items()
        if all(day and day < "2024-07-01" for day, _ in rows)
        and len(rows) == 1
        and rows[0][1] == "1"
    )
    (column1, column2), day = deleted[0]
    found = findings(tables, claim(line(1, column1), line(2, column2)), "ptp")
    (passed,) = on_line(found, 2)
    assert passed.status == "pass" and f"deleted {day}" in passed.message
    assert passed.ref == f"PTP:{column1}/{column2}"


def test_pairs_on_different_dates_are_not_paired(tables: EditTables) -> None:
    found = findings(
        tables,
        claim(line(1, "93000"), line(2, "93010", day=NCCI_DAY + timedelta(days=1))),
        "ptp",
    )
    assert {f.status for f in found} == {"pass"}


def test_outpatient_claims_use_the_outpatient_table(tables: EditTables, kb: KnowledgeBase) -> None:
    assert [
        r.modifier_indicator
        for r in kb.ptp_pair("99213", "0543T")
        if r.setting == "practitioner" and r.deleted is None
    ] == ["1"]
    assert not [r for r in kb.ptp_pair("99213", "0543T") if r.setting == "outpatient"]
    pair = (line(1, "99213", place="22"), line(2, "0543T", place="22"))
    assert on_line(findings(tables, claim(*pair), "ptp"), 2)[0].status == "fail"
    outpatient = findings(tables, claim(*pair, setting="outpatient"), "ptp")
    assert [f.status for f in on_line(outpatient, 2)] == ["pass"]
    assert on_line(outpatient, 2)[0].vintage == "NCCI PTP outpatient 2024-07"


def test_dates_outside_the_quarter_have_no_data(tables: EditTables) -> None:
    late = claim(line(1, "93000", day=OUTSIDE_NCCI), line(2, "93010", day=OUTSIDE_NCCI))
    found = findings(tables, late, "ptp") + findings(tables, late, "mue")
    assert {f.status for f in found} == {"no_data"}
    assert (
        "NCCI PTP practitioner 2024-07 covers 2024-07-01..2024-09-30; date of service "
        "2026-02-03 is outside it"
    ) in found[0].message


# -- MUE ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mue_codes(cms_dir: Path) -> dict[int, tuple[str, int]]:
    """The first practitioner MUE code of each MAI with a limit of at least 2 units."""
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_mue_practitioner_*.csv"))
    picked: dict[int, tuple[str, int]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            mai, units = int(row["mue_mai"]), int(row["mue_units"])
            if units >= 2:
                picked.setdefault(mai, (row["hcpcs_code"], units))
    return picked


def test_mai_1_limits_each_line(tables: EditTables, mue_codes: dict[int, tuple[str, int]]) -> None:
    code, limit = mue_codes[1]
    found = findings(tables, claim(line(1, code, "RT", limit), line(2, code, "LT", limit)), "mue")
    assert [f.status for f in found] == ["pass", "pass"]
    found = findings(tables, claim(line(1, code, units=limit + 1)), "mue")
    assert found[0].status == "fail" and found[0].ref == f"MUE:{code}"
    assert f"{limit + 1} units" in found[0].message and "MAI 1" in found[0].message


@pytest.mark.parametrize("mai", [2, 3])
def test_mai_2_and_3_sum_the_lines_of_a_date(
    tables: EditTables, mue_codes: dict[int, tuple[str, int]], mai: int
) -> None:
    code, limit = mue_codes[mai]
    over = claim(line(1, code, units=limit), line(2, code, units=1))
    found = findings(tables, over, "mue")
    assert [f.status for f in found] == ["fail", "fail"]
    assert f"= {limit + 1} units" in found[0].message and f"MAI {mai}" in found[0].message
    exact = claim(line(1, code, units=limit - 1), line(2, code, units=1))
    assert [f.status for f in findings(tables, exact, "mue")] == ["pass", "pass"]
    next_day = claim(
        line(1, code, units=limit), line(2, code, units=1, day=NCCI_DAY + timedelta(days=1))
    )
    assert [f.status for f in findings(tables, next_day, "mue")] == ["pass", "pass"]


# -- add-on codes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def add_ons(cms_dir: Path) -> dict[str, tuple[str, str]]:
    """Per edit type, the first (primary, add-on) pair of the real AOC table."""
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_add_on_code_edits_*.csv"))
    picked: dict[str, tuple[str, str]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            picked.setdefault(row["aoc_edit_type"], (row["primary_code"], row["add_on_code"]))
    return picked


def test_type_1_add_on_needs_a_listed_primary(
    tables: EditTables, add_ons: dict[str, tuple[str, str]]
) -> None:
    primary, add_on = add_ons["1"]
    alone = findings(tables, claim(line(1, add_on)), "add_on")
    assert alone[0].status == "fail" and primary in alone[0].message
    assert str(alone[0].ref).startswith("AOC:") and str(alone[0].ref).endswith(f"/{add_on}")
    paired = on_line(findings(tables, claim(line(1, primary), line(2, add_on)), "add_on"), 2)
    assert paired[0].status == "pass" and paired[0].ref == f"AOC:{primary}/{add_on}"


def test_type_2_add_on_passes_with_a_note(
    tables: EditTables, add_ons: dict[str, tuple[str, str]]
) -> None:
    primary, add_on = add_ons["2"]
    assert primary == "CCCCC"
    (found,) = findings(tables, claim(line(1, add_on)), "add_on")
    assert found.status == "pass" and "contractor decides" in found.message
    assert found.ref == f"AOC:CCCCC/{add_on}"


def test_type_3_add_on_without_a_listed_primary_warns_noting_the_mac(
    tables: EditTables, add_ons: dict[str, tuple[str, str]]
) -> None:
    primary, add_on = add_ons["3"]
    (alone,) = findings(tables, claim(line(1, add_on)), "add_on")
    assert alone.status == "warning" and "MAC may accept other primary codes" in alone.message
    paired = on_line(findings(tables, claim(line(1, primary), line(2, add_on)), "add_on"), 2)
    assert paired[0].status == "pass"


# -- modifiers against PFS indicators -------------------------------------------------------


@pytest.fixture(scope="module")
def pfs_rows(cms_dir: Path) -> list[dict[str, object]]:
    path = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    return [row.values for row in read_rvu_rows(path) if not row.values["mod"]]


def pfs_code(rows: list[dict[str, object]], **indicators: object) -> str:
    """The first active code of the real RVU file with these indicator values."""
    for row in rows:
        if row["status_code"] == "A" and all(row[k] == v for k, v in indicators.items()):
            return str(row["hcpcs"])
    raise AssertionError(f"no code with {indicators}")


@pytest.mark.parametrize(
    ("modifier", "allowed", "refused"),
    [
        ("26", {"pctc_ind": 1}, {"pctc_ind": 0}),
        ("TC", {"pctc_ind": 1}, {"pctc_ind": 2}),
        ("50", {"bilat_surg": 1}, {"bilat_surg": 9}),
        ("62", {"co_surg": 2}, {"co_surg": 0}),
        ("66", {"team_surg": 2}, {"team_surg": 0}),
        ("80", {"asst_surg": 2}, {"asst_surg": 1}),
        ("AS", {"asst_surg": 2}, {"asst_surg": 9}),
    ],
)
def test_payment_modifiers_follow_the_pfs_indicators(
    tables: EditTables,
    pfs_rows: list[dict[str, object]],
    modifier: str,
    allowed: dict[str, object],
    refused: dict[str, object],
) -> None:
    good, bad = pfs_code(pfs_rows, **allowed), pfs_code(pfs_rows, **refused)
    (ok,) = findings(tables, claim(line(1, good, modifier, day=PFS_DAY)), "modifiers")
    assert ok.status == "pass" and ok.ref == f"PFS:{good}" and ok.vintage == "PFS 2025-01"
    (no,) = findings(tables, claim(line(1, bad, modifier, day=PFS_DAY)), "modifiers")
    assert no.status == "fail" and f"modifier {modifier} is not allowed" in no.message


@pytest.mark.parametrize(
    ("modifier", "indicators", "words"),
    [
        # RVU file: "0=Payment restriction for assistants at surgery applies to this procedure
        # unless supporting documentation is submitted to establish medical necessity"
        ("80", {"asst_surg": 0}, "paid only with documentation of medical necessity"),
        ("AS", {"asst_surg": 0}, "paid only with documentation of medical necessity"),
        # "1=Co-surgeons could be paid, though supporting documentation is required"
        ("62", {"co_surg": 1}, "documentation that two surgeons were medically necessary"),
        ("66", {"team_surg": 1}, "documentation that a team was medically necessary"),
        # 0 and 2: "base the payment for the two sides on the lower of ... 100% of the fee
        # schedule amount for a single code": paid, with nothing gained by 50
        ("50", {"bilat_surg": 0}, "at most 100% of the single-code amount"),
        ("50", {"bilat_surg": 2}, "at most 100% of the single-code amount"),
    ],
)
def test_payment_modifiers_the_indicator_leaves_to_review_are_warnings(
    tables: EditTables,
    pfs_rows: list[dict[str, object]],
    modifier: str,
    indicators: dict[str, object],
    words: str,
) -> None:
    code = pfs_code(pfs_rows, **indicators)
    (found,) = findings(tables, claim(line(1, code, modifier, day=PFS_DAY)), "modifiers")
    assert found.status == "warning" and found.ref == f"PFS:{code}"
    assert f"modifier {modifier} needs a person's review" in found.message
    assert words in found.message


def test_unknown_modifiers_fail_and_pfs_dates_are_respected(tables: EditTables) -> None:
    in_hcpcs_release = date(2026, 2, 3)
    found = findings(tables, claim(line(1, "99213", "ZQ|48|GA", day=in_hcpcs_release)), "modifiers")
    assert [(f.ref, f.status) for f in found] == [
        ("MOD:ZQ", "fail"),
        ("MOD:48", "fail"),
        ("MOD:GA", "pass"),
    ]
    (before,) = findings(tables, claim(line(1, "99213", "ZQ", day=PFS_DAY)), "modifiers")
    assert before.status == "no_data" and "HCPCS modifiers 2026-01" in before.message
    (early,) = findings(tables, claim(line(1, "71046", "26")), "modifiers")
    assert early.status == "no_data" and "PFS 2025-01 covers 2025-01-01 onward" in early.message


# -- global surgery -------------------------------------------------------------------------


def visit_after(tables: EditTables, surgery: str, modifiers: str, offset: int) -> Finding:
    item = claim(
        line(1, surgery, day=PFS_DAY),
        line(2, "99213", modifiers, day=PFS_DAY + timedelta(days=offset)),
    )
    (found,) = findings(tables, item, "global_surgery")
    return found


def test_global_surgery_modifiers(tables: EditTables, pfs_rows: list[dict[str, object]]) -> None:
    major = pfs_code(pfs_rows, glob_days="090")
    minor = pfs_code(pfs_rows, glob_days="010")
    endoscopy = pfs_code(pfs_rows, glob_days="000")
    assert visit_after(tables, endoscopy, "", 0).status == "fail"
    assert visit_after(tables, endoscopy, "25", 0).status == "pass"
    assert "57 is not used with minor" in visit_after(tables, minor, "57", 0).message
    assert visit_after(tables, minor, "", 10).status == "fail"
    assert visit_after(tables, minor, "", 11).status == "pass"
    assert visit_after(tables, major, "", -1).status == "fail"
    assert visit_after(tables, major, "57", -1).status == "pass"
    assert visit_after(tables, major, "57", 0).status == "pass"
    assert visit_after(tables, major, "", -2).status == "pass"
    post = visit_after(tables, major, "", 30)
    assert post.status == "fail" and post.ref == "IOM:100-04/12/30.6.6"
    assert "postoperative day 30 of 90" in post.message
    assert visit_after(tables, major, "24", 30).status == "pass"
    assert visit_after(tables, major, "", 91).status == "pass"


# -- code validity and place of service --------------------------------------------------------


def test_icd_header_code_fails_with_its_children(tables: EditTables) -> None:
    found = findings(
        tables,
        claim(line(1, "99213", day=PFS_DAY), diagnoses=("E11", "E11.9", "E11.99")),
        "code_validity",
    )
    by_ref = {f.ref: f for f in found if f.line is None}
    header = by_ref["ICD10CM:E11"]
    assert header.status == "fail" and "E11.00" in header.message
    assert header.vintage == "ICD-10-CM 2025"
    assert by_ref["ICD10CM:E11.9"].status == "pass"
    assert by_ref["ICD10CM:E11.99"].status == "fail"


def test_icd_codes_of_a_date_no_release_covers_have_no_data(tables: EditTables) -> None:
    found = findings(tables, claim(line(1, "99213"), diagnoses=("E11.9",)), "code_validity")
    (icd,) = [f for f in found if f.line is None]
    assert icd.status == "no_data" and "2024-08-15 is outside them" in icd.message


def test_hcpcs_codes_by_their_dates(tables: EditTables, kb: KnowledgeBase) -> None:
    new = kb.get("HCPCS:A2036")
    assert new is not None and new.effective == date(2025, 10, 1)

    def verdict(code: str, day: date) -> Finding:
        return findings(tables, claim(line(1, code, day=day)), "code_validity")[0]

    assert verdict("G0439", NCCI_DAY).status == "pass"
    early = verdict("A2036", NCCI_DAY)
    assert early.status == "fail" and "takes effect 2025-10-01" in early.message
    assert verdict("G0000", date(2026, 2, 3)).status == "fail"
    assert verdict("G0000", NCCI_DAY).status == "no_data"
    cpt = verdict("99213", NCCI_DAY)
    assert cpt.status == "pass" and "checked by form only" in cpt.message
    assert verdict("9921X", NCCI_DAY).status == "fail"


def test_place_of_service(tables: EditTables) -> None:
    item = claim(
        line(1, "99213", place="11"),
        line(2, "99213", place="30"),
        line(3, "99213", place="00"),
        line(4, "99213", place=""),
    )
    found = {f.line: f for f in findings(tables, item, "place_of_service")}
    assert found[1].status == "pass" and found[1].ref == "POS:11"
    assert found[2].status == "fail" and "unassigned" in found[2].message
    assert found[3].status == "fail" and found[3].ref == "POS:00"
    assert found[4].status == "fail"
    outpatient = claim(line(1, "99213", place=""), setting="outpatient")
    assert findings(tables, outpatient, "place_of_service") == []


# -- the engine ----------------------------------------------------------------------------


def test_bad_claims_give_errors_and_the_batch_goes_on(tables: EditTables) -> None:
    from medref.claims.model import InputProblem

    bad = Claim("BAD", "practitioner", (), [], [InputProblem(3, "row 4 (line 3): units")])
    good = claim(line(1, "93000"), line(2, "93010"))
    found = list(check_claims([bad, good], tables))
    assert [(f.claim_id, f.status, f.rule) for f in found[:1]] == [("BAD", "error", "input")]
    assert {f.rule for f in found[1:]} >= {"ptp", "mue", "code_validity", "place_of_service"}


def test_no_pass_without_data(tables: EditTables) -> None:
    """Every pass names the release that decided it."""
    item = claim(
        line(1, "93000"), line(2, "93010", "59"), line(3, "99213", "25"), diagnoses=("I10",)
    )
    found: Iterator[Finding] = check_claims([item], tables)
    for finding in found:
        if finding.status == "pass":
            assert finding.vintage and finding.ref


# -- DME supplier claims ------------------------------------------------------------------


class DmeMue(NamedTuple):
    code: str
    units: int
    practitioner_units: int | None
    """The same code's limit in the practitioner table, None when it has none."""


@pytest.fixture(scope="module")
def dme_mue_codes(cms_dir: Path) -> dict[int, DmeMue]:
    """Per MAI, the first code of the real DME supplier MUE file with a limit of at least 2
    units that the practitioner table limits differently (so the table used shows)."""
    folder = cms_dir / "ncci" / "2024-07"

    def limits(pattern: str) -> dict[str, tuple[int, int]]:
        with next(folder.glob(pattern)).open(newline="") as handle:
            return {
                row["hcpcs_code"]: (int(row["mue_units"]), int(row["mue_mai"]))
                for row in csv.DictReader(handle)
            }

    practitioner = limits("ncci_mue_practitioner_*.csv")
    picked: dict[int, DmeMue] = {}
    for code, (units, mai) in limits("ncci_mue_dme_supplier_*.csv").items():
        other = practitioner.get(code)
        if units >= 2 and (other is None or other[0] != units):
            picked.setdefault(mai, DmeMue(code, units, None if other is None else other[0]))
    return picked


@pytest.mark.parametrize("mai", [1, 3])
def test_dme_claims_use_the_dme_supplier_mue_table(
    tables: EditTables, dme_mue_codes: dict[int, DmeMue], mai: int
) -> None:
    code, limit, practitioner_limit = dme_mue_codes[mai]
    within = findings(tables, claim(line(1, code, units=limit, place="12"), setting="dme"), "mue")
    assert [(f.status, f.ref, f.vintage) for f in within] == [
        ("pass", f"MUE:{code}", "NCCI MUE dme 2024-07")
    ]
    over = claim(line(1, code, units=limit), line(2, code, units=1), setting="dme")
    found = findings(tables, over, "mue")
    if mai == 1:  # each line within its own limit
        assert [f.status for f in found] == ["pass", "pass"]
        found = findings(tables, claim(line(1, code, units=limit + 1), setting="dme"), "mue")
        assert [f.status for f in found] == ["fail"]
    else:  # the day's units summed
        assert [f.status for f in found] == ["fail", "fail"]
        assert f"= {limit + 1} units" in found[0].message
    assert f"MAI {mai}" in found[0].message and found[0].vintage == "NCCI MUE dme 2024-07"
    (practitioner,) = findings(tables, claim(line(1, code, units=limit)), "mue")
    assert practitioner.vintage == "NCCI MUE practitioner 2024-07"
    expected = "pass" if practitioner_limit is None or practitioner_limit >= limit else "fail"
    assert practitioner.status == expected


def test_the_manual_names_ptp_tables_for_two_settings_only(cms_dir: Path) -> None:
    """The basis of the DME PTP verdict, IOM 100-04/23/20.9 as shipped in ../shared/cms."""
    body = next(
        json.loads(row)["body"]
        for path in sorted((cms_dir / "manuals" / "iom").glob("sections-*.jsonl"))
        for row in path.read_text().splitlines()
        if json.loads(row)["id"] == "pub100-04/ch23/20.9"
    )
    assert "separate tables of edits for physicians/practitioners and outpatient hospital" in body
    assert "outpatient hospital services, and durable medical equipment" in body


def test_ptp_on_dme_claims_is_no_data_saying_why(tables: EditTables) -> None:
    """Even a pair the practitioner table edits is neither passed nor failed on a DME claim."""
    item = claim(line(1, "93000", place="12"), line(2, "93010", place="12"), setting="dme")
    for passes in (True, False):
        found = [f for f in check_claims([item], tables, passes=passes) if f.rule == "ptp"]
        assert [(f.line, f.status) for f in found] == [(1, "no_data"), (2, "no_data")]
        assert all(f.ref == ptp.TABLES_SECTION for f in found)
        assert "NCCI publishes no PTP table for DME supplier claims" in found[0].message


def test_dme_place_of_service_modifiers_and_global_surgery(tables: EditTables) -> None:
    item = claim(
        line(1, "E0601", "NU|KX", place="12"),
        line(2, "E0601", "RR", place=""),
        line(3, "99213", place="12"),
        line(4, "20610", "26", place="12"),
        setting="dme",
    )
    places = {f.line: f.status for f in findings(tables, item, "place_of_service")}
    assert places == {1: "pass", 2: "fail", 3: "pass", 4: "pass"}
    modifiers = findings(tables, item, "modifiers")
    assert [(f.line, f.ref, f.status) for f in modifiers] == [
        (1, "MOD:NU", "pass"),
        (1, "MOD:KX", "pass"),
        (2, "MOD:RR", "pass"),
        (4, "MOD:26", "pass"),
    ]
    assert "PFS indicators do not govern DME supplier claims" in modifiers[-1].message
    assert findings(tables, item, "global_surgery") == []
    practitioner = claim(line(3, "99213"), line(4, "20610", "26"))
    assert {f.rule for f in findings(tables, practitioner, "global_surgery")} == {"global_surgery"}

"""Every wrong bypass, wrong fail and missing check of issue 12, on the real NCCI and PFS rows.

Each pair or indicator a test relies on is first confirmed from the file itself (or the
knowledge base built from it). NCCI covers 2024-07-01..2024-09-30, PFS 2025 from 2025-01-01.
"""

from __future__ import annotations

import csv
import gzip
from datetime import date, timedelta
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables
from medref.claims.model import Claim, ClaimLine, Finding, Setting
from medref.claims.tables import EditTables
from medref.kb import KnowledgeBase
from medref.sources.pfs import read_rvu_rows

NCCI_DAY = date(2024, 8, 15)
PFS_DAY = date(2025, 3, 10)

pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> EditTables:
    return edit_tables(kb)


@pytest.fixture(scope="module")
def pfs(cms_dir: Path) -> dict[str, dict[str, object]]:
    path = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    return {str(r.values["hcpcs"]): r.values for r in read_rvu_rows(path) if not r.values["mod"]}


@pytest.fixture(scope="module")
def ptp_rows(cms_dir: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    wanted = {"20610", "93000", "90460", "77750", "0029U", "80047"}
    rows: dict[tuple[str, str], list[tuple[str, str]]] = {}
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_ptp_practitioner_*.csv.gz"))
    with gzip.open(path, "rt", newline="") as handle:
        for column1, column2, deleted, indicator, _ in csv.reader(handle):
            if column1 in wanted:
                rows.setdefault((column1, column2), []).append((deleted, indicator))
    return rows


def ln(
    number: int,
    code: str,
    modifiers: str = "",
    units: int = 1,
    day: date = NCCI_DAY,
    place: str = "11",
) -> ClaimLine:
    return ClaimLine(number, day, code, tuple(m for m in modifiers.split("|") if m), units, place)


def claim(*lines: ClaimLine, setting: Setting = "practitioner") -> Claim:
    return Claim("T1", setting, (), list(lines))


def run(tables: EditTables, item: Claim, rule: str) -> list[Finding]:
    return [f for f in check_claims([item], tables) if f.rule == rule]


def on(found: list[Finding], number: int) -> Finding:
    (only,) = [f for f in found if f.line == number]
    return only


def test_the_pairs_used_are_in_the_file(
    ptp_rows: dict[tuple[str, str], list[tuple[str, str]]],
) -> None:
    assert ("", "1") in ptp_rows[("20610", "99213")]
    assert ptp_rows[("93000", "93010")] == [("", "1")]
    assert ("", "1") in ptp_rows[("77750", "77427")]
    assert ("", "0") in ptp_rows[("0029U", "0070U")]
    assert ("", "1") in ptp_rows[("80047", "82330")]


# -- wrong bypasses ------------------------------------------------------------------------


def test_an_anatomic_modifier_on_one_line_does_not_bypass(tables: EditTables) -> None:
    """99213 without 25 beside 20610-RT: the visit is denied (IOM 100-04/23/20.9.1.1 A)."""
    found = on(run(tables, claim(ln(1, "99213"), ln(2, "20610", "RT")), "ptp"), 1)
    assert found.status == "fail" and found.ref == "PTP:20610/99213"
    assert "RT on line 2 alone does not show different sites" in found.message
    with_25 = on(run(tables, claim(ln(1, "99213", "25"), ln(2, "20610", "RT")), "ptp"), 1)
    assert with_25.status == "bypassed" and "modifier 25 on line 1" in with_25.message


def test_an_anatomic_modifier_on_an_em_code_names_no_site(tables: EditTables) -> None:
    found = on(run(tables, claim(ln(1, "99213", "LT"), ln(2, "20610", "RT")), "ptp"), 1)
    assert found.status == "fail" and "names no site" in found.message


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ((ln(1, "93000"), ln(2, "93010", "25")), "25 is used only on an E/M code"),
        ((ln(1, "93000"), ln(2, "93010", "57")), "decision for surgery"),
        ((ln(1, "93000"), ln(2, "93010", "24")), "unrelated E/M"),
        ((ln(1, "20610"), ln(2, "99213", "58")), "58 marks a staged"),
        ((ln(1, "20610"), ln(2, "99213", "78")), "78 marks a return"),
        ((ln(1, "20610"), ln(2, "99213", "79")), "79 marks an unrelated procedure"),
        ((ln(1, "20610"), ln(2, "99213", "27")), "27 marks another outpatient"),
        ((ln(1, "93000"), ln(2, "93010", "91")), "91 marks a repeated clinical laboratory"),
    ],
)
def test_associated_modifiers_count_only_on_the_code_they_describe(
    tables: EditTables, lines: tuple[ClaimLine, ClaimLine], why: str
) -> None:
    found = on(run(tables, claim(*lines), "ptp"), 2)
    assert found.status == "fail" and why in found.message


def test_associated_modifiers_bypass_where_they_belong(tables: EditTables) -> None:
    assert on(run(tables, claim(ln(1, "20610"), ln(2, "99213", "57")), "ptp"), 2).status == (
        "bypassed"
    )
    assert on(run(tables, claim(ln(1, "20610", "79"), ln(2, "99213")), "ptp"), 2).status == (
        "bypassed"
    )
    lab = claim(ln(1, "80047"), ln(2, "82330", "91"))
    assert on(run(tables, lab, "ptp"), 2).status == "bypassed"


def test_27_bypasses_only_on_outpatient_hospital_claims(
    tables: EditTables, kb: KnowledgeBase
) -> None:
    assert [
        r.modifier_indicator
        for r in kb.ptp_pair("90460", "99213")
        if r.setting == "outpatient" and r.deleted is None
    ] == ["1"]
    pair = (ln(1, "90460", place=""), ln(2, "99213", "27", place=""))
    assert on(run(tables, claim(*pair, setting="outpatient"), "ptp"), 2).status == "bypassed"
    practitioner = (ln(1, "90460"), ln(2, "99213", "27"))
    assert on(run(tables, claim(*practitioner), "ptp"), 2).status == "fail"


@pytest.mark.parametrize("modifier", ["59", "XS", "XU"])
def test_59_and_x_modifiers_are_disregarded_on_77427(tables: EditTables, modifier: str) -> None:
    """IOM 100-04/23/20.9.1.1 B names 77427 beside E/M codes."""
    found = on(run(tables, claim(ln(1, "77750"), ln(2, "77427", modifier)), "ptp"), 2)
    assert (
        found.status == "fail" and f"{modifier} on 77427 is processed as if absent" in found.message
    )
    found = on(run(tables, claim(ln(1, "77750", modifier), ln(2, "77427")), "ptp"), 2)
    assert found.status == "bypassed"


def yyy_code(pfs: dict[str, dict[str, object]]) -> str:
    return next(
        code
        for code, row in pfs.items()
        if row["glob_days"] == "YYY" and row["status_code"] == "C" and code[0].isdigit()
    )


def test_global_days_yyy_is_the_contractors_call(
    tables: EditTables, pfs: dict[str, dict[str, object]]
) -> None:
    code = yyy_code(pfs)
    for offset in (-1, 0, 30):
        item = claim(ln(1, code, day=PFS_DAY), ln(2, "99213", day=PFS_DAY + timedelta(offset)))
        found = on(run(tables, item, "global_surgery"), 2)
        assert found.status == "warning" and "contractor" in found.message
    later = claim(ln(1, code, day=PFS_DAY), ln(2, "99213", day=PFS_DAY + timedelta(120)))
    assert on(run(tables, later, "global_surgery"), 2).status == "pass"


# -- wrong fails ---------------------------------------------------------------------------


def visit(tables: EditTables, surgery: str, code: str, modifiers: str, offset: int) -> Finding:
    item = claim(
        ln(1, surgery, day=PFS_DAY), ln(2, code, modifiers, day=PFS_DAY + timedelta(offset))
    )
    return on(run(tables, item, "global_surgery"), 2)


def test_ft_is_accepted_in_the_global_period(tables: EditTables) -> None:
    """IOM 100-04/12/40.4 A pays visits with 24, 25, 57 or FT; 30.6.12.7 for critical care."""
    assert visit(tables, "27447", "99213", "FT", 30).status == "pass"
    assert visit(tables, "27447", "99213", "FT", 0).status == "pass"
    assert visit(tables, "20610", "99213", "FT", 0).status == "pass"


def test_critical_care_in_a_global_period_needs_ft(tables: EditTables) -> None:
    assert visit(tables, "27447", "99291", "FT", 5).status == "pass"
    for modifiers in ("", "24", "25"):
        found = visit(tables, "27447", "99291", modifiers, 5)
        assert found.status == "fail" and "FT" in found.message


def test_ambulance_and_category_2_modifiers_are_known(tables: EditTables) -> None:
    item = claim(
        ln(1, "A0428", "RH", day=PFS_DAY),
        ln(2, "A0428", "NH", day=PFS_DAY),
        ln(3, "3008F", "1P", day=PFS_DAY),
        ln(4, "99213", "8P", day=PFS_DAY),
        ln(5, "99213", "RH", day=date(2026, 2, 3)),
    )
    found = {f.line: f for f in run(tables, item, "modifiers")}
    assert found[1].status == "pass" and "residence to hospital" in found[1].message
    assert found[1].ref == "IOM:100-04/15/30"
    assert found[2].status == "pass"
    assert found[3].status == "pass" and "Category II" in found[3].message
    assert found[4].status == "fail" and "Category II codes" in found[4].message
    assert found[5].status == "fail"


def test_51_never_fails_medicare_applies_the_reduction_itself(
    tables: EditTables, pfs: dict[str, dict[str, object]]
) -> None:
    for indicator in (0, 4, 5, 9):
        code = next(
            c for c, r in pfs.items() if r["mult_proc"] == indicator and r["status_code"] == "A"
        )
        (found,) = run(tables, claim(ln(1, code, "51", day=PFS_DAY)), "modifiers")
        assert found.status == "pass" and "40.6" in found.message, (indicator, found.message)


def test_type_3_add_on_without_a_listed_primary_is_a_warning(
    tables: EditTables, cms_dir: Path
) -> None:
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_add_on_code_edits_*.csv"))
    with path.open(newline="") as handle:
        add_on = next(r["add_on_code"] for r in csv.DictReader(handle) if r["aoc_edit_type"] == "3")
    (found,) = run(tables, claim(ln(1, add_on)), "add_on")
    assert found.status == "warning" and "contractor's call" in found.message


# -- missing checks ------------------------------------------------------------------------


def test_a_procedure_in_another_procedures_postoperative_days(tables: EditTables) -> None:
    """IOM 100-04/12/40.4 A: paid only with 58, 78 or 79."""

    def second(modifiers: str, offset: int) -> list[Finding]:
        item = claim(
            ln(1, "27447", "RT", day=PFS_DAY),
            ln(2, "27486", modifiers, day=PFS_DAY + timedelta(offset)),
        )
        return [f for f in run(tables, item, "global_surgery") if f.line == 2]

    (fail,) = second("", 20)
    assert fail.status == "fail" and "postoperative day 20 of 27447" in fail.message
    assert fail.ref == "IOM:100-04/12/40.4"
    for modifier in ("58", "78", "79"):
        assert [f.status for f in second(modifier, 20)] == ["pass"]
    assert second("", 91) == []


def test_a_return_to_the_operating_room_opens_no_period_of_its_own(tables: EditTables) -> None:
    """IOM 100-04/12/40.4 C: a 78 procedure is paid its intra-operative share only; the
    first procedure's postoperative period goes on (58 and 79 begin a new one, §40.2 A.5)."""

    def visit_after(modifier: str, offset: int) -> list[Finding]:
        item = claim(
            ln(1, "27447", "RT", day=PFS_DAY),
            ln(2, "27447", f"{modifier}|RT", day=PFS_DAY + timedelta(23)),
            ln(3, "99213", day=PFS_DAY + timedelta(offset)),
        )
        return [f for f in run(tables, item, "global_surgery") if f.line == 3]

    (after,) = visit_after("78", 95)  # past the first's 90 days, 72 days after the return
    assert after.status == "pass" and "no procedure" in after.message
    (inside,) = visit_after("78", 60)  # judged against the first procedure only
    assert inside.status == "fail" and "postoperative day 60 of 90" in inside.message
    for modifier in ("58", "79"):
        (opened,) = visit_after(modifier, 95)
        assert opened.status == "fail" and "postoperative day 72 of 90" in opened.message


def test_24_during_the_surgical_inpatient_stay(tables: EditTables) -> None:
    surgery = ln(1, "27447", day=PFS_DAY, place="21")
    stay = claim(surgery, ln(2, "99231", "24", day=PFS_DAY + timedelta(2), place="21"))
    found = on(run(tables, stay, "global_surgery"), 2)
    assert found.status == "fail" and "recognised only after discharge" in found.message
    discharged = claim(
        surgery,
        ln(3, "99238", "24", day=PFS_DAY + timedelta(3), place="21"),
        ln(2, "99231", "24", day=PFS_DAY + timedelta(40), place="21"),
    )
    assert on(run(tables, discharged, "global_surgery"), 2).status == "pass"
    office = claim(surgery, ln(2, "99213", "24", day=PFS_DAY + timedelta(20)))
    assert on(run(tables, office, "global_surgery"), 2).status == "pass"


def test_57_not_25_on_the_day_of_major_surgery(tables: EditTables) -> None:
    """IOM 100-04/12/40.2 A.4: the physician bills using modifier -57, not -25."""
    found = visit(tables, "27447", "99223", "25", 0)
    assert found.status == "fail" and "57, not 25" in found.message
    assert visit(tables, "27447", "99223", "57", 0).status == "pass"
    assert visit(tables, "27447", "99223", "57", -1).status == "pass"
    assert visit(tables, "27447", "99223", "25", -1).status == "fail"
    assert visit(tables, "20610", "99213", "25", 0).status == "pass"
    assert visit(tables, "20610", "99213", "57", 0).status == "fail"


def test_modifier_50_with_sides_or_units(tables: EditTables) -> None:
    found = run(tables, claim(ln(1, "27447", "50|RT", day=PFS_DAY)), "bilateral")
    assert [f.status for f in found] == ["fail"] and found[0].ref == "IOM:100-04/23/20.9.3.2"
    found = run(tables, claim(ln(1, "27447", "50", units=2, day=PFS_DAY)), "bilateral")
    assert [f.status for f in found] == ["fail"] and "2 units" in found[0].message
    assert run(tables, claim(ln(1, "27447", "50", day=PFS_DAY)), "bilateral") == []


def test_a_bilateral_indicator_1_code_on_rt_and_lt_lines(
    tables: EditTables, pfs: dict[str, dict[str, object]]
) -> None:
    assert pfs["27447"]["bilat_surg"] == 1 and pfs["47562"]["bilat_surg"] == 0
    item = claim(ln(1, "27447", "RT", day=PFS_DAY), ln(2, "27447", "LT", day=PFS_DAY))
    found = run(tables, item, "bilateral")
    assert [(f.line, f.status) for f in found] == [(1, "fail"), (2, "fail")]
    assert "modifier 50" in found[0].message and found[0].ref == "IOM:100-04/12/40.7"
    two_units = claim(ln(1, "27447", "RT", units=2, day=PFS_DAY))
    assert [f.status for f in run(tables, two_units, "bilateral")] == ["fail"]
    one_side = claim(ln(1, "27447", "RT", day=PFS_DAY))
    assert run(tables, one_side, "bilateral") == []


def test_assistant_with_co_or_team_surgeons(tables: EditTables) -> None:
    """IOM 100-04/12/40.9: beside co-surgeons the assistant is paid only if review verifies
    medical necessity (a warning, and the line is not denied); one surgeon with both roles
    on one line is a failure."""
    item = claim(ln(1, "27447", "62", day=PFS_DAY), ln(2, "27447", "80", day=PFS_DAY))
    found = run(tables, item, "assistant")
    assert [(f.line, f.status) for f in found] == [(2, "warning")]
    assert found[0].ref == "IOM:100-04/12/40.9"
    assert "only if review verifies medical necessity" in found[0].message
    same_line = run(tables, claim(ln(1, "27447", "80|66", day=PFS_DAY)), "assistant")
    assert [f.status for f in same_line] == ["fail"]
    alone = run(tables, claim(ln(1, "27447", "80", day=PFS_DAY)), "assistant")
    assert alone == []


def test_an_add_on_whose_primary_is_denied(tables: EditTables) -> None:
    """0071U (type 1, primary 0070U) where 0070U is column 2 of an indicator-0 edit."""
    item = claim(ln(1, "0029U"), ln(2, "0070U"), ln(3, "0071U"))
    checked = list(check_claims([item], tables))
    assert on([f for f in checked if f.rule == "ptp"], 2).status == "fail"
    found = on([f for f in checked if f.rule == "add_on"], 3)
    assert found.status == "fail" and "itself denied" in found.message
    alone = claim(ln(2, "0070U"), ln(3, "0071U"))
    assert on(run(tables, alone, "add_on"), 3).status == "pass"


def test_g2211_with_a_visit_carrying_25(tables: EditTables) -> None:
    """IOM 100-04/12/30.6.19."""
    found = on(run(tables, claim(ln(1, "99213", "25"), ln(2, "G2211")), "complexity_add_on"), 2)
    assert found.status == "fail" and found.ref == "IOM:100-04/12/30.6.19"
    plain = on(run(tables, claim(ln(1, "99213"), ln(2, "G2211")), "complexity_add_on"), 2)
    assert plain.status == "pass"
    with_awv = claim(
        ln(1, "99213", "25", day=PFS_DAY), ln(2, "G2211", day=PFS_DAY), ln(3, "G0439", day=PFS_DAY)
    )
    assert on(run(tables, with_awv, "complexity_add_on"), 2).status == "warning"


def test_pfs_status_i_and_codes_in_no_cpt_section_fail(tables: EditTables) -> None:
    found = on(
        run(tables, claim(ln(1, "99215", day=PFS_DAY), ln(2, "99417", day=PFS_DAY)), "pfs_status"),
        2,
    )
    assert found.status == "fail" and "G2212" in found.message and found.ref == "PFS:99417"
    (invalid,) = run(tables, claim(ln(1, "00050")), "code_validity")
    assert invalid.status == "fail" and "no CPT Category I section" in invalid.message
    assert run(tables, claim(ln(1, "99213", day=PFS_DAY)), "pfs_status")[0].status == "pass"


def test_pfs_status_verdicts(tables: EditTables, pfs: dict[str, dict[str, object]]) -> None:
    def status_of(code: str) -> str:
        return run(tables, claim(ln(1, code, day=PFS_DAY)), "pfs_status")[0].status

    bundled = next(c for c, r in pfs.items() if r["status_code"] == "B")
    non_covered = next(c for c, r in pfs.items() if r["status_code"] == "N")
    restricted = next(c for c, r in pfs.items() if r["status_code"] == "R" and c[0] != "D")
    assert status_of(bundled) == "fail"
    assert status_of(non_covered) == "fail"
    assert status_of(restricted) == "warning"
    assert status_of("80053") == "pass"  # X: clinical laboratory fee schedule
    assert status_of("J1100") == "warning"  # E: excluded from the PFS by regulation

"""E/M leveling against an independent oracle: every MDM combination, every time boundary."""

from __future__ import annotations

import itertools
import json

import pytest
from click.testing import CliRunner

from medref.cli import cli
from medref.em import level_office_visit, mdm_level
from medref.errors import InputError

PROBLEMS = ["minimal", "low", "moderate", "high"]
DATA = ["minimal", "limited", "moderate", "extensive"]
RISK = ["minimal", "low", "moderate", "high"]
NAMES = ["straightforward", "low", "moderate", "high"]
OFFICE_CODES = {
    "new": ["99202", "99203", "99204", "99205"],
    "established": ["99212", "99213", "99214", "99215"],
}


def oracle_mdm(problems: str, data: str, risk: str) -> tuple[str, set[str]]:
    """Walk down from high: the first level that two or more elements reach."""
    scores = {
        "problems": PROBLEMS.index(problems),
        "data": DATA.index(data),
        "risk": RISK.index(risk),
    }
    for level in (3, 2, 1, 0):
        meeting = {name for name, score in scores.items() if score >= level}
        if len(meeting) >= 2:
            return NAMES[level], meeting
    raise AssertionError("unreachable: every element reaches level 0")


@pytest.mark.parametrize("patient", ["new", "established"])
@pytest.mark.parametrize(
    ("problems", "data", "risk"), list(itertools.product(PROBLEMS, DATA, RISK))
)
def test_every_mdm_combination(patient: str, problems: str, data: str, risk: str) -> None:
    name, meeting = oracle_mdm(problems, data, risk)
    result = level_office_visit(patient, problems=problems, data=data, risk=risk)
    assert result.basis == "mdm"
    assert result.mdm is not None and result.mdm.level == name
    assert result.code == OFFICE_CODES[patient][NAMES.index(name)]
    assert set(result.deciding) == meeting
    assert len(result.deciding) >= 2


def oracle_time_code(patient: str, minutes: int, year: int) -> str | None:
    """Per-minute tables written out by hand from the published rules."""
    if year <= 2023:
        ranges = {
            "new": [(15, 29, "99202"), (30, 44, "99203"), (45, 59, "99204"), (60, 74, "99205")],
            "established": [
                (10, 19, "99212"),
                (20, 29, "99213"),
                (30, 39, "99214"),
                (40, 54, "99215"),
            ],
        }[patient]
        for low, high, code in ranges:
            if low <= minutes <= high:
                return code
        return ranges[-1][2] if minutes > ranges[-1][1] else None
    floors = {"new": [60, 45, 30, 15], "established": [40, 30, 20, 10]}[patient]
    codes = list(reversed(OFFICE_CODES[patient]))
    for floor, code in zip(floors, codes, strict=True):
        if minutes >= floor:
            return code
    return None


BOUNDARIES = {
    (2021, "new"): [15, 29, 30, 44, 45, 59, 60, 74],
    (2021, "established"): [10, 19, 20, 29, 30, 39, 40, 54],
    (2024, "new"): [15, 30, 45, 60],
    (2024, "established"): [10, 20, 30, 40],
}
TIME_CASES = [
    (year, patient, minutes)
    for rule_year, patient in BOUNDARIES
    for year in ((2021, 2022, 2023) if rule_year == 2021 else (2024, 2025, 2026))
    for edge in BOUNDARIES[(rule_year, patient)]
    for minutes in (edge - 1, edge, edge + 1)
]


@pytest.mark.parametrize(("year", "patient", "minutes"), TIME_CASES)
def test_every_time_boundary(year: int, patient: str, minutes: int) -> None:
    expected = oracle_time_code(patient, minutes, year)
    if expected is None:
        with pytest.raises(InputError, match="under the"):
            level_office_visit(patient, minutes=minutes, year=year)
        return
    result = level_office_visit(patient, minutes=minutes, year=year)
    assert (result.code, result.basis, result.deciding) == (expected, "time", ("time",))


def oracle_prolonged(patient: str, minutes: int, medicare: bool) -> int:
    """Units by counting whole 15-minute blocks past the start point, one by one."""
    start = {
        (True, "new"): 74,
        (True, "established"): 54,
        (False, "new"): 60,
        (False, "established"): 40,
    }[(medicare, patient)]
    units, mark = 0, start + 15
    while minutes >= mark:
        units, mark = units + 1, mark + 15
    return units


PROLONGED_EDGES = {
    (True, "new"): [89, 104, 119],
    (True, "established"): [69, 84, 99],
    (False, "new"): [75, 90, 105],
    (False, "established"): [55, 70, 85],
}


@pytest.mark.parametrize("year", [2021, 2023, 2024, 2025])
@pytest.mark.parametrize(("medicare", "patient"), list(PROLONGED_EDGES))
def test_prolonged_boundaries(year: int, medicare: bool, patient: str) -> None:
    code = "G2212" if medicare else "99417"
    for edge in PROLONGED_EDGES[(medicare, patient)]:
        for minutes in (edge - 1, edge, edge + 1):
            result = level_office_visit(patient, minutes=minutes, year=year, medicare=medicare)
            assert result.code == OFFICE_CODES[patient][-1]
            units = oracle_prolonged(patient, minutes, medicare)
            got = {p.code: p.units for p in result.prolonged}
            assert got == ({code: units} if units else {}), (minutes, result.prolonged)


def test_g2212_first_unit_is_at_89_and_69_minutes() -> None:
    assert level_office_visit("new", minutes=88).prolonged == ()
    assert level_office_visit("new", minutes=89).prolonged[0].first_at == 89
    assert level_office_visit("established", minutes=69).prolonged[0].units == 1
    assert level_office_visit("established", minutes=75, medicare=False).prolonged[0].first_at == 55


def test_higher_basis_wins_and_ties_prefer_prolonged_time() -> None:
    by_time = level_office_visit(
        "established", problems="low", data="limited", risk="low", minutes=41
    )
    assert (by_time.code, by_time.basis) == ("99215", "time")
    assert by_time.mdm is not None and by_time.mdm.level == "low"
    by_mdm = level_office_visit(
        "established", problems="high", data="extensive", risk="high", minutes=12
    )
    assert (by_mdm.code, by_mdm.basis) == ("99215", "mdm")
    tie = level_office_visit("new", problems="high", data="extensive", risk="high", minutes=95)
    assert (tie.code, tie.basis, tie.prolonged[0].code) == ("99205", "time", "G2212")


def test_short_time_falls_back_to_mdm_when_given() -> None:
    result = level_office_visit(
        "established", problems="moderate", data="moderate", risk="low", minutes=5
    )
    assert (result.code, result.basis) == ("99214", "mdm")


def test_99211_only_on_request() -> None:
    result = level_office_visit("established", minimal=True)
    assert (result.code, result.basis) == ("99211", "minimal")
    with pytest.raises(InputError, match="has no code without MDM"):
        level_office_visit("new", minimal=True)
    with pytest.raises(InputError, match="selected on its own"):
        level_office_visit("established", minimal=True, minutes=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes": 20, "year": 2020}, "1995/1997"),
        ({}, "give the three MDM elements"),
        ({"problems": "low"}, "give at least two"),
        ({"problems": "severe", "data": "limited", "risk": "low"}, "problems must be one of"),
        ({"minutes": 0}, "positive"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        level_office_visit("new", **kwargs)


FAMILY_CODES = {
    "hospital-initial": ["99221", "99221", "99222", "99223"],
    "hospital-subsequent": ["99231", "99231", "99232", "99233"],
    "consult-office": ["99242", "99243", "99244", "99245"],
    "consult-inpatient": ["99252", "99253", "99254", "99255"],
    "ed": ["99282", "99283", "99284", "99285"],
    "nursing-initial": ["99304", "99304", "99305", "99306"],
    "nursing-subsequent": ["99307", "99308", "99309", "99310"],
    "home-new": ["99341", "99342", "99344", "99345"],
    "home-established": ["99347", "99348", "99349", "99350"],
}


@pytest.mark.parametrize("family", list(FAMILY_CODES))
def test_other_families_every_mdm_combination(family: str) -> None:
    for problems, data, risk in itertools.product(PROBLEMS, DATA, RISK):
        name, meeting = oracle_mdm(problems, data, risk)
        result = mdm_level(family, problems=problems, data=data, risk=risk)
        assert result.code == FAMILY_CODES[family][NAMES.index(name)]
        assert set(result.deciding) == meeting


FAMILY_MINUTES = {
    "hospital-initial": {40: "99221", 55: "99222", 75: "99223"},
    "hospital-subsequent": {25: "99231", 35: "99232", 50: "99233"},
    "consult-office": {20: "99242", 30: "99243", 40: "99244", 55: "99245"},
    "consult-inpatient": {35: "99252", 45: "99253", 60: "99254", 80: "99255"},
    "nursing-initial": {25: "99304", 35: "99305", 45: "99306"},
    "nursing-subsequent": {10: "99307", 15: "99308", 30: "99309", 45: "99310"},
    "home-new": {15: "99341", 30: "99342", 60: "99344", 75: "99345"},
    "home-established": {20: "99347", 30: "99348", 40: "99349", 60: "99350"},
}


@pytest.mark.parametrize("family", list(FAMILY_MINUTES))
def test_other_families_time_boundaries(family: str) -> None:
    table = FAMILY_MINUTES[family]
    floors = sorted(table)
    for floor in floors:
        below = [table[f] for f in floors if f <= floor - 1]
        if below:
            assert mdm_level(family, minutes=floor - 1).code == below[-1]
        else:
            with pytest.raises(InputError, match="under the"):
                mdm_level(family, minutes=floor - 1)
        assert mdm_level(family, minutes=floor).code == table[floor]
        assert mdm_level(family, minutes=floor + 1).code == table[floor]


def test_ed_has_no_time_and_a_minimal_code() -> None:
    with pytest.raises(InputError, match="MDM only"):
        mdm_level("ed", minutes=30)
    assert mdm_level("ed", minimal=True).code == "99281"


def test_other_families_need_2023() -> None:
    with pytest.raises(InputError, match="2023"):
        mdm_level("hospital-initial", problems="low", data="limited", risk="low", year=2022)
    assert (
        mdm_level(
            "hospital-initial", problems="high", data="extensive", risk="high", year=2023
        ).code
        == "99223"
    )


def test_medicare_consult_note() -> None:
    result = mdm_level("consult-office", problems="low", data="limited", risk="low")
    assert any("Medicare does not pay consultation" in note for note in result.notes)
    result = mdm_level("consult-office", problems="low", data="limited", risk="low", medicare=False)
    assert not any("Medicare" in note for note in result.notes)


def test_to_dict_is_plain_data() -> None:
    data = level_office_visit("new", minutes=100, medicare=False).to_dict()
    assert data["code"] == "99205" and data["basis"] == "time"
    assert [(p["code"], p["units"], p["first_at"]) for p in data["prolonged"]] == [("99417", 2, 75)]


def run_em(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["em", *args])
    return result.exit_code, result.output


def test_cli_json_and_text() -> None:
    code, output = run_em(
        "--patient",
        "established",
        "--problems",
        "moderate",
        "--data",
        "limited",
        "--risk",
        "moderate",
        "--json",
    )
    data = json.loads(output)
    assert code == 0 and (data["code"], data["basis"]) == ("99214", "mdm")
    assert data["deciding"] == ["problems", "risk"]
    code, output = run_em("--patient", "new", "--minutes", "95", "--no-medicare")
    assert code == 0 and output.startswith("99205  ")
    assert "prolonged: 99417 x 2" in output


def test_cli_families_and_errors() -> None:
    code, output = run_em("--family", "home", "--patient", "new", "--minutes", "60", "--json")
    assert code == 0 and json.loads(output)["code"] == "99344"
    code, output = run_em("--family", "ed", "--minimal", "--json")
    assert code == 0 and json.loads(output)["code"] == "99281"
    code, output = run_em("--family", "office", "--minutes", "30")
    assert code == 2 and "needs patient new or established" in output
    code, output = run_em("--patient", "new", "--minutes", "30", "--year", "2019")
    assert code == 2 and "1995/1997" in output


def test_cli_help_ends_with_an_example() -> None:
    code, output = run_em("--help")
    tail = " ".join(output.split()[-12:])
    assert code == 0 and "Example: medref em --patient established" in tail


def test_two_elements_that_meet_a_level_decide_it() -> None:
    """MDM is the level met by 2 of 3 elements: two given elements decide at least the lower
    of their levels, and the result says so (issue 16)."""
    result = level_office_visit("established", problems="moderate", risk="moderate")
    assert (result.code, result.basis) == ("99214", "mdm")
    assert result.mdm is not None and set(result.mdm.deciding) == {"problems", "risk"}
    assert any("data was not given" in note for note in result.notes)
    lower = level_office_visit("new", problems="high", data="limited")
    assert lower.code == "99203"


def test_mdm_level_words_are_accepted_for_every_element() -> None:
    """The AMA table's level words (straightforward, low, moderate, high) stand for the
    element level that supports them: data low = limited, risk straightforward = minimal."""
    words = level_office_visit("established", problems="low", data="low", risk="straightforward")
    scale = level_office_visit("established", problems="low", data="limited", risk="minimal")
    assert words.code == scale.code == "99213"
    assert words.mdm is not None and words.mdm.elements["data"] == "limited"
    assert level_office_visit("new", problems="High", data="HIGH", risk="high").code == "99205"


def test_every_result_cites_its_rules() -> None:
    result = level_office_visit("new", minutes=95)
    assert "IOM:100-04/12/30.6.1" in result.sources
    assert "IOM:100-04/12/30.6.7" in result.sources
    assert "IOM:100-04/12/30.6.15.2" in result.sources  # prolonged G2212
    assert "WIKI:em-leveling" in result.sources
    ed = mdm_level("ed", minimal=True, year=2025)
    assert "IOM:100-04/12/30.6.11" in ed.sources


def test_cli_date_of_service_picks_the_year_and_output_cites_sources() -> None:
    code, output = run_em("--patient", "new", "--minutes", "35", "-d", "2023-05-01", "--json")
    assert code == 0
    found = json.loads(output)
    assert (found["year"], found["code"]) == (2023, "99203")
    code, output = run_em("--patient", "new", "--minutes", "30", "-d", "2019-05-01")
    assert code == 2 and "1995/1997" in output
    code, output = run_em("--patient", "established", "--problems", "low", "--data", "low")
    assert code == 0 and output.startswith("99213") and "sources: IOM:100-04/12/30.6.1" in output
    code, output = run_em(
        "--patient", "new", "--minutes", "30", "-d", "2025-01-02", "--year", "2024"
    )
    assert code == 2 and "disagree" in output


def test_unknown_family_names_only_what_users_can_give() -> None:
    code, output = run_em("--family", "office-old", "--minutes", "30")
    assert code == 2 and "office-new" not in output

"""Checks across the claims of one patient (and rendering provider), the history file, and
allowed amounts in the check, on the real NCCI and PFS rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from medref.claims import Tally, check_claims, edit_tables, summarize
from medref.claims.model import Claim, ClaimLine, Finding
from medref.claims.patients import PatientGroups
from medref.claims.read import read_csv, read_json
from medref.claims.tables import EditTables
from medref.claims.values import to_npi
from medref.kb import KnowledgeBase
from medref.pricing import PricingTables
from medref.pricing.quote import Pricer
from medref.settings import Settings

NCCI_DAY = date(2024, 8, 15)
PFS_DAY = date(2025, 3, 10)
NPI_A = "1234567893"
NPI_B = "1245319599"

pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> EditTables:
    return edit_tables(kb)


def ln(
    number: int,
    code: str,
    modifiers: str = "",
    units: int = 1,
    day: date = NCCI_DAY,
    npi: str = NPI_A,
    place: str = "11",
) -> ClaimLine:
    mods = tuple(m for m in modifiers.split("|") if m)
    return ClaimLine(number, day, code, mods, units, place, (), npi)


def claim(claim_id: str, *lines: ClaimLine, patient: str = "P1", order: int = 0) -> Claim:
    return Claim(claim_id, "practitioner", (), list(lines), patient_id=patient, order=order)


def run(tables: EditTables, claims: list[Claim], rule: str, **kwargs: object) -> list[Finding]:
    return [f for f in check_claims(claims, tables, **kwargs) if f.rule == rule]  # type: ignore[arg-type]


def of(found: list[Finding], claim_id: str, line: int) -> list[Finding]:
    return [f for f in found if f.claim_id == claim_id and f.line == line]


def test_npi_check_digit() -> None:
    assert to_npi(NPI_A) == NPI_A and to_npi(NPI_B) == NPI_B
    assert to_npi("") == ""
    assert not isinstance(to_npi("1234567890"), str)
    assert not isinstance(to_npi("12345"), str)


def test_a_visit_on_another_claim_in_the_global_period(tables: EditTables) -> None:
    surgery = claim("S", ln(1, "27447", day=PFS_DAY), order=1)
    visit = claim("V", ln(1, "99213", day=PFS_DAY + timedelta(30)), order=2)
    (found,) = of(run(tables, [surgery, visit], "global_surgery"), "V", 1)
    assert found.status == "fail" and "claim S line 1" in found.message
    alone = [claim("S", *surgery.lines, patient=""), claim("V", *visit.lines, patient="")]
    (passed,) = of(run(tables, alone, "global_surgery"), "V", 1)
    assert passed.status == "pass"
    other_doctor = claim("V", ln(1, "99213", day=PFS_DAY + timedelta(30), npi=NPI_B), order=2)
    (other,) = of(run(tables, [surgery, other_doctor], "global_surgery"), "V", 1)
    assert other.status == "pass"
    other_patient = claim("V", *visit.lines, patient="P2", order=2)
    assert of(run(tables, [surgery, other_patient], "global_surgery"), "V", 1)[0].status == "pass"


def test_mue_day_totals_across_claims(tables: EditTables, cms_dir: Path) -> None:
    path = next((cms_dir / "ncci" / "2024-07").glob("ncci_mue_practitioner_*.csv"))
    with path.open(newline="") as handle:
        code, limit = next(
            (r["hcpcs_code"], int(r["mue_units"]))
            for r in csv.DictReader(handle)
            if r["mue_mai"] == "3" and int(r["mue_units"]) >= 2
        )
    first = claim("A", ln(1, code, units=limit), order=1)
    second = claim("B", ln(1, code, units=1), order=2)
    found = run(tables, [first, second], "mue")
    assert [(f.claim_id, f.status) for f in found] == [("A", "fail"), ("B", "fail")]
    assert "claim B line 1" in found[0].message
    other_doctor = claim("B", ln(1, code, units=1, npi=NPI_B), order=2)
    assert {f.status for f in run(tables, [first, other_doctor], "mue")} == {"pass"}


def test_ptp_pairs_and_duplicates_across_claims(tables: EditTables) -> None:
    first = claim("A", ln(1, "93000"), order=1)
    second = claim("B", ln(1, "93010"), order=2)
    (pair,) = of(run(tables, [first, second], "ptp"), "B", 1)
    assert pair.status == "fail" and "claim A line 1" in pair.message
    again = claim("C", ln(1, "93000"), order=3)
    found = run(tables, [first, again], "duplicate")
    assert [(f.claim_id, f.status) for f in found] == [("C", "fail")]
    assert "duplicates claim A line 1" in found[0].message


def test_history_claims_count_and_get_no_findings(tables: EditTables) -> None:
    earlier = claim("OLD", ln(1, "27447", day=PFS_DAY))
    visit = claim("V", ln(1, "99213", day=PFS_DAY + timedelta(10)))
    tally = Tally()
    found = list(check_claims([visit], tables, history=[earlier], tally=tally))
    assert {f.claim_id for f in found} == {"V"}
    (verdict,) = [f for f in found if f.rule == "global_surgery"]
    assert verdict.status == "fail" and "history claim OLD line 1" in verdict.message
    summary = summarize(tables, tally).as_dict()
    assert summary["claims"] == 1
    assert summary["across_claims"] == {
        "claims_checked_with_their_patient": 1,
        "claims_checked_alone": 0,
        "history_claims_read": 1,
    }


def test_without_patient_ids_the_summary_says_claims_are_alone(tables: EditTables) -> None:
    tally = Tally()
    list(check_claims([claim("A", ln(1, "99213"), patient="")], tables, tally=tally))
    summary = summarize(tables, tally).as_dict()
    assert any("no patient_id" in item for item in summary["not_checked"])  # type: ignore[union-attr]
    tally = Tally()
    lines = [ln(1, "99213", npi="")]
    list(check_claims([claim("A", *lines)], tables, tally=tally))
    summary = summarize(tables, tally).as_dict()
    assert any("no rendering_npi" in item for item in summary["not_checked"])  # type: ignore[union-attr]


def test_spilled_patients_give_the_same_findings(tables: EditTables) -> None:
    def batch() -> list[Claim]:
        claims = []
        for number in range(30):
            patient = f"P{number % 7}"
            day = PFS_DAY + timedelta(number)
            claims.append(
                claim(f"S{number}", ln(1, "27447", day=day), patient=patient, order=number)
            )
            claims.append(
                claim(
                    f"V{number}",
                    ln(1, "99213", day=day + timedelta(3)),
                    patient=patient,
                    order=100 + number,
                )
            )
        return claims

    in_memory = [f.as_dict() for f in check_claims(batch(), tables)]
    spilled = [
        f.as_dict() for f in check_claims(batch(), tables, groups=PatientGroups(budget_lines=5))
    ]
    key = lambda f: (f["claim_id"], f["line"] or 0, f["rule"], f["message"])  # noqa: E731
    assert sorted(spilled, key=key) == sorted(in_memory, key=key)


def test_csv_and_json_read_patient_and_provider() -> None:
    text = (
        "claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses,"
        "patient_id,rendering_npi\n"
        f"A,1,2024-08-15,93000,,1,11,I10,P1,{NPI_A}\n"
        f"A,2,2024-08-15,93010,,1,11,I10,P1,{NPI_B}\n"
        "B,1,2024-08-15,93000,,1,11,I10,P2,1234567890\n"
        f"C,1,2024-08-15,93000,,1,11,I10,P1,{NPI_A}\n"
        f"C,2,2024-08-15,93000,,1,11,I10,P2,{NPI_A}\n"
    )
    a, b, c = read_csv(io.StringIO(text))
    assert a.patient_id == "P1" and [line.rendering_npi for line in a.lines] == [NPI_A, NPI_B]
    assert b.problems and "check digit" in b.problems[0].message
    assert c.problems and "one claim is for one patient" in c.problems[0].message
    document = json.dumps(
        [
            {
                "claim_id": "J",
                "patient_id": "P9",
                "lines": [
                    {
                        "line": 1,
                        "date_of_service": "2024-08-15",
                        "code": "93000",
                        "units": 1,
                        "place_of_service": "11",
                        "rendering_npi": NPI_A,
                    },
                    {
                        "line": 1,
                        "date_of_service": "2024-08-15",
                        "code": "93010",
                        "units": 1,
                        "place_of_service": "11",
                    },
                ],
            }
        ]
    )
    (found,) = read_json(io.StringIO(document))
    assert found.patient_id == "P9" and found.lines[0].rendering_npi == NPI_A
    assert found.problems and "appear more than once" in found.problems[0].message


def test_allowed_amounts_in_the_check(tables: EditTables, kb: KnowledgeBase) -> None:
    pricer = Pricer.open(PricingTables(kb), "10112-00")
    item = claim(
        "A",
        ln(1, "20610", day=PFS_DAY),
        ln(2, "11042", day=PFS_DAY),
        ln(3, "99213", day=PFS_DAY),
        patient="",
    )
    tally = Tally()
    found = list(check_claims([item], tables, pricer=pricer, tally=tally))
    prices = {f.line: f for f in found if f.rule == "price"}
    assert all(f.status == "pass" and f.allowed_amount is not None for f in prices.values())
    assert "multiple procedures" in prices[2].message or "multiple procedures" in prices[1].message
    visit = next(f for f in found if f.line == 3 and f.rule == "global_surgery")
    assert visit.status == "fail" and visit.allowed_amount == prices[3].allowed_amount
    summary = summarize(tables, tally).as_dict()
    money = summary["allowed_amounts"]
    assert isinstance(money, dict)
    assert Decimal(money["at_risk_on_failing_lines"]) >= prices[3].allowed_amount  # type: ignore[operator]
    assert Decimal(money["allowed"]) == sum(f.allowed_amount for f in prices.values())  # type: ignore[misc]


def test_cli_check_with_history_and_locality(
    tmp_path: Path, kb: KnowledgeBase, kb_settings: Settings
) -> None:
    from medref.cli import cli

    header = (
        "claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses,"
        "patient_id,rendering_npi\n"
    )
    history = tmp_path / "history.csv"
    history.write_text(header + f"H1,1,2025-03-10,27447,RT,1,21,M17.11,P1,{NPI_A}\n")
    batch = tmp_path / "claims.csv"
    batch.write_text(header + f"C1,1,2025-03-24,99213,,1,11,M17.11,P1,{NPI_A}\n")
    result = CliRunner().invoke(
        cli,
        ["check", str(batch), "--history", str(history), "--locality", "10112-00", "--json"],
        env={"MEDREF_HOME": str(kb_settings.home)},
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    summary = rows[-1]["summary"]
    assert summary["across_claims"]["history_claims_read"] == 1
    verdict = next(r for r in rows[:-1] if r.get("rule") == "global_surgery")
    assert verdict["status"] == "fail" and "history claim H1" in verdict["message"]
    assert "allowed_amount" in verdict and summary["allowed_amounts"]["at_risk_on_failing_lines"]


def test_a_patients_only_claim_gets_the_findings_of_the_patient_scope(
    tables: EditTables,
) -> None:
    """A patient with one claim takes the claim path (cheaper) and must say exactly what
    the patient scope says: same lines, same verdicts, the patient wording."""
    from medref.claims.rules import RuleContext, all_rules
    from medref.claims.scope import PatientLines, PatientScope

    lines = [
        ln(1, "27447", day=PFS_DAY),
        ln(2, "99213", "25", day=PFS_DAY),
        ln(3, "99213", day=PFS_DAY + timedelta(5)),
        ln(4, "99213", day=PFS_DAY + timedelta(5)),
        ln(5, "20610", "RT", day=PFS_DAY + timedelta(5)),
        ln(6, "99214", day=PFS_DAY + timedelta(150)),
    ]
    only = claim("ONLY", *lines)
    tally = Tally()
    found = [f.as_dict() for f in check_claims([only], tables, tally=tally)]
    ctx = RuleContext(tables)
    ctx.scope = PatientScope(only, PatientLines([only]))
    expected = [f.as_dict() for rule in all_rules() for f in rule.check(only, ctx)]
    assert found == expected
    assert any("patient's claims" in str(f["message"]) for f in found)
    assert summarize(tables, tally).across_claims["claims_checked_with_their_patient"] == 1

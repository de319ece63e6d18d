"""Reading claim files: the CSV and JSON schemas of docs/claims.md, streaming in batches, and
bad input reported per claim without stopping the file."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from medref.claims.model import Claim
from medref.claims.read import read_claims
from medref.claims.read_csv import CSV_COLUMNS, read_csv
from medref.claims.read_json import read_json
from medref.errors import InputError

HEADER = ",".join(CSV_COLUMNS)


def csv_claims(text: str, **options: int) -> list[Claim]:
    return list(read_csv(io.StringIO(text), **options))  # type: ignore[arg-type]


def test_csv_rows_become_claims_with_merged_diagnoses() -> None:
    claims = csv_claims(
        f"{HEADER}\n"
        "A1,1,2024-08-15,93000,,1,11,I10|R07.9\n"
        "A1,2,2024-08-15,93010,xs|lt,2,11,R07.9|E119\n"
        "A2,1,08/16/2024,g0439,,1,11,Z00.00\n"
    )
    first, second = claims
    assert first.claim_id == "A1" and first.setting == "practitioner"
    assert first.diagnoses == ("I10", "R07.9", "E11.9")
    assert [line.diagnosis_pointers for line in first.lines] == [(1, 2), (2, 3)]
    assert first.lines[1].modifiers == ("XS", "LT")
    assert first.lines[1].units == 2
    assert second.lines[0].code == "G0439"
    assert second.lines[0].date_of_service == date(2024, 8, 16)
    assert not first.problems and not second.problems


def test_a_claim_spanning_batches_stays_whole() -> None:
    rows = "".join(f"B1,{n},2024-08-15,9300{n % 2},,1,11,I10\n" for n in range(1, 8))
    claims = csv_claims(f"{HEADER}\n{rows}B2,1,2024-08-15,93000,,1,11,I10\n", batch_rows=3)
    assert [(c.claim_id, len(c.lines)) for c in claims] == [("B1", 7), ("B2", 1)]


def test_setting_column_is_optional_and_per_claim() -> None:
    claims = csv_claims(
        f"{HEADER},setting\n"
        "C1,1,2024-08-15,93000,,1,22,I10,outpatient\n"
        "C2,1,2024-08-15,93000,,1,11,I10,practitioner\n"
        "C2,2,2024-08-15,93010,,1,11,I10,outpatient\n"
    )
    assert claims[0].setting == "outpatient" and not claims[0].problems
    assert "one claim has one setting" in claims[1].problems[0].message


def test_dme_setting_in_csv_and_json() -> None:
    (from_csv,) = csv_claims(f"{HEADER},setting\nD1,1,2024-08-15,E0601,NU,1,12,G47.33,DME\n")
    assert from_csv.setting == "dme" and not from_csv.problems
    line = {"date_of_service": "2024-08-15", "code": "E0601", "units": 1}
    document = json.dumps([{"claim_id": "D2", "setting": "dme", "lines": [line]}])
    (from_json,) = read_json(io.StringIO(document))
    assert from_json.setting == "dme" and not from_json.problems
    (bad,) = read_json(io.StringIO(document.replace('"dme"', '"supplier"')))
    assert "must be one of practitioner, outpatient, dme" in bad.problems[0].message


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("D1,1,2024-02-30,93000,,1,11,I10", "date of service '2024-02-30' is not a date"),
        ("D1,1,2024-08-15,93000,25|59|XS|XE|XU|XP|LT|RT|E1|F1,1,11,I10", "10 modifiers"),
        ("D1,1,2024-08-15,93000,,-2,11,I10", "units '-2' must be a whole number"),
        ("D1,1,2024-08-15,93000,,1.5,11,I10", "units '1.5' must be a whole number"),
        ("D1,1,2024-08-15,93000,5X9,1,11,I10", "modifier '5X9' must be 2 letters or digits"),
        ("D1,1,2024-08-15,93000,,1,1,I10", "place of service '1' must be 2 digits"),
        ("D1,x,2024-08-15,93000,,1,11,I10", "line 'x' must be a whole number"),
        ("D1,1,2024-08-15,93000,,1,11,I10,extra", "9 cells where the header names 8 columns"),
        ("D1,1,2024-08-15,93000,,1,11," + "|".join(f"E11.{n}" for n in range(13)), "13 diagnoses"),
    ],
)
def test_bad_rows_give_their_claim_problems_and_the_file_goes_on(row: str, expected: str) -> None:
    claims = csv_claims(
        f"{HEADER}\nOK1,1,2024-08-15,93000,,1,11,I10\n{row}\nOK2,1,2024-08-15,93010,,1,11,I10\n"
    )
    assert [c.claim_id for c in claims] == ["OK1", "D1", "OK2"]
    assert not claims[0].problems and not claims[2].problems
    messages = [problem.message for problem in claims[1].problems]
    assert any(expected in message for message in messages), messages
    assert messages[0].startswith("row 3")


def test_rows_of_a_claim_may_come_in_any_order_within_the_window() -> None:
    text = (
        f"{HEADER}\n"
        "E1,2,2024-08-15,93010,,1,11,I10\n"
        "E2,1,2024-08-15,93000,,1,11,I10\n"
        "E1,1,2024-08-15,93000,,1,11,I10\n"
    )
    claims = csv_claims(text)
    assert sorted(c.claim_id for c in claims) == ["E1", "E2"]
    (first,) = [c for c in claims if c.claim_id == "E1"]
    assert [line.line for line in first.lines] == [1, 2] and not first.problems
    narrow = list(read_csv(io.StringIO(text), window_rows=0))
    assert [c.claim_id for c in narrow] == ["E1", "E2", "E1"]
    assert not narrow[0].problems
    assert "resumes at row 4" in narrow[2].problems[0].message


def test_repeated_line_numbers_are_a_problem() -> None:
    (claim,) = csv_claims(
        f"{HEADER}\nF1,1,2024-08-15,93000,,1,11,I10\nF1,1,2024-08-15,93010,,1,11,I10\n"
    )
    assert "appear more than once" in claim.problems[0].message


def test_unknown_or_missing_columns_stop_the_file_with_what_to_do() -> None:
    with pytest.raises(InputError, match=r"unknown columns 'patient_name'.*What to do"):
        csv_claims(f"{HEADER},patient_name\nG1,1,2024-08-15,93000,,1,11,I10,x\n")
    with pytest.raises(InputError, match="missing columns units"):
        csv_claims("claim_id,line,date_of_service,code,modifiers,place_of_service,diagnoses\n")


def json_claims(document: object) -> list[Claim]:
    return list(read_json(io.StringIO(json.dumps(document))))


def test_json_claims() -> None:
    (claim,) = json_claims(
        [
            {
                "claim_id": "J1",
                "setting": "outpatient",
                "diagnoses": ["E11.9", "i10"],
                "lines": [
                    {
                        "line": 1,
                        "date_of_service": "2024-08-15",
                        "code": "93000",
                        "units": 1,
                        "modifiers": ["59"],
                        "place_of_service": "22",
                        "diagnosis_pointers": [1, 2],
                    },
                    {"line": 2, "date_of_service": "2024-08-15", "code": "93010", "units": 1},
                ],
            }
        ]
    )
    assert claim.setting == "outpatient" and claim.diagnoses == ("E11.9", "I10")
    assert claim.lines[0].modifiers == ("59",) and claim.lines[0].diagnosis_pointers == (1, 2)
    assert not claim.problems


def test_json_bad_claims_get_problems_and_others_are_read() -> None:
    claims = json_claims(
        [
            {
                "claim_id": "K1",
                "lines": [
                    {"date_of_service": "2024-08-15", "code": "93000", "units": 1, "colour": "red"}
                ],
            },
            {
                "claim_id": "K2",
                "ward": 3,
                "lines": [{"date_of_service": "2024-08-15", "code": "93000", "units": 1}],
            },
            {
                "claim_id": "K3",
                "lines": [
                    {
                        "date_of_service": "2024-08-15",
                        "code": "93000",
                        "units": -1,
                        "diagnosis_pointers": [2],
                    }
                ],
            },
            {
                "claim_id": "K4",
                "lines": [{"date_of_service": "2024-08-15", "code": "93000", "units": 1}],
            },
        ]
    )
    assert "unknown line fields colour" in claims[0].problems[0].message
    assert "unknown claim fields ward" in claims[1].problems[0].message
    k3 = " ".join(problem.message for problem in claims[2].problems)
    assert "units '-1'" in k3 and "point outside the claim's 0 diagnoses" in k3
    assert not claims[3].problems


def test_json_that_is_not_a_list_stops_with_what_to_do() -> None:
    with pytest.raises(InputError, match="must be a list of claims"):
        json_claims({"claim_id": "X"})


def test_read_claims_picks_the_format_by_suffix(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    path.write_text(
        json.dumps(
            [
                {
                    "claim_id": "L1",
                    "lines": [{"date_of_service": "2024-08-15", "code": "93000", "units": 1}],
                }
            ]
        )
    )
    assert [c.claim_id for c in read_claims(path)] == ["L1"]
    with pytest.raises(InputError, match="no such claim file"):
        list(read_claims(tmp_path / "missing.csv"))

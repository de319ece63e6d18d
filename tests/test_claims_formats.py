"""Claim files as JSON Lines and as Parquet (as a data lake keeps them): the claims and the
findings of the same claims as CSV, in the stream and columnar engines, and bad input named
by its line or row while the rest of the file is read."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lake_files import as_parquet
from medref.claims import check_claims, edit_tables
from medref.claims.model import Claim
from medref.claims.read import format_of, read_claims
from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.services.claims import check_file, check_file_columnar
from medref.services.resources import Resources
from medref.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Key = tuple[object, ...]


def shape(claims: list[Claim]) -> list[Key]:
    return [
        (
            c.claim_id,
            c.setting,
            c.diagnoses,
            c.patient_id,
            tuple(
                (ln.line, ln.date_of_service, ln.code, ln.modifiers, ln.units, ln.place_of_service)
                for ln in c.lines
            ),
            tuple(p.message for p in c.problems),
        )
        for c in claims
    ]


def test_the_format_comes_from_the_suffix() -> None:
    assert [
        format_of(Path(n)) for n in ("a.csv", "a.JSON", "a.jsonl", "a.ndjson", "a.parquet", "a")
    ] == [
        "csv",
        "json",
        "jsonl",
        "jsonl",
        "parquet",
        "csv",
    ]


def test_a_parquet_file_holds_the_claims_of_its_csv(tmp_path: Path) -> None:
    for name in ("claims.csv", "claims-across.csv"):
        parquet = as_parquet(EXAMPLES / name, tmp_path / f"{name}.parquet")
        assert shape(list(read_claims(parquet))) == shape(list(read_claims(EXAMPLES / name)))


def test_bad_parquet_rows_are_named_and_the_file_goes_on(tmp_path: Path) -> None:
    rows = {
        "claim_id": ["P1", "P1", "P2"],
        "line": [1, 2, 1],
        "date_of_service": ["2024-08-15", "2024-02-30", "2024-08-15"],
        "code": ["99213", "93000", "93000"],
        "modifiers": [None, None, None],
        "units": [1, 1, 1],
        "place_of_service": ["11", "11", "11"],
        "diagnoses": [["I10"], ["I10"], ["I10"]],
    }
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(rows), path)
    first, second = read_claims(path)
    assert [p.message for p in first.problems] and "row 2" in first.problems[0].message
    assert "2024-02-30" in first.problems[0].message
    assert second.claim_id == "P2" and not second.problems


def test_a_file_that_is_not_parquet_stops_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    path.write_text("claim_id,line\n")
    with pytest.raises(InputError, match="not a Parquet file"):
        list(read_claims(path))
    columns = tmp_path / "columns.parquet"
    pq.write_table(pa.table({"cpt": ["99213"]}), columns)
    with pytest.raises(InputError, match="unknown columns 'cpt'"):
        list(read_claims(columns))


def test_json_lines_one_claim_a_line_and_a_bad_line_named(tmp_path: Path) -> None:
    line = {"date_of_service": "2024-08-15", "code": "93000", "units": 1}
    path = tmp_path / "claims.jsonl"
    path.write_text(
        json.dumps({"claim_id": "L1", "lines": [line]})
        + "\n\n"
        + '{"claim_id": "L2", "lines": [\n'
        + json.dumps({"claim_id": "L3", "lines": [line], "ward": 2})
        + "\n"
        + json.dumps({"claim_id": "L1", "lines": [line]})
        + "\n"
    )
    first, broken, third, again = read_claims(path)
    assert "claim 'L1' is listed twice" in again.problems[0].message
    assert first.claim_id == "L1" and not first.problems
    assert broken.problems[0].message.startswith("line 3 is not JSON")
    assert third.claim_id == "L3" and "unknown claim fields ward" in third.problems[0].message


pytestmark = pytest.mark.kb


def key(finding: object) -> Key:
    f = finding.as_dict() if hasattr(finding, "as_dict") else finding  # type: ignore[union-attr]
    assert isinstance(f, dict)
    return (f["claim_id"], f["line"], f["rule"], f["status"], f["ref"], f["message"])


def test_parquet_and_json_lines_claims_get_the_csv_findings_in_both_engines(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    csv_path = EXAMPLES / "claims.csv"
    expected = Counter(map(key, check_claims(read_claims(csv_path), edit_tables(kb))))
    parquet = as_parquet(csv_path, tmp_path / "claims.parquet")
    jsonl = tmp_path / "claims.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps(
                {
                    "claim_id": c.claim_id,
                    "setting": c.setting,
                    "diagnoses": list(c.diagnoses),
                    "lines": [
                        {
                            "line": ln.line,
                            "date_of_service": ln.date_of_service.isoformat(),
                            "code": ln.code,
                            "modifiers": list(ln.modifiers),
                            "units": ln.units,
                            "place_of_service": ln.place_of_service,
                            "diagnosis_pointers": list(ln.diagnosis_pointers),
                        }
                        for ln in c.lines
                    ],
                }
            )
            + "\n"
            for c in read_claims(csv_path)
            if not c.problems
        )
    )
    clean = Counter(
        map(
            key, check_claims((c for c in read_claims(csv_path) if not c.problems), edit_tables(kb))
        )
    )
    res = Resources(kb_settings)
    assert Counter(map(key, check_file(res, parquet))) == expected
    assert Counter(map(key, check_file_columnar(res, parquet, "columnar"))) == expected
    assert Counter(map(key, check_file(res, jsonl))) == clean

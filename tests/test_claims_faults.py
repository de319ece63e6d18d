"""Claim batches under faults (issue 15): every malformed value is an error finding for its
claim, the batch always completes, and every row read is accounted for. Hypothesis draws
claim rows, and 100 fuzzed claim files are checked end to end."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medref.claims import Tally, check_claims, edit_tables, summarize
from medref.claims.read import read_claims
from medref.claims.read_csv import CSV_COLUMNS, read_csv
from medref.claims.read_json import read_json
from medref.claims.tables import EditTables
from medref.errors import InputError
from medref.kb import KnowledgeBase

HEADER = ",".join(CSV_COLUMNS) + "\n"


def good_row(claim: str, line: int = 1, code: str = "99213", units: str = "1") -> str:
    return f"{claim},{line},2024-08-15,{code},,{units},11,I10\n"


def read(text: str) -> list[object]:
    return list(read_csv(io.StringIO(text)))


def accounted(text: str, tables: EditTables) -> dict[str, object]:
    """Check a CSV text; returns the summary, asserting rows in = rows accounted for."""
    tally = Tally()
    list(check_claims(read_csv(io.StringIO(text)), tables, tally=tally))
    summary = summarize(tables, tally).as_dict()
    rows = text.count("\n") - 1
    assert summary["rows"] == rows, (summary["rows"], rows)
    return summary


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> EditTables:
    return edit_tables(kb)


@pytest.mark.parametrize(
    ("units", "why"),
    [("²", "units"), ("9" * 5000, "units"), ("-1", "units"), ("1.5", "units"), ("١", "units")],
)
def test_a_bad_cell_is_an_error_for_its_claim_only(units: str, why: str) -> None:
    claims = read(HEADER + good_row("A") + good_row("B", units=units) + good_row("C"))
    ids = [(c.claim_id, bool(c.problems)) for c in claims]  # type: ignore[attr-defined]
    assert ids == [("A", False), ("B", True), ("C", False)]
    assert why in claims[1].problems[0].message  # type: ignore[attr-defined]


def test_a_field_over_the_limit_is_an_error_at_its_line() -> None:
    huge = "x" * 131_073
    claims = read(
        HEADER + good_row("A") + f"B,1,2024-08-15,99213,{huge},1,11,I10\n" + good_row("C")
    )
    assert [c.claim_id for c in claims] == ["A", "B", "C"]  # type: ignore[attr-defined]
    assert "characters" in claims[1].problems[0].message  # type: ignore[attr-defined]
    assert "row 3" in claims[1].problems[0].message  # type: ignore[attr-defined]


def test_bytes_that_are_not_utf8_spoil_their_line_only(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(
        (HEADER + good_row("A")).encode()
        + b"B,1,2024-08-15,99213,\xff\xfe,1,11,I10\n"
        + good_row("C").encode()
    )
    claims = list(read_claims(path))
    assert [(c.claim_id, bool(c.problems)) for c in claims][0::2] == [("A", False), ("C", False)]
    assert any("not UTF-8" in p.message for c in claims for p in c.problems)


def test_an_unterminated_quote_does_not_swallow_the_file(tables: EditTables) -> None:
    """50 claims after the bad quote are each read and checked (they fail their PTP edit)."""
    rows = [good_row("Q", code='"99213')]
    for number in range(50):
        rows.append(f"C{number},1,2024-08-15,93000,,1,11,I10\n")
        rows.append(f"C{number},2,2024-08-15,93010,,1,11,I10\n")
    text = HEADER + "".join(rows)
    claims = read(text)
    assert len(claims) == 51 and claims[0].problems  # type: ignore[attr-defined]
    assert "quote" in claims[0].problems[0].message  # type: ignore[attr-defined]
    summary = accounted(text, tables)
    assert summary["claims"] == 51 and summary["lines"] == 100
    assert summary["by_rule"]["ptp"]["fail"] == 50  # type: ignore[index]


def test_a_bad_row_deep_in_a_big_file_loses_nothing(tables: EditTables) -> None:
    rows = [good_row(f"C{n:06d}") for n in range(170_000)]
    rows[120_000] = good_row("C120000", units="²")
    text = HEADER + "".join(rows)
    claims = read(text)
    assert len(claims) == 170_000
    assert [c.claim_id for c in claims if c.problems] == ["C120000"]  # type: ignore[attr-defined]


def test_json_nested_deep_or_huge_numbers_are_input_errors() -> None:
    with pytest.raises(InputError, match="nested"):
        list(read_json(io.StringIO("[" * 100_000 + "]" * 100_000)))
    with pytest.raises(InputError, match="not JSON"):
        list(
            read_json(io.StringIO('[{"claim_id": "A", "lines": [{"units": ' + "9" * 5000 + "}]}]"))
        )
    document = json.dumps(
        [
            {
                "claim_id": "A",
                "lines": [
                    {
                        "line": 1,
                        "date_of_service": "2024-08-15",
                        "code": "99213",
                        "units": 1e400,
                        "place_of_service": "11",
                    }
                ],
            }
        ]
    )
    (claim,) = read_json(io.StringIO(document))
    assert claim.problems and "units" in claim.problems[0].message


# -- hypothesis: any row, any bytes ---------------------------------------------------------

cells = st.one_of(
    st.sampled_from(["", "1", "2", "99213", "93000", "2024-08-15", "25|59", "I10", "11", "RT"]),
    st.text(max_size=12),
    st.text(alphabet='",\n\r\\|²١', max_size=6),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
rows = st.lists(st.lists(cells, min_size=1, max_size=11), min_size=1, max_size=30)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_any_rows_never_abort_and_are_accounted_for(
    tables: EditTables, rows: list[list[str]]
) -> None:
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    for row in rows:
        writer.writerow([cell.replace("\n", " ").replace("\r", " ") for cell in row])
    text = HEADER + body.getvalue()
    accounted(text, tables)


def fuzzed_file(rng: random.Random) -> bytes:
    lines = [HEADER.encode()]
    for claim in range(rng.randint(1, 40)):
        for line in range(1, rng.randint(1, 5) + 1):
            row = good_row(
                f"F{claim}", line, rng.choice(["99213", "93000", "93010", "J1100"])
            ).encode()
            kind = rng.random()
            if kind < 0.05:
                row = row[: rng.randint(0, len(row))] + b"\n"
            elif kind < 0.1:
                row = row.replace(b"99213", b'"99213')
            elif kind < 0.15:
                row = row.replace(b"I10", bytes([rng.randint(128, 255)]))
            elif kind < 0.2:
                row = row.replace(
                    b",1,11", b"," + str(rng.randint(10**20, 10**40)).encode() + b",11"
                )
            elif kind < 0.25:
                noise = [b for b in range(256) if b not in (10, 13)]
                row = bytes(rng.choice(noise) for _ in range(rng.randint(1, 80))) + b"\n"
            lines.append(row)
    if rng.random() < 0.5:
        lines.insert(rng.randint(1, len(lines)), lines[rng.randint(1, len(lines) - 1)])
    return b"".join(lines)


def test_a_hundred_fuzzed_claim_files(tables: EditTables, tmp_path: Path) -> None:
    rng = random.Random(15)
    for number in range(100):
        path = tmp_path / f"fuzz-{number}.csv"
        data = fuzzed_file(rng)
        path.write_bytes(data)
        tally = Tally()
        list(check_claims(read_claims(path), tables, tally=tally))
        summary = summarize(tables, tally).as_dict()
        physical = sum(1 for line in data.split(b"\n")[1:] if line.rstrip(b"\r"))
        assert summary["rows"] == physical, (number, summary["rows"], physical)


# -- column maps ----------------------------------------------------------------------------


def test_a_column_map_reads_other_names(tmp_path: Path) -> None:
    from medref.claims.columns import parse_map, resolve_map, save_preset

    text = (
        "Claim,Line_No,DOS,CPT,Mod,Qty,POS,DX,Charge\n"
        "A,1,2024-08-15,93000,,1,11,I10,120.00\n"
        "A,2,2024-08-15,93010,,1,11,I10,30.00\n"
    )
    with pytest.raises(InputError, match="--map"):
        read(text)
    targets = (*CSV_COLUMNS, "setting", "patient_id", "rendering_npi")
    mapping = resolve_map("common", tmp_path, targets)
    mapping = {**mapping, "charge": "-"}
    (claim,) = list(read_csv(io.StringIO(text), column_map=mapping))
    assert [line.code for line in claim.lines] == ["93000", "93010"]  # type: ignore[attr-defined]
    inline = parse_map(
        "claim=claim_id,line_no=line,dos=date_of_service,cpt=code,mod=modifiers,"
        "qty=units,pos=place_of_service,dx=diagnoses,charge=-",
        targets,
    )
    save_preset(tmp_path, "billing-export", inline)
    again = resolve_map("billing-export", tmp_path, targets)
    (claim,) = list(read_csv(io.StringIO(text), column_map=again))
    assert len(claim.lines) == 2  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="not a claim column"):
        parse_map("cpt=procedure", targets)
    with pytest.raises(InputError, match="no column map preset"):
        resolve_map("nonesuch", tmp_path, targets)


# -- the API bounds concurrent claim checks ---------------------------------------------------


def test_claim_checks_beyond_the_bound_are_refused_at_once() -> None:
    import asyncio

    from medref.api.admission import ClaimAdmission

    release = asyncio.Event()
    sent: list[int] = []

    async def slow_app(scope: object, receive: object, send: object) -> None:
        await release.wait()

    async def scenario() -> None:
        guard = ClaimAdmission(slow_app, limit=2)  # type: ignore[arg-type]

        async def request(path: str) -> None:
            async def receive() -> dict[str, object]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, object]) -> None:
                if message["type"] == "http.response.start":
                    sent.append(int(message["status"]))  # type: ignore[call-overload]

            scope = {"type": "http", "path": path, "method": "POST", "headers": []}
            await guard(scope, receive, send)  # type: ignore[arg-type]

        running = [asyncio.create_task(request("/api/check")) for _ in range(2)]
        await asyncio.sleep(0.01)
        await request("/api/check/csv")
        assert sent == [503]
        other = asyncio.create_task(request("/api/search"))
        await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(*running, other)
        assert guard.active == 0
        await request("/api/check")

    asyncio.run(scenario())
    assert sent == [503]
